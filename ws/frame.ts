// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * One WebSocket frame (RFC 6455 section 5.2), with its payload unmasked.
 *
 * When decoded, `mask` holds the masking key the frame arrived with (the
 * payload is already unmasked). When encoded with
 * {@linkcode encodeFrame}, a `mask` on the frame is used as the key unless
 * the options say otherwise.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-5.2}
 *
 * @example A final text frame
 * ```ts
 * import { encodeFrame, Opcode, type WsFrame } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const frame: WsFrame = {
 *   fin: true,
 *   rsv1: false,
 *   rsv2: false,
 *   rsv3: false,
 *   opcode: Opcode.Text,
 *   payload: new TextEncoder().encode("Hi"),
 * };
 * deepStrictEqual(encodeFrame(frame), new Uint8Array([0x81, 0x02, 0x48, 0x69]));
 * ```
 */
export interface WsFrame {
  /** Final fragment of its message; always true on control frames. */
  fin: boolean;
  /** RSV1: set on the first frame of a compressed message (RFC 7692). */
  rsv1: boolean;
  /** RSV2: reserved for extensions; no extension here uses it. */
  rsv2: boolean;
  /** RSV3: reserved for extensions; no extension here uses it. */
  rsv3: boolean;
  /** The 4-bit opcode, one of {@linkcode Opcode}'s values on a valid frame. */
  opcode: number;
  /** The application data, unmasked. */
  payload: Uint8Array;
  /** The 4-byte masking key, on frames sent by a client. */
  mask?: Uint8Array;
}
