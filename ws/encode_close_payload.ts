// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { isValidCloseCode } from "./is_valid_close_code.ts";

const encoder = new TextEncoder();

/**
 * Builds the payload of a close frame: the code as two big-endian bytes,
 * then the reason in UTF-8.
 *
 * Code 1005 (`NoStatus`) with an empty reason gives an empty payload, the
 * close frame that carries no code, so a decoded close message encodes back
 * to the frame it came from.
 *
 * @param code The close code; {@linkcode isValidCloseCode} must accept it,
 * or it must be 1005 with an empty reason.
 * @param reason The reason, at most 123 bytes in UTF-8.
 * @returns The close frame payload.
 * @throws {RangeError} If the code may not be sent or the reason is longer
 * than 123 bytes.
 *
 * @example Encode a normal closure
 * ```ts
 * import { encodeClosePayload } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * deepStrictEqual(encodeClosePayload(1000, "ok"), new Uint8Array([0x03, 0xe8, 0x6f, 0x6b]));
 * deepStrictEqual(encodeClosePayload(1005), new Uint8Array(0));
 * ```
 */
export function encodeClosePayload(code: number, reason = ""): Uint8Array {
  if (code === 1005 && reason === "") return new Uint8Array(0);
  if (!isValidCloseCode(code)) {
    throw new RangeError(
      `Cannot encode close payload: code ${code} may not be sent${
        code === 1005 ? " with a reason" : ""
      }`,
    );
  }
  // Every UTF-16 code unit takes at least one byte in UTF-8.
  const out = new Uint8Array(2 + Math.min(reason.length, 124) * 3);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  const { read, written } = encoder.encodeInto(reason, out.subarray(2));
  if (read < reason.length || written > 123) {
    throw new RangeError(
      `Cannot encode close payload: reason of ${
        read < reason.length ? "more than 123" : written
      } bytes exceeds 123 bytes`,
    );
  }
  return out.slice(0, 2 + written);
}
