// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import { checkFrame, headerLength, writeHeader } from "./_frame_header.ts";
import { xorMask } from "./_mask.ts";

/** Options for {@linkcode encodeFrame}. */
export interface EncodeFrameOptions {
  /**
   * Masking: `true` draws a fresh 4-byte key from `crypto.getRandomValues`,
   * a `Uint8Array` of 4 bytes is used as the key, and `false` sends the
   * frame unmasked. When left out, the frame's own `mask` is used if it has
   * one, and the frame goes unmasked otherwise.
   *
   * Clients must mask every frame with a fresh, unpredictable key; servers
   * must never mask.
   *
   * @default {undefined}
   */
  mask?: boolean | Uint8Array;
}

/**
 * Serializes one {@linkcode WsFrame} into wire bytes (RFC 6455 section 5.2).
 *
 * The payload length takes the shortest form (7, 16 or 64 bits). The result
 * is one new buffer holding header and payload; the caller's payload is
 * never modified, masked or not.
 *
 * @param frame The frame to encode.
 * @param options How to mask it.
 * @returns The frame's bytes.
 * @throws {RangeError} If the opcode is not one of {@linkcode Opcode}'s, a
 * control frame (close, ping, pong) is longer than 125 bytes or has `fin`
 * clear, or a masking key is not 4 bytes long.
 *
 * @example Encode a masked ping with a given key
 * ```ts
 * import { encodeFrame, Opcode } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const bytes = encodeFrame(
 *   { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Ping, payload: new Uint8Array([1, 2]) },
 *   { mask: new Uint8Array([0xff, 0x00, 0xff, 0x00]) },
 * );
 * deepStrictEqual(bytes, new Uint8Array([0x89, 0x82, 0xff, 0x00, 0xff, 0x00, 0xfe, 0x02]));
 * ```
 */
export function encodeFrame(
  frame: WsFrame,
  options?: EncodeFrameOptions,
): Uint8Array {
  checkFrame(frame, "encode frame");
  const payload = frame.payload;
  const length = payload.length;

  const option = options?.mask;
  let mask: Uint8Array | undefined;
  if (option === true) {
    mask = crypto.getRandomValues(new Uint8Array(4));
  } else if (option === undefined) {
    mask = frame.mask;
  } else if (option !== false) {
    mask = option;
  }
  if (mask !== undefined && mask.length !== 4) {
    throw new RangeError(
      `Cannot encode frame: masking key is ${mask.length} bytes, not 4`,
    );
  }

  const start = headerLength(length, mask !== undefined);
  const out = new Uint8Array(start + length);
  writeHeader(out, frame, length, mask);
  if (length > 0) out.set(payload, start);
  if (mask !== undefined) xorMask(out, start, start + length, mask);
  return out;
}
