// Copyright 2026 the serverpush authors. MIT license.

/**
 * An HTTP server that runs one process per WebSocket connection at `/`
 * (see {@linkcode bridgeProcess}), with a cap on concurrent processes.
 *
 * @module
 */

import { acceptWebSocket, type OriginPolicy } from "@serverpush/serverpush/ws";
import {
  bridgeProcess,
  type BridgeProcessOptions,
  DEFAULT_MAX_LINE_BYTES,
  type ProcessBridge,
} from "./bridge.ts";

/** Default cap on concurrent processes. */
export const DEFAULT_MAX_PROCESSES = 16;

/** Options for {@linkcode serveWebsocketd}. */
export interface ServeWebsocketdOptions extends
  Pick<
    BridgeProcessOptions,
    "args" | "env" | "cwd" | "killGraceMs" | "stderr"
  > {
  /** The program to run for each connection. */
  command: string;
  /**
   * Port to listen on; `0` picks a free one.
   *
   * @default {8080}
   */
  port?: number;
  /**
   * Address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Most processes running at once. A connection beyond it is refused before
   * the upgrade with HTTP 503 (and `Retry-After: 1`); no process starts.
   *
   * @default {16}
   */
  maxProcesses?: number;
  /**
   * Longest line in either direction, in UTF-8 bytes: a longer stdout line
   * kills the process and closes with 1009, and a longer client message
   * closes with 1009 (the connection's `maxMessageBytes`).
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Which pages may connect (see {@linkcode OriginPolicy}); a page served
   * from another port or host needs to be listed, or `"any"`.
   *
   * @default {"same-origin"}
   */
  origins?: OriginPolicy;
  /**
   * Called with each bridge once its process has started.
   *
   * @default {undefined}
   */
  onBridge?: (bridge: ProcessBridge) => void;
  /**
   * Called when a process cannot be started (its connection is closed with
   * 1011).
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
  /**
   * Called when the server is listening.
   *
   * @default {undefined}
   */
  onListen?: (addr: Deno.NetAddr) => void;
}

/** A running websocketd server. See {@linkcode serveWebsocketd}. */
export interface Websocketd {
  /** The HTTP server. */
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  /** The port it listens on. */
  readonly port: number;
  /** Processes running now. */
  readonly processes: number;
  /**
   * Stops every process (SIGTERM, then SIGKILL), closes their connections
   * with 1001, waits for them and stops the server.
   */
  shutdown(): Promise<void>;
  /** Same as {@linkcode Websocketd.shutdown}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a server that runs `command` for every WebSocket connection at `/`.
 *
 * @param options The command, the address, the limits.
 * @returns The running server.
 *
 * @example Greet over a WebSocket
 * ```ts
 * import { serveWebsocketd } from "./serve.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * await using server = serveWebsocketd({
 *   port: 0,
 *   command: "sh",
 *   args: [new URL("./greeter.sh", import.meta.url).pathname],
 * });
 * const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
 * socket.onopen = () => socket.send("Ann");
 * const reply = await new Promise((resolve) => {
 *   socket.onmessage = (event) => resolve(event.data);
 * });
 * strictEqual(reply, "Hello Ann!");
 * socket.close();
 * await new Promise((resolve) => (socket.onclose = resolve));
 * ```
 */
export function serveWebsocketd(options: ServeWebsocketdOptions): Websocketd {
  const maxProcesses = options.maxProcesses ?? DEFAULT_MAX_PROCESSES;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!(Number.isInteger(maxProcesses) && maxProcesses >= 1)) {
    throw new RangeError(
      `Cannot serve websocketd: maxProcesses ${maxProcesses} is not a positive integer`,
    );
  }
  const shutdownController = new AbortController();
  const bridges = new Set<Promise<unknown>>();
  let reserved = 0;

  async function handle(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Promise<Response> {
    if (new URL(request.url).pathname !== "/") {
      return new Response("Not Found\n", { status: 404 });
    }
    if (shutdownController.signal.aborted) {
      return new Response("Shutting down\n", { status: 503 });
    }
    if (reserved >= maxProcesses) {
      return new Response(
        `Too many processes: ${maxProcesses} are running\n`,
        { status: 503, headers: { "retry-after": "1" } },
      );
    }
    reserved++;
    let started = false;
    try {
      const { response, connection } = await acceptWebSocket(request, {
        ...(options.origins === undefined ? {} : { origins: options.origins }),
        maxMessageBytes: maxLineBytes,
        remoteAddr: info.remoteAddr,
      });
      if (connection === undefined) return response;
      let bridge: ProcessBridge;
      try {
        bridge = bridgeProcess(connection, options.command, {
          ...(options.args === undefined ? {} : { args: options.args }),
          ...(options.env === undefined ? {} : { env: options.env }),
          ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
          ...(options.killGraceMs === undefined
            ? {}
            : { killGraceMs: options.killGraceMs }),
          ...(options.stderr === undefined ? {} : { stderr: options.stderr }),
          maxLineBytes,
          signal: shutdownController.signal,
        });
      } catch (error) {
        // The bridge closed the connection with 1011; the client sees that.
        options.onError?.(error);
        return response;
      }
      started = true;
      const done = bridge.finished.finally(() => {
        reserved--;
        bridges.delete(done);
      });
      bridges.add(done);
      options.onBridge?.(bridge);
      return response;
    } finally {
      if (!started) reserved--;
    }
  }

  const server = Deno.serve({
    port: options.port ?? 8080,
    hostname: options.hostname ?? "127.0.0.1",
    onListen: options.onListen ?? ((): void => {}),
  }, handle);

  let stopping: Promise<void> | undefined;
  function shutdown(): Promise<void> {
    stopping ??= (async (): Promise<void> => {
      shutdownController.abort();
      await Promise.allSettled([...bridges]);
      await server.shutdown();
    })();
    return stopping;
  }

  return {
    server,
    port: server.addr.port,
    get processes(): number {
      return bridges.size;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
