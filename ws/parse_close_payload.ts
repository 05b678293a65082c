// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { isValidCloseCode } from "./is_valid_close_code.ts";
import { WsProtocolError } from "./protocol_error.ts";

/** The code and reason a close frame carries. */
export interface WsClosePayload {
  /** The close code; 1005 when the frame had no payload. */
  code: number;
  /** The reason, possibly empty. */
  reason: string;
}

/**
 * Reads the code and reason out of a close frame's payload.
 *
 * An empty payload reads as code 1005 (`NoStatus`) with reason `""`.
 *
 * @param payload The close frame's unmasked payload.
 * @returns The code and reason.
 * @throws {WsProtocolError} `"invalid-close-payload"` (1002) for a 1-byte
 * payload, `"invalid-close-code"` (1002) for a code
 * {@linkcode isValidCloseCode} rejects, `"invalid-close-reason"` (1007) for a
 * reason that is not UTF-8.
 *
 * @example Parse a close payload
 * ```ts
 * import { parseClosePayload } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * deepStrictEqual(parseClosePayload(new Uint8Array([0x03, 0xe8, 0x6f, 0x6b])), { code: 1000, reason: "ok" });
 * deepStrictEqual(parseClosePayload(new Uint8Array(0)), { code: 1005, reason: "" });
 * ```
 */
export function parseClosePayload(payload: Uint8Array): WsClosePayload {
  if (payload.length === 0) return { code: 1005, reason: "" };
  if (payload.length === 1) {
    throw new WsProtocolError(
      "Cannot parse close payload: 1 byte is too short for a close code",
      { code: "invalid-close-payload" },
    );
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidCloseCode(code)) {
    throw new WsProtocolError(
      `Cannot parse close payload: code ${code} may not be sent`,
      { code: "invalid-close-code" },
    );
  }
  let reason: string;
  try {
    reason = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      .decode(payload.subarray(2));
  } catch (cause) {
    throw new WsProtocolError(
      "Cannot parse close payload: the reason is not valid UTF-8",
      { code: "invalid-close-reason", cause },
    );
  }
  return { code, reason };
}
