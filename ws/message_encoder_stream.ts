// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { truncate } from "../_internal/truncate.ts";
import type { WsCompressor } from "./compressor.ts";
import { encodeClosePayload } from "./encode_close_payload.ts";
import type { WsFrame } from "./frame.ts";
import type { WsMessage } from "./message.ts";

/** Options for {@linkcode WsMessageEncoderStream}. */
export interface WsMessageEncoderStreamOptions {
  /**
   * Split text and binary messages whose (compressed) payload is longer than
   * this many bytes into fragments of at most this size. Control messages
   * are never fragmented. Leave out to send every message as one frame.
   *
   * @default {undefined}
   */
  fragmentBytes?: number;
  /**
   * The negotiated compression (permessage-deflate). Text and binary
   * messages of at least `compressor.threshold` bytes are compressed, with
   * RSV1 set on their first frame; smaller ones go as they are.
   *
   * @default {undefined}
   */
  compressor?: WsCompressor;
}

const encoder = new TextEncoder();

function frame(
  fin: boolean,
  rsv1: boolean,
  opcode: number,
  payload: Uint8Array,
): WsFrame {
  return { fin, rsv1, rsv2: false, rsv3: false, opcode, payload };
}

/**
 * Turns {@linkcode WsMessage}s into {@linkcode WsFrame}s, ready for
 * {@linkcode WsFrameEncoderStream}.
 *
 * Text is encoded as UTF-8; binary, ping and pong data go as they are (never
 * modified; fragments are views). A close message becomes
 * {@linkcode encodeClosePayload}`(code, reason)`. Invalid messages error the
 * stream: a `RangeError` for a ping or pong over 125 bytes, a close code that
 * may not be sent or a reason over 123 bytes, a `TypeError` for an unknown
 * message type.
 *
 * @example Send a text message in fragments of 4 bytes
 * ```ts
 * import { WsMessageEncoderStream } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([{ type: "text" as const, data: "Hello!" }])
 *     .pipeThrough(new WsMessageEncoderStream({ fragmentBytes: 4 })),
 * );
 * deepStrictEqual(frames.map((f) => [f.fin, f.opcode, f.payload.length]), [[false, 1, 4], [true, 0, 2]]);
 * ```
 */
export class WsMessageEncoderStream
  extends TransformStream<WsMessage, WsFrame> {
  /**
   * Creates the stream.
   *
   * @param options Fragmentation and compression.
   */
  constructor(options: WsMessageEncoderStreamOptions = {}) {
    const fragmentBytes = options.fragmentBytes ?? Infinity;
    if (
      !(fragmentBytes >= 1) ||
      (fragmentBytes !== Infinity && !Number.isInteger(fragmentBytes))
    ) {
      throw new RangeError(
        `Cannot create message encoder: fragmentBytes ${fragmentBytes} is not a positive integer`,
      );
    }
    const compressor = options.compressor;

    function emitData(
      opcode: number,
      payload: Uint8Array,
      rsv1: boolean,
      controller: TransformStreamDefaultController<WsFrame>,
    ): void {
      const length = payload.length;
      if (length <= fragmentBytes) {
        controller.enqueue(frame(true, rsv1, opcode, payload));
        return;
      }
      let op = opcode;
      let first = rsv1;
      for (let offset = 0; offset < length; offset += fragmentBytes) {
        const end = Math.min(offset + fragmentBytes, length);
        controller.enqueue(
          frame(end === length, first, op, payload.subarray(offset, end)),
        );
        op = 0;
        first = false;
      }
    }

    function control(
      opcode: number,
      name: string,
      data: Uint8Array,
      controller: TransformStreamDefaultController<WsFrame>,
    ): void {
      if (data.length > 125) {
        throw new RangeError(
          `Cannot encode ${name} message: data of ${data.length} bytes exceeds 125 bytes`,
        );
      }
      controller.enqueue(frame(true, false, opcode, data));
    }

    super({
      transform(message, controller): void | Promise<void> {
        switch (message.type) {
          case "text":
          case "binary": {
            const opcode = message.type === "text" ? 1 : 2;
            const payload = message.type === "text"
              ? encoder.encode(message.data)
              : message.data;
            if (
              compressor === undefined || payload.length < compressor.threshold
            ) {
              emitData(opcode, payload, false, controller);
              return;
            }
            return compressor.compress(payload).then((compressed) =>
              emitData(opcode, compressed, true, controller)
            );
          }
          case "ping":
            return control(9, "ping", message.data, controller);
          case "pong":
            return control(10, "pong", message.data, controller);
          case "close":
            controller.enqueue(
              frame(
                true,
                false,
                8,
                encodeClosePayload(message.code, message.reason),
              ),
            );
            return;
          default:
            throw new TypeError(
              `Cannot encode message: type "${
                truncate(String((message as { type: unknown }).type), 20)
              }" is not text, binary, ping, pong or close`,
            );
        }
      },
    });
  }
}
