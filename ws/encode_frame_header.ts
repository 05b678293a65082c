// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import { checkFrame, headerLength, writeHeader } from "./_frame_header.ts";

/**
 * Serializes only the header of an unmasked frame, for writers that send
 * the payload as a separate chunk instead of copying it.
 *
 * The header followed by `frame.payload` is exactly what
 * {@linkcode encodeFrame}`(frame, { mask: false })` returns. Use it on the
 * server side, where frames are never masked, to send a large payload
 * without copying it (for example one shared buffer fanned out to many
 * connections). Clients must mask: they use {@linkcode encodeFrame}.
 *
 * @param frame The frame; its `mask`, if any, is ignored.
 * @returns The 2 to 10 header bytes.
 * @throws {RangeError} On the same frames {@linkcode encodeFrame} rejects.
 *
 * @example Send a large payload without copying it
 * ```ts
 * import { encodeFrame, encodeFrameHeader, Opcode } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const frame = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Binary, payload: new Uint8Array(70_000) };
 * const header = encodeFrameHeader(frame);
 * deepStrictEqual(header, new Uint8Array([0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]));
 * deepStrictEqual(
 *   new Uint8Array([...header, ...frame.payload]),
 *   encodeFrame(frame, { mask: false }),
 * );
 * ```
 */
export function encodeFrameHeader(frame: WsFrame): Uint8Array {
  checkFrame(frame, "encode frame header");
  const length = frame.payload.length;
  const out = new Uint8Array(headerLength(length, false));
  writeHeader(out, frame, length, undefined);
  return out;
}
