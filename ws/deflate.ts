// Copyright 2026 the serverpush authors. MIT license.
// Entry `./ws/deflate`: permessage-deflate (RFC 7692) for the codec
// engine. It imports `node:zlib` (built into Deno, Node and Bun), which is
// why it is not part of `./ws`: that entry loads in a browser.

/**
 * permessage-deflate (RFC 7692) for serverpush's WebSocket codec engine:
 * pass {@linkcode permessageDeflate} as the `deflate` option of
 * `serveWebSocket`, `connectWebSocket` or `hubWebSocketHandler`'s codec
 * engine. Needs `node:zlib` (Deno, Node, Bun; not browsers, whose own
 * `WebSocket` compresses by itself).
 *
 * @example Serve and connect with compression
 * ```ts
 * import { connectWebSocket, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { permessageDeflate } from "@serverpush/serverpush/ws/deflate";
 * import { strictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({ deflate: permessageDeflate() }, async (connection) => {
 *   for await (const message of connection) await connection.send(message);
 * });
 * const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`, {
 *   deflate: permessageDeflate(),
 * });
 * strictEqual(client.extensions, "permessage-deflate");
 * await client.send("x".repeat(4096));
 * for await (const message of client) {
 *   strictEqual(message, "x".repeat(4096));
 *   break;
 * }
 * await client.closed;
 * await server.shutdown();
 * ```
 *
 * @module
 */

import type { WsDeflate } from "./compressor.ts";
import { createDeflateLimiter } from "./deflate_limiter.ts";
import type { DeflateOptions } from "./deflate_negotiation.ts";
import {
  createPermessageDeflate,
  type PermessageDeflateOptions,
} from "./permessage_deflate.ts";

export * from "./permessage_deflate.ts";
// The types its signatures use, also exported by `./ws`.
export type { WsCompressor, WsDeflate } from "./compressor.ts";
export type { DeflateLimiter } from "./deflate_limiter.ts";
export type { DeflateOptions, DeflateParams } from "./deflate_negotiation.ts";

/**
 * Settings of {@linkcode permessageDeflate}: what to negotiate
 * (`DeflateOptions`) and how to compress
 * ({@linkcode PermessageDeflateOptions} without the role).
 */
export interface PermessageDeflateSettings
  extends DeflateOptions, Omit<PermessageDeflateOptions, "role"> {}

/**
 * permessage-deflate for the codec engine, as the `deflate` option of
 * `serveWebSocket`, `connectWebSocket` and the hub's WebSocket handler.
 * The connections made with one result share one `DeflateLimiter`
 * (10 zlib operations at a time) unless `limiter` gives another.
 *
 * @param settings What to negotiate and how to compress.
 * @returns The `deflate` option value.
 * @throws {RangeError} If `threshold`, `level` or `memLevel` is out of range.
 *
 * @example Offer compression from a client
 * ```ts
 * import { permessageDeflate } from "@serverpush/serverpush/ws/deflate";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const deflate = permessageDeflate({ clientNoContextTakeover: true });
 * deepStrictEqual(deflate.negotiation, { clientNoContextTakeover: true });
 * ```
 */
export function permessageDeflate(
  settings: PermessageDeflateSettings = {},
): WsDeflate {
  const {
    threshold,
    level,
    memLevel,
    limiter = createDeflateLimiter(),
    ...negotiation
  } = settings;
  const tuning: Omit<PermessageDeflateOptions, "role"> = {
    limiter,
    ...(threshold === undefined ? {} : { threshold }),
    ...(level === undefined ? {} : { level }),
    ...(memLevel === undefined ? {} : { memLevel }),
  };
  // Checks the tuning up front, with parameters any handshake may agree on.
  createPermessageDeflate({
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  }, { ...tuning, role: "server" }).close();
  return {
    negotiation,
    create: (params, role) =>
      createPermessageDeflate(params, { ...tuning, role }),
  };
}
