// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

// Frame header writing shared by encodeFrame and encodeFrameHeader.

import type { WsFrame } from "./frame.ts";

/** Throws a RangeError if the frame breaks RFC 6455 on its own. */
export function checkFrame(frame: WsFrame, verb: string): void {
  const opcode = frame.opcode;
  const length = frame.payload.length;
  if (opcode >= 8) {
    if (opcode !== 8 && opcode !== 9 && opcode !== 10) {
      throw new RangeError(
        `Cannot ${verb}: opcode ${opcode} is not a defined opcode`,
      );
    }
    if (!frame.fin) {
      throw new RangeError(
        `Cannot ${verb}: control frame with opcode ${opcode} must have fin set`,
      );
    }
    if (length > 125) {
      throw new RangeError(
        `Cannot ${verb}: control frame payload of ${length} bytes exceeds 125 bytes`,
      );
    }
  } else if (opcode !== 0 && opcode !== 1 && opcode !== 2) {
    throw new RangeError(
      `Cannot ${verb}: opcode ${opcode} is not a defined opcode`,
    );
  }
}

/** Bytes the header of a frame with this payload length takes. */
export function headerLength(length: number, masked: boolean): number {
  return 2 + (length > 0xffff ? 8 : length > 125 ? 2 : 0) + (masked ? 4 : 0);
}

/**
 * Writes the header at the start of `out`, with the masking key at
 * `mask[maskOffset..]` if there is one. Returns the header's length.
 */
export function writeHeader(
  out: Uint8Array,
  frame: WsFrame,
  length: number,
  mask: Uint8Array | undefined,
  maskOffset = 0,
): number {
  out[0] = (frame.fin ? 0x80 : 0) | (frame.rsv1 ? 0x40 : 0) |
    (frame.rsv2 ? 0x20 : 0) | (frame.rsv3 ? 0x10 : 0) | frame.opcode;
  const maskBit = mask === undefined ? 0 : 0x80;
  let end = 2;
  if (length <= 125) {
    out[1] = maskBit | length;
  } else if (length <= 0xffff) {
    out[1] = maskBit | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    end = 4;
  } else {
    out[1] = maskBit | 127;
    const hi = Math.floor(length / 0x100000000);
    out[2] = hi >>> 24;
    out[3] = (hi >>> 16) & 0xff;
    out[4] = (hi >>> 8) & 0xff;
    out[5] = hi & 0xff;
    out[6] = length >>> 24;
    out[7] = (length >>> 16) & 0xff;
    out[8] = (length >>> 8) & 0xff;
    out[9] = length & 0xff;
    end = 10;
  }
  if (mask === undefined) return end;
  out[end] = mask[maskOffset]!;
  out[end + 1] = mask[maskOffset + 1]!;
  out[end + 2] = mask[maskOffset + 2]!;
  out[end + 3] = mask[maskOffset + 3]!;
  return end + 4;
}
