// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import { encodeFrame } from "./encode_frame.ts";

/** Options for {@linkcode WsFrameEncoderStream}. */
export interface WsFrameEncoderStreamOptions {
  /**
   * Which end of the connection writes these frames: a client masks every
   * frame with a fresh random key, a server never masks.
   */
  role: "client" | "server";
}

/** Random bytes drawn at once for masking keys (256 keys). */
const KEY_POOL_BYTES = 1024;

/**
 * Turns {@linkcode WsFrame}s into wire bytes, one chunk per frame.
 *
 * With `role: "client"` every frame is masked with a fresh key from
 * `crypto.getRandomValues` (drawn 256 keys at a time), whatever its `mask`
 * says; with `role: "server"` no frame is masked. Payloads are never
 * modified. A frame {@linkcode encodeFrame} rejects errors the stream with
 * its `RangeError`.
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
    const role = options.role;
    if (role !== "client" && role !== "server") {
      throw new TypeError(
        `Cannot create frame encoder: role "${
          String(role).slice(0, 20)
        }" is neither "client" nor "server"`,
      );
    }
    if (role === "server") {
      super({
        transform(frame, controller): void {
          controller.enqueue(encodeFrame(frame, { mask: false }));
        },
      });
      return;
    }
    let pool = new Uint8Array(0);
    let next = 0;
    super({
      transform(frame, controller): void {
        if (next === pool.length) {
          pool = crypto.getRandomValues(new Uint8Array(KEY_POOL_BYTES));
          next = 0;
        }
        const mask = pool.subarray(next, next + 4);
        next += 4;
        controller.enqueue(encodeFrame(frame, { mask }));
      },
    });
  }
}
