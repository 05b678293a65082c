// Copyright 2026 the serverpush authors. MIT license.
// What `serve` returns, and the handler it takes.

import type { ServeAddr } from "./serve_options.ts";

/**
 * What `serve` knows about the connection a request came on: the peer's
 * address (the same shape as `Deno.ServeHandlerInfo`, so handlers such as
 * `createInspector`'s can check it on every runtime).
 *
 * @example Answer the peer's address
 * ```ts
 * import { serve, type ServeRequestInfo } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * await using server = await serve(
 *   { port: 0, hostname: "127.0.0.1" },
 *   (_request, info: ServeRequestInfo) => new Response(info.remoteAddr.hostname),
 * );
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * strictEqual(await response.text(), "127.0.0.1");
 * ```
 */
export interface ServeRequestInfo {
  /** The peer's address; `hostname` is empty when the runtime hid it. */
  readonly remoteAddr: {
    readonly transport: "tcp";
    readonly hostname: string;
    readonly port: number;
  };
}

/**
 * A request handler: what `createHubHandler` returns, for example. Its
 * second argument is the connection's {@linkcode ServeRequestInfo}.
 */
export type ServeHandler = (
  request: Request,
  info: ServeRequestInfo,
) => Response | Promise<Response>;

/** A running `serve` server. */
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
