// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a `node:net` / `node:tls` socket as a ByteDuplex for the codec
// engine, and a TCP/TLS dialer on Node and Bun. `node:` modules are taken
// from `process.getBuiltinModule` at call time, never imported, so a
// bundler for the browser sees no `node:` specifier.

import type { ByteDuplex } from "./_byte_io.ts";

/** The part of a Node `net.Socket` this adapter uses. */
export interface NodeSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Bytes written and not yet handed to the kernel. */
  readonly writableLength: number;
  end(callback?: () => void): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
  readonly destroyed: boolean;
}

/** A write of no bytes, for its callback. */
const NOTHING = new Uint8Array(0);

/** The part of a Node socket that {@linkcode writeNodeSocket} uses. */
export interface WritableNodeSocket {
  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  readonly writableLength: number;
}

/**
 * Writes `p` to a Node socket and calls `done` once the kernel has all of
 * it, or with the error that stopped it. When nothing waits in the socket,
 * `p` is written without a callback: Node schedules a tick for every write
 * with a callback that completes at once (`afterWriteTick`), and none for
 * one without. If the kernel took every byte then (`write` returned `true`,
 * so it neither failed nor found the socket destroyed, and nothing is
 * left), `done` is called before this returns; otherwise a write of no
 * bytes carries `done`, which Node calls once the bytes before it are
 * written, or with the error.
 */
export function writeNodeSocket(
  socket: WritableNodeSocket,
  p: Uint8Array,
  done: (error?: unknown) => void,
): void {
  if (socket.writableLength !== 0) socket.write(p, done);
  else if (socket.write(p) && socket.writableLength === 0) done();
  else socket.write(NOTHING, done);
}

/** What a write to a destroyed socket fails with. */
function closedError(): DOMException {
  return new DOMException(
    "Cannot write to socket: it is closed",
    "NetworkError",
  );
}

/** A {@linkcode ByteDuplex} over a Node socket, with `setNoDelay`. */
export interface NodeSocketDuplex extends ByteDuplex {
  /** Turns Nagle's algorithm off (or on). */
  setNoDelay(noDelay?: boolean): void;
}

/**
 * Wraps a connected Node socket. Reading pauses the socket while one chunk
 * waits unread (backpressure); `write` resolves once Node has handed the
 * bytes to the kernel, so the caller may reuse them; `close` destroys the
 * socket; `closeWrite` ends the sending direction (FIN). `writeChunk`
 * writes without a promise (see {@linkcode writeNodeSocket}).
 */
export function nodeSocketDuplex(socket: NodeSocket): NodeSocketDuplex {
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller): void {
      socket.on("data", (chunk: Uint8Array) => {
        if (ended) return;
        controller.enqueue(
          new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
        if ((controller.desiredSize ?? 0) <= 0) socket.pause();
      });
      const finish = (): void => {
        if (ended) return;
        ended = true;
        controller.close();
      };
      socket.on("end", finish);
      socket.on("close", finish);
      socket.on("error", (error: Error) => {
        if (ended) return;
        ended = true;
        controller.error(error);
      });
    },
    pull(): void {
      socket.resume();
    },
    cancel(): void {
      ended = true;
      socket.destroy();
    },
  }, { highWaterMark: 1 });
  const write = (p: Uint8Array): Promise<number> =>
    new Promise((resolve, reject) => {
      if (socket.destroyed) {
        reject(closedError());
        return;
      }
      socket.write(p, (error) => error ? reject(error) : resolve(p.length));
    });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk): Promise<void> {
      await write(chunk);
    },
    close(): Promise<void> {
      return new Promise((resolve) => socket.end(resolve));
    },
    abort(): void {
      socket.destroy();
    },
  });
  return {
    readable,
    writable,
    write,
    writeChunk(p: Uint8Array, done: (error?: unknown) => void): void {
      if (socket.destroyed) {
        queueMicrotask(() => done(closedError()));
        return;
      }
      writeNodeSocket(socket, p, done);
    },
    close(): void {
      socket.destroy();
    },
    closeWrite(): Promise<void> {
      return new Promise((resolve) => socket.end(resolve));
    },
    setNoDelay(noDelay = true): void {
      socket.setNoDelay?.(noDelay);
    },
  };
}

/** Where to dial. */
export interface DialOptions {
  /** Host name or IP address (without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Whether to speak TLS. */
  tls: boolean;
  /** Extra root certificates (PEM) for TLS. */
  caCerts?: string[];
}

interface NodeNet {
  connect(options: { host: string; port: number }): NodeSocket;
}

interface NodeTls {
  connect(options: {
    host: string;
    port: number;
    servername?: string;
    ca?: string[];
  }): NodeSocket;
  readonly rootCertificates: readonly string[];
}

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/** `node:net` and `node:tls`, where the runtime offers them. */
function nodeModules(): { net: NodeNet; tls: NodeTls } | undefined {
  const process = (globalThis as { process?: NodeProcess }).process;
  const get = process?.getBuiltinModule;
  if (get === undefined) return undefined;
  const net = get.call(process, "node:net") as NodeNet | undefined;
  const tls = get.call(process, "node:tls") as NodeTls | undefined;
  return net === undefined || tls === undefined ? undefined : { net, tls };
}

const IP_REGEXP = /^[\d.]+$|:/;

/**
 * The Node dialer when this runtime has `process.getBuiltinModule`
 * (Node 20.16 and later, Bun), else `undefined`.
 */
export function nodeDialer():
  | ((options: DialOptions) => Promise<NodeSocketDuplex>)
  | undefined {
  const modules = nodeModules();
  if (modules === undefined) return undefined;
  return (options) =>
    new Promise((resolve, reject) => {
      const { hostname, port } = options;
      const socket = options.tls
        ? modules.tls.connect({
          host: hostname,
          port,
          ...(IP_REGEXP.test(hostname) ? {} : { servername: hostname }),
          ...(options.caCerts === undefined ? {} : {
            ca: [...modules.tls.rootCertificates, ...options.caCerts],
          }),
        })
        : modules.net.connect({ host: hostname, port });
      const onError = (error: Error): void => {
        socket.destroy();
        reject(error);
      };
      socket.once("error", onError);
      socket.once(options.tls ? "secureConnect" : "connect", () => {
        socket.off("error", onError);
        resolve(nodeSocketDuplex(socket));
      });
    });
}
