// Copyright 2026 the serverpush authors. MIT license.
// The codec engine's server: a WebSocket server on raw TCP (or TLS) with
// serverpush's own handshake and codec: listening, accepting, upgrading and
// shutting down. Its options are checked in `_serve_settings.ts`, the
// handshake on a raw connection is in `_serve_handshake.ts`. Names Deno.

import { withResolvers } from "../_internal/resolvers.ts";
import type { AcceptWebSocketOptions } from "./accept_web_socket.ts";
import { admitUpgrade } from "./admit_upgrade.ts";
import { acceptLoop as runAcceptLoop } from "../_internal/accept_loop.ts";
import { byteSource, writeAll } from "./_byte_io.ts";
import { codecConnection } from "./_codec_connection.ts";
import type { WsCodec, WsConnection } from "./connection.ts";
import type { WsDeflate } from "./compressor.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import { serializeHttp1ResponseHead } from "./_http1.ts";
import { fitCloseReason } from "./_fit_close_reason.ts";
import {
  closeQuietly,
  dropHandshake,
  type HandshakeContext,
  readUpgradeRequest,
  refuseUpgrade,
  setNoDelay,
} from "./_serve_handshake.ts";
import { resolveServeSettings } from "./_serve_settings.ts";
import { type TypedWsConnection, withCodec } from "./typed_connection.ts";

/** Where {@linkcode serveWebSocket} asks its `listen` function to listen. */
export interface ServeWebSocketListenOptions {
  /** The interface to bind. */
  hostname: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** PEM certificate chain, when serving TLS. */
  cert?: string;
  /** PEM private key, when serving TLS. */
  key?: string;
}

/**
 * Options for {@linkcode serveWebSocket}: the policy options of
 * {@linkcode acceptWebSocket} (`origins`, `allowedHosts`, `authorize`,
 * `protocols`, the limits, `heartbeat`, `closeTimeout`), plus the listener,
 * the handshake bounds and permessage-deflate.
 */
export interface ServeWebSocketOptions
  extends Omit<AcceptWebSocketOptions, "upgrade" | "remoteAddr"> {
  /**
   * The TCP port to listen on; 0 picks a free one (read it from
   * {@linkcode WebSocketServer.addr}).
   *
   * @default {0}
   */
  port?: number;
  /**
   * The interface to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * PEM certificate chain: with `key`, the server speaks TLS (`wss:`).
   *
   * @default {undefined}
   */
  cert?: string;
  /**
   * PEM private key for `cert`.
   *
   * @default {undefined}
   */
  key?: string;
  /**
   * Called once the server listens.
   *
   * @default {undefined}
   */
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * Aborting it shuts the server down, as {@linkcode WebSocketServer.shutdown}.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Largest message accepted, in bytes (after decompression); a bigger one
   * closes the connection with 1009 as soon as the frame that crosses the
   * limit arrives, before it is buffered. A fragmented message is collected
   * in one buffer that grows by doubling, so it holds at most twice its
   * bytes so far (and at most this limit) however many fragments it comes
   * in.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * Received messages the handler has not read yet (each counts its size
   * plus 64 bytes) above which the connection stops reading from the
   * network, so the client is slowed down by TCP instead of growing memory.
   *
   * @default {16777216}
   */
  maxUnreadBytes?: number;
  /**
   * Ping a quiet client and close with 1001 if it does not answer:
   * `{ interval, timeout }` in milliseconds, a number (the interval), or
   * `false` for none. A ping goes out once nothing has arrived for an
   * interval (checked every interval); the connection closes when nothing
   * arrives within `timeout` of it.
   *
   * @default {{ interval: 30000, timeout: 30000 }}
   */
  heartbeat?: HeartbeatOptions | number | false;
  /**
   * permessage-deflate (RFC 7692): `permessageDeflate()` from
   * `@serverpush/serverpush/ws/deflate` (which needs `node:zlib`, so it is
   * not part of this entry), or `false`. Leaving it out refuses
   * compression: pass it to compress.
   *
   * @default {false}
   */
  deflate?: WsDeflate | false;
  /**
   * Milliseconds a client has, from connecting, to send its whole request
   * head (the TLS handshake included); slower clients are disconnected, so
   * a slow-loris client cannot hold a connection.
   *
   * @default {10000}
   */
  handshakeTimeout?: number;
  /**
   * Largest request head (request line and headers), in bytes; a bigger one
   * is answered with 431.
   *
   * @default {8192}
   */
  maxHeadBytes?: number;
  /**
   * Receives what the handler throws (the connection is then closed with
   * 1011) and failures to accept connections. Network errors of single
   * clients during the handshake are not reported.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
  /**
   * Stand-in for `Deno.listen` / `Deno.listenTls`; unit tests pass a fake.
   *
   * @default {Deno.listen, or Deno.listenTls when cert and key are given}
   */
  listen?: (options: ServeWebSocketListenOptions) => Deno.Listener;
}

