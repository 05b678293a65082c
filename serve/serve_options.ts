// Copyright 2026 the serverpush authors. MIT license.
// The options of `serve`, and the address it reports.

import type { WsDeflate } from "../ws/compressor.ts";

/** The address a `Server` listens on. */
export interface ServeAddr {
  /** The interface bound, as given (`"0.0.0.0"` for all). */
  hostname: string;
  /** The port (the one picked, when 0 was asked for). */
  port: number;
}

/** Options for `serve`. */
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
   * Aborting it shuts the server down, as `Server.shutdown`.
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
   * can: Node (serverpush's codec engine; `true` is `permessageDeflate()`
   * from `./ws/deflate`, or pass one with your settings) and Bun (its own
   * engine; only on/off). Deno's native server never negotiates it.
   *
   * @default {true}
   */
  deflate?: boolean | WsDeflate;
}
