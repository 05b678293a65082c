// Copyright 2026 the serverpush authors. MIT license.
// What `serve` returns, and the handler it takes.

import type { ServeAddr } from "./serve_options.ts";

/** A request handler: what `createHubHandler` returns, for example. */
export type ServeHandler = (request: Request) => Response | Promise<Response>;

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