/**
 * Options for {@linkcode serveWebSocket} with a codec: the handler's
 * connection then yields and takes application values.
 *
 * @typeParam T The application's message type.
 */
export interface ServeTypedWebSocketOptions<T> extends ServeWebSocketOptions {
  /**
   * Encodes and decodes messages (see {@linkcode withCodec}); a message it
   * cannot decode closes with 1007, or 1003 for the wrong frame type.
   */
  codec: WsCodec<T>;
}

/** A running {@linkcode serveWebSocket} server. */
export interface WebSocketServer extends AsyncDisposable {
  /** The address the server listens on. */
  readonly addr: Deno.NetAddr;
  /** Open WebSocket connections. */
  readonly connections: number;
  /**
   * Stops listening, drops handshakes in progress, closes every connection
   * with 1001 and resolves once they are closed and their handlers have
   * returned.
   */
  shutdown(): Promise<void>;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
}

/** Called for each accepted connection (internal shorthand). */
type Handler<C> = (connection: C, request: Request) => void | Promise<void>;

function defaultListen(options: ServeWebSocketListenOptions): Deno.Listener {
  const { hostname, port, cert, key } = options;
  if (cert !== undefined && key !== undefined) {
    return Deno.listenTls({ hostname, port, cert, key });
  }
  return Deno.listen({ hostname, port, transport: "tcp" });
}

/**
 * Serves WebSockets on raw TCP (or TLS) with serverpush's codec engine:
 * its own HTTP/1.1 handshake and RFC 6455 codec over `Deno.listen`, with
 * permessage-deflate when `deflate` is given (which Deno's own server does
 * not offer).
 *
 * Each connection goes through the same policy as
 * {@linkcode acceptWebSocket} ({@linkcode admitUpgrade}): a request that is
 * not an upgrade gets 426 with `Upgrade: websocket`, a malformed handshake
 * 400 with the reason, a refused `Origin` or `authorize` 403 (or
 * `authorize`'s own response). A request head over `maxHeadBytes` gets 431,
 * and a client that has not sent its whole head within `handshakeTimeout`
 * is disconnected. The handler runs once the `101` is sent; when it throws,
 * the connection closes with 1011 and `onError` sees the error.
 *
 * Every byte queued for a client (messages, pongs, close frames) counts in
 * its `bufferedAmount`, with 256 bytes per frame for a waiting frame's
 * memory; while that exceeds `maxBufferedBytes`, the server
 * stops reading from the client, so TCP holds it back. Of the pings that
 * arrive while a pong is on its way, only the latest is answered. Invalid
 * UTF-8 fails the connection (1007) as soon as its bytes arrive, even
 * inside a frame whose rest has not; messages complete before a protocol
 * error are delivered first, and the connection fails once the handler
 * asks for the next message (or after `closeTimeout`), so its answers to
 * them go out before the close frame.
 *
 * @param options Listener, policy, limits, heartbeat and deflate.
 * @param handler Runs for each connection, with the upgrade request.
 * @returns The running server.
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 * @throws {Deno.errors.AddrInUse} And other errors of `Deno.listen`.
 *
 * @example An echo server, and a client
 * ```ts
 * import { connectWebSocket, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({}, async (connection) => {
 *   for await (const message of connection) await connection.send(message);
 * });
 * const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * await client.send("hello");
 * for await (const message of client) {
 *   strictEqual(message, "hello");
 *   break; // closes the client with 1000
 * }
 * await client.closed;
 * await server.shutdown();
 * ```
 */
