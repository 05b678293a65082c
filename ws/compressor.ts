// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { DeflateOptions, DeflateParams } from "./deflate_negotiation.ts";

/**
 * The per-message compression engine that the message streams use once an
 * extension such as permessage-deflate (RFC 7692) has been negotiated.
 *
 * One instance belongs to one direction pair of one connection: it keeps the
 * compression context between messages when context takeover is on.
 */
export interface WsCompressor {
  /** Messages whose payload is smaller than this many bytes go uncompressed. */
  readonly threshold: number;
  /**
   * Compresses one whole message payload. The result is what goes on the
   * wire (for permessage-deflate: without the trailing `00 00 ff ff`).
   */
  compress(payload: Uint8Array): Promise<Uint8Array>;
  /**
   * Decompresses the next fragment of a compressed message and returns the
   * bytes it yields. `fin` marks the message's last fragment. Fails with a
   * `RangeError` as soon as the message's decompressed size passes `maxBytes`.
   */
  decompress(
    fragment: Uint8Array,
    fin: boolean,
    maxBytes: number,
  ): Promise<Uint8Array>;
}

/**
 * permessage-deflate for the codec engine, made by `permessageDeflate()`
 * of `@serverpush/serverpush/ws/deflate` and passed as the `deflate` option
 * of `serveWebSocket` or `connectWebSocket`: what to
 * negotiate, and the compressor of each connection that agreed to it. It
 * lives in its own entry because it needs `node:zlib`, which keeps the rest
 * of `./ws` loadable in a browser.
 */
export interface WsDeflate {
  /** What to offer (client) or accept (server). */
  readonly negotiation: DeflateOptions;
  /**
   * Makes the compressor of one connection from the agreed parameters.
   *
   * @param params The parameters the handshake agreed on.
   * @param role Which side of the connection this is.
   */
  create(params: DeflateParams, role: "server" | "client"): WsCompressor;
}
