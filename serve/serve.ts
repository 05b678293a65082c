// Copyright 2026 the serverpush authors. MIT license.
// Adapter: one `serve()` for Deno, Node and Bun. The runtime is found when
// `serve` is called (never at import time); each runtime's server is in its
// own private file, which reaches its platform only inside its functions.

import type { ServeWebSocketDeflateOptions } from "../ws/serve_web_socket.ts";
import { serveDeno } from "./_serve_deno.ts";
import { serveNode } from "./_serve_node.ts";
import { serveBun } from "./_serve_bun.ts";
import { checkServeOptions } from "./_serve_options.ts";

/** A request handler: what `createHubHandler` returns, for example. */
export type ServeHandler = (request: Request) => Response | Promise<Response>;

/** The address a {@linkcode Server} listens on. */
export interface ServeAddr {
  /** The interface bound, as given (`"0.0.0.0"` for all). */
  hostname: string;
  /** The port (the one picked, when 0 was asked for). */
  port: number;
}

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /**
   * The TCP port; 0 picks a free one (read it from `addr`). As
   * `Deno.serve`.
   *
   * @default {8000}
   */
  port?: number;
  /**
   * The interface to listen on. As `Deno.serve`, all interfaces by
   * default: pass `"127.0.0.1"` for loopback only.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * Aborting it shuts the server down, as {@linkcode Server.shutdown}.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Called once the server listens. Unlike `Deno.serve`, nothing is
   * printed by default.
   *
   * @default {undefined}
   */
  onListen?: (addr: ServeAddr) => void;
  /**
   * Receives what the handler throws (the client then gets a 500) and
   * errors of single connections. Nothing is printed by default.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
  /**
   * PEM certificate chain: with `key`, the server speaks HTTPS (and
   * `wss:`).
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
   * Largest request body, in bytes. A request whose `Content-Length` is
   * larger gets 413 without reaching the handler; a chunked body that
   * grows past it errors the request's body stream with a `RangeError`
   * (Node) or is cut off by the runtime (Bun). Deno has no such setting:
   * there only the `Content-Length` check applies.
   *
   * @default {16777216}
   */
  maxRequestBodyBytes?: number;
  /**
   * Largest request head (request line and headers), in bytes; a bigger
   * one gets 431. Node only (`maxHeaderSize`); Deno and Bun use their own
   * fixed limits.
   *
   * @default {16384}
   */
  maxHeaderBytes?: number;
  /**
   * Milliseconds a client has to send its whole request head; slower
   * clients are disconnected (slow-loris). Node only (`headersTimeout`).
   *
   * @default {60000}
   */
  headersTimeout?: number;
  /**
   * permessage-deflate for WebSockets, where the runtime's WebSocket engine
   * can: Node (serverpush's codec engine; these settings) and Bun (its own
   * engine; only on/off). Deno's native server never negotiates it.
   *
   * @default {true}
   */
  deflate?: boolean | ServeWebSocketDeflateOptions;
}

/** A running {@linkcode serve} server. */
export interface Server extends AsyncDisposable {
  /** The address the server listens on. */
  readonly addr: ServeAddr;
  /** The runtime that serves. */
  readonly runtime: "deno" | "node" | "bun";
  /**
   * Stops listening, ends streaming responses in progress (their body
   * streams are cancelled), closes WebSockets accepted through
   * `acceptWebSocket` with 1001, and resolves once all are done.
   */
  shutdown(): Promise<void>;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
}

/**
 * Serves `handler` on Deno, Node (20.16 or later) or Bun, with the same
 * code: `Deno.serve`, `node:http` / `node:https`, or `Bun.serve`.
 *
 * `acceptWebSocket` works inside the handler on every runtime (so does
 * `createHubHandler`'s WebSocket route): on Node the upgrade runs on
 * serverpush's codec engine over the TCP socket (every limit of the
 * engine applies, permessage-deflate is negotiated); on Bun on Bun's own
 * WebSocket; on Deno on `Deno.upgradeWebSocket`. `docs/runtimes.md` lists
 * what each runtime can and cannot do.
 *
 * On Node, a request's `signal` aborts when the client goes away, and a
 * response body is read only as fast as the client takes it (so a client
 * that never reads holds back the stream, and a bounded source such as the
 * hub's SSE queue applies its policy).
 *
 * It resolves once the server listens, since Node and Bun pick the port
 * asynchronously.
 *
 * @param options Where to listen, TLS, limits and hooks.
 * @param handler Answers each request.
 * @returns The running server.
 * @throws {TypeError} If only one of `cert` and `key` is given, or no
 * supported runtime is found.
 * @throws {RangeError} If a limit is out of range.
 *
 * @example Serve a hub on any runtime
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler, serve } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const server = await serve(
 *   { port: 0, hostname: "127.0.0.1" },
 *   createHubHandler(hub, { authorizePublish: () => true }),
 * );
 * const base = `http://127.0.0.1:${server.addr.port}`;
 * const published = await fetch(`${base}/news`, { method: "POST", body: "hi" });
 * strictEqual(published.status, 201);
 * await published.body?.cancel();
 * const history = await fetch(`${base}/news?since=0`);
 * strictEqual((await history.json()).messages[0].data, "hi");
 * await server.shutdown();
 * await hub.close();
 * ```
 */
export function serve(
  options: ServeOptions,
  handler: ServeHandler,
): Promise<Server> {
  const settings = checkServeOptions(options);
  const global = globalThis as {
    Bun?: unknown;
    Deno?: unknown;
    process?: { getBuiltinModule?: unknown };
  };
  if (global.Bun !== undefined) return serveBun(settings, handler);
  if (global.Deno !== undefined) return serveDeno(settings, handler);
  if (typeof global.process?.getBuiltinModule === "function") {
    return serveNode(settings, handler);
  }
  return Promise.reject(
    new TypeError(
      "Cannot serve: no supported runtime found (Deno, Bun, or Node 20.16 or later)",
    ),
  );
}