export function serveWebSocket(
  options: ServeWebSocketOptions,
  handler: (connection: WsConnection, request: Request) => void | Promise<void>,
): WebSocketServer;
/**
 * Serves WebSockets on raw TCP whose messages go through a codec:
 * `for await` yields values and `send(value)` takes them. Otherwise the
 * same as the overload without `codec`.
 *
 * @typeParam T The application's message type.
 * @param options The codec, and the options of the overload without it.
 * @param handler Runs for each connection, with the upgrade request.
 * @returns The running server.
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 *
 * @example A JSON server
 * ```ts
 * import { connectWebSocket, jsonCodec, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({ codec: jsonCodec() }, async (connection) => {
 *   await connection.send({ hello: "world" });
 * });
 * const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * for await (const message of client) {
 *   deepStrictEqual(JSON.parse(message as string), { hello: "world" });
 *   break;
 * }
 * await client.closed;
 * await server.shutdown();
 * ```
 */
export function serveWebSocket<T>(
  options: ServeTypedWebSocketOptions<T>,
  handler: (
    connection: TypedWsConnection<T>,
    request: Request,
  ) => void | Promise<void>,
): WebSocketServer;
export function serveWebSocket<T>(
  options: ServeWebSocketOptions & { codec?: WsCodec<T> },
  handler: Handler<WsConnection> | Handler<TypedWsConnection<T>>,
): WebSocketServer {
  const settings = resolveServeSettings(options);
  const deflate = settings.deflate;
  const onError = options.onError;
  const codec = options.codec;

  const listen = options.listen ?? defaultListen;
  const listener = listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    ...(settings.tls ? { cert: options.cert!, key: options.key! } : {}),
  });
  const addr = listener.addr as Deno.NetAddr;

  const handshakes = new Set<Deno.Conn>();
  const connections = new Set<WsConnection>();
  const tasks = new Set<Promise<void>>();
  let stopping = false;
  let shutdownPromise: Promise<void> | undefined;
  const finished = withResolvers<void>();

  function report(error: unknown): void {
    onError?.(error);
  }

  const context: HandshakeContext = {
    handshakes,
    maxHeadBytes: settings.maxHeadBytes,
    handshakeTimeout: settings.handshakeTimeout,
    tls: settings.tls,
    report,
  };

  function track(task: Promise<void>): void {
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  }

  /** Aborted by shutdown: ends the accept loop. */
  const accepting = new AbortController();

  /**
   * Accepts until shutdown; accept errors (out of file descriptors and the
   * like) go to onError and are retried with backoff, never fatal.
   */
  function acceptLoop(): Promise<void> {
    return runAcceptLoop(listener, {
      onConnection: (conn) => track(handle(conn)),
      onError: report,
      signal: accepting.signal,
    });
  }

  /** Upgrades `conn`, then runs the handler until the connection closes. */
  async function handle(conn: Deno.Conn): Promise<void> {
    // The handshake's state (its read buffer, the head reader, the request)
    // goes with `upgrade`'s frame, not kept for the connection's lifetime.
    const upgraded = await upgrade(conn);
    if (upgraded === undefined) return;
    const { connection, handled, closed } = upgraded;
    try {
      await handled;
    } catch (error) {
      report(error);
      await connection.close(
        1011,
        fitCloseReason("Cannot handle connection: the handler failed"),
      ).catch(report);
    }
    await closed;
  }

  /** Calls the handler; what it throws comes back as a rejection. */
  function startHandler(
    connection: WsConnection,
    request: Request,
  ): Promise<void> {
    try {
      return Promise.resolve(
        codec === undefined
          ? (handler as Handler<WsConnection>)(connection, request)
          : (handler as Handler<TypedWsConnection<T>>)(
            withCodec(connection, codec),
            request,
          ),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Reads and answers the opening handshake; once upgraded, starts the
   * handler. `undefined` when the connection was refused or went away.
   */
  async function upgrade(conn: Deno.Conn): Promise<
    | {
      connection: WsConnection;
      handled: Promise<void>;
      closed: Promise<void>;
    }
    | undefined
  > {
    const reader = byteSource(conn);
    const read = await readUpgradeRequest(context, conn, reader);
    if (read === undefined) return;
    if (read instanceof Response) {
      await refuseUpgrade(context, conn, reader, read);
      return;
    }
    const { request, rest } = read;

    let admission;
    try {
      admission = await admitUpgrade(request, {
        ...(options.origins === undefined ? {} : { origins: options.origins }),
        ...(options.allowedHosts === undefined
          ? {}
          : { allowedHosts: options.allowedHosts }),
        ...(options.authorize === undefined
          ? {}
          : { authorize: options.authorize }),
        ...(options.protocols === undefined
          ? {}
          : { protocols: options.protocols }),
        deflate: deflate === undefined ? false : deflate.negotiation,
      });
    } catch (error) {
      report(error);
      await refuseUpgrade(
        context,
        conn,
        reader,
        new Response("Cannot accept WebSocket upgrade: internal error", {
          status: 500,
        }),
      );
      return;
    }
    if (admission instanceof Response) {
      await refuseUpgrade(context, conn, reader, admission);
      return;
    }
    if (stopping) {
      dropHandshake(context, conn);
      return;
    }

    try {
      await writeAll(
        conn,
        serializeHttp1ResponseHead({ status: 101, headers: admission.headers }),
      );
    } catch {
      // The client went away before the 101 was written.
      dropHandshake(context, conn);
      return;
    }
    reader.release();
    handshakes.delete(conn);
    setNoDelay(conn);

    const remote = conn.remoteAddr as Deno.NetAddr;
    const connection = codecConnection(conn, {
      role: "server",
      head: rest,
      protocol: admission.protocol,
      extensions: admission.extensions,
      ...(admission.deflate === undefined ? {} : {
        compressor: deflate!.create(admission.deflate, "server"),
      }),
      ...settings.connection,
      remoteAddr: { hostname: remote.hostname, port: remote.port },
    });
    connections.add(connection);
    const closed = connection.closed.then(() => {
      connections.delete(connection);
    });
    if (stopping) void connection.close(1001).catch(report);
    return { connection, handled: startHandler(connection, request), closed };
  }

  function shutdown(): Promise<void> {
    shutdownPromise ??= (async () => {
      stopping = true;
      accepting.abort();
      signal?.removeEventListener("abort", onAbort);
      closeQuietly(listener);
      for (const conn of handshakes) closeQuietly(conn);
      handshakes.clear();
      await Promise.all(
        [...connections].map((connection) =>
          connection.close(1001).catch(report)
        ),
      );
      await looping;
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
      finished.resolve();
    })();
    return shutdownPromise;
  }

  const signal = options.signal;
  const onAbort = (): void => void shutdown();
  if (signal?.aborted) void shutdown();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const looping = acceptLoop();
  options.onListen?.(addr);

  return {
    addr,
    get connections(): number {
      return connections.size;
    },
    shutdown,
    finished: finished.promise,
    [Symbol.asyncDispose]: shutdown,
  };
}
