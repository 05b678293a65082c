// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodeBase64 } from "../_internal/base64.ts";

/** The GUID that RFC 6455 section 1.3 appends to every key before hashing. */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const encoder = new TextEncoder();

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
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    encoder.encode(key + WEBSOCKET_GUID),
  );
  return encodeBase64(new Uint8Array(digest));
}
