// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import { createFrameEncoder } from "./frame_encoder.ts";

/** Options for {@linkcode WsFrameEncoderStream}. */
export interface WsFrameEncoderStreamOptions {
  /**
   * Which end of the connection writes these frames: a client masks every
   * frame with a fresh random key, a server never masks.
   */
  role: "client" | "server";
}

/**
 * Turns {@linkcode WsFrame}s into wire bytes, one chunk per frame.
 *
 * This is {@linkcode createFrameEncoder} as a stream. With `role: "client"`
 * every frame is masked with a fresh key from `crypto.getRandomValues`,
 * whatever its `mask` says; with `role: "server"` no frame is masked.
 * Payloads are never modified; small frames share buffers (see
 * {@linkcode createFrameEncoder}). A frame {@linkcode encodeFrame} rejects
 * errors the stream with its `RangeError`.
 *
 * @example Encode a text frame as a server
 * ```ts
 * import { Opcode, WsFrameEncoderStream } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const bytes = await Array.fromAsync(
 *   ReadableStream.from([
 *     { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Text, payload: new TextEncoder().encode("Hi") },
 *   ]).pipeThrough(new WsFrameEncoderStream({ role: "server" })),
 * );
 * deepStrictEqual(bytes, [new Uint8Array([0x81, 0x02, 0x48, 0x69])]);
 * ```
 */
export class WsFrameEncoderStream extends TransformStream<WsFrame, Uint8Array> {
  /**
   * Creates the stream.
   *
   * @param options Which end of the connection this is.
   */
  constructor(options: WsFrameEncoderStreamOptions) {
    const encoder = createFrameEncoder(options);
    super({
      transform(frame, controller): void {
        controller.enqueue(encoder.encode(frame));
      },
    });
  }
}
