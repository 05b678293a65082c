// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { secWebSocketAccept } from "./_sha1.ts";

/**
 * Computes the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`: the
 * base64 of the SHA-1 digest of the key followed by the WebSocket GUID.
 *
 * The key is used as given; validating it (base64 of 16 bytes) is the
 * handshake's job, see {@linkcode acceptUpgrade}.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2 | RFC 6455 section 4.2.2}
 *
 * @param key The client's `Sec-WebSocket-Key` header value.
 * @returns The matching `Sec-WebSocket-Accept` header value.
 *
 * @example The example from RFC 6455
 * ```ts
 * import { acceptKey } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
 *   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 * );
 * ```
 */
export function acceptKey(key: string): Promise<string> {
  // Hashed at once (see _sha1.ts); a promise, as WebCrypto's digest was.
  return Promise.resolve(secWebSocketAccept(key));
}
