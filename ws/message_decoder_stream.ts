// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkByteLimit } from "../_internal/check.ts";
import type { WsCompressor } from "./compressor.ts";
import type { WsFrame } from "./frame.ts";
import type { WsMessage } from "./message.ts";
import { parseClosePayload } from "./parse_close_payload.ts";
import { WsProtocolError, type WsProtocolErrorCode } from "./protocol_error.ts";
import { appendToMessage, finishMessage } from "./_message_buffer.ts";
import { checkUtf8, UTF8_ACCEPT, UTF8_REJECT } from "./_utf8.ts";

/** Options for {@linkcode WsMessageDecoderStream}. */
export interface WsMessageDecoderStreamOptions {
  /**
   * Largest message, in bytes, summed over its fragments (after
   * decompression). A message that grows past it fails with close code 1009
   * as soon as the fragment that crosses the limit arrives. A fragmented
   * message is assembled in one buffer that grows by doubling, so it holds
   * at most twice its bytes so far (and at most this limit), however many
   * fragments it comes in: fragments cost no memory of their own.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * The negotiated compression (permessage-deflate). Messages whose first
   * frame has RSV1 set are decompressed fragment by fragment; without a
   * compressor, RSV1 fails the connection.
   *
   * @default {undefined}
   */
  compressor?: WsCompressor;
}

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

function protocolError(
  message: string,
  code: WsProtocolErrorCode,
  cause?: unknown,
): WsProtocolError {
  return new WsProtocolError(`Cannot decode message: ${message}`, {
    code,
    cause,
  });
}

/**
 * Turns {@linkcode WsFrame}s into {@linkcode WsMessage}s: reassembles
 * fragmented messages, validates text and close frames, and decompresses.
 *
 * - Control frames (ping, pong, close) come out as they arrive, also between
 *   the fragments of a message.
 * - Text is validated as UTF-8 fragment by fragment, so an invalid byte
 *   fails the connection (1007) when its fragment arrives, not at the end of
 *   the message; a code point split across fragments is fine. A leading
 *   byte order mark is kept as U+FEFF.
 * - `maxMessageBytes` is enforced across fragments (1009).
 * - A continuation with no message in progress, or a new text or binary
 *   frame while one is, fails with 1002.
 * - A close frame is parsed with {@linkcode parseClosePayload}. Frames after
 *   it are ignored, and a message left incomplete by it is dropped.
 * - If the input ends inside a fragmented message (and no close frame came),
 *   the stream errors with `"unexpected-end"` (1006).
 *
 * Frame-level rules (reserved bits and opcodes, control frame length and
 * FIN) are checked again here, so frames from any source are safe to feed.
 * Binary and ping / pong data may be views into the frames' payloads.
 * Violations error the stream with a {@linkcode WsProtocolError}; messages
 * before the violation are still delivered first.
 *
 * @example Reassemble a fragmented text message
 * ```ts
 * import { Opcode, WsMessageDecoderStream, type WsFrame } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("Hello");
 * const frames: WsFrame[] = [
 *   { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Text, payload: bytes.subarray(0, 3) },
 *   { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Ping, payload: new Uint8Array(0) },
 *   { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Continuation, payload: bytes.subarray(3) },
 * ];
 * const messages = await Array.fromAsync(
 *   ReadableStream.from(frames).pipeThrough(new WsMessageDecoderStream()),
 * );
 * deepStrictEqual(messages, [
 *   { type: "ping", data: new Uint8Array(0) },
 *   { type: "text", data: "Hello" },
 * ]);
 * ```
 */
export class WsMessageDecoderStream
  extends TransformStream<WsFrame, WsMessage> {
  /**
   * Creates the stream.
   *
   * @param options The message size limit and the compressor.
   */
  constructor(options: WsMessageDecoderStreamOptions = {}) {
    const maxBytes = checkByteLimit(
      "create message decoder",
      "maxMessageBytes",
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    );
    const compressor = options.compressor;
    const textDecoder = new TextDecoder("utf-8", {
      fatal: true,
      ignoreBOM: true,
    });
    const looseDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

    let closed = false;
    let inMessage = false;
    let isText = false;
    let compressed = false;
    let size = 0;
    /** The fragmented message so far: one buffer, `size` bytes used. */
    let buffer: Uint8Array | undefined;
    /** Where the UTF-8 check of a fragmented text message stands. */
    let utf8 = UTF8_ACCEPT;

    function tooLarge(bytes: number): WsProtocolError {
      return protocolError(
        `message of ${bytes} bytes exceeds maxMessageBytes of ${maxBytes}`,
        "message-too-large",
      );
    }

    function decodeText(data: Uint8Array): string {
      try {
        return textDecoder.decode(data);
      } catch (cause) {
        throw protocolError(
          "text is not valid UTF-8",
          "invalid-utf8",
          cause,
        );
      }
    }

    /** Adds (decompressed) bytes to the open message; enqueues it on fin. */
    function accept(
      data: Uint8Array,
      fin: boolean,
      controller: TransformStreamDefaultController<WsMessage>,
    ): void {
      if (size + data.length > maxBytes) throw tooLarge(size + data.length);
      if (isText) {
        utf8 = checkUtf8(data, 0, data.length, utf8);
        if (utf8 === UTF8_REJECT || (fin && utf8 !== UTF8_ACCEPT)) {
          throw protocolError("text is not valid UTF-8", "invalid-utf8");
        }
      }
      if (data.length > 0) {
        buffer = appendToMessage(buffer, size, data, maxBytes);
        size += data.length;
      }
      if (!fin) return;
      inMessage = false;
      const bytes = finishMessage(buffer, size);
      buffer = undefined;
      controller.enqueue(
        isText
          ? { type: "text", data: looseDecoder.decode(bytes) }
          : { type: "binary", data: bytes },
      );
    }

    async function inflate(
      payload: Uint8Array,
      fin: boolean,
      controller: TransformStreamDefaultController<WsMessage>,
    ): Promise<void> {
      let data: Uint8Array;
      try {
        data = await compressor!.decompress(payload, fin, maxBytes);
      } catch (cause) {
        throw cause instanceof RangeError
          ? protocolError(
            `message exceeds maxMessageBytes of ${maxBytes} once decompressed`,
            "message-too-large",
            cause,
          )
          : protocolError(
            "the compressed data is invalid",
            "invalid-compressed-data",
            cause,
          );
      }
      accept(data, fin, controller);
    }

    function reservedBits(frame: WsFrame): WsProtocolError {
      const bit = frame.rsv2 ? "RSV2" : frame.rsv3 ? "RSV3" : "RSV1";
      return protocolError(
        `${bit} is set on a frame with opcode ${frame.opcode} and no extension allows it there`,
        "reserved-bits",
      );
    }

    super({
      transform(frame, controller): void | Promise<void> {
        if (closed) return;
        const opcode = frame.opcode;
        const payload = frame.payload;
        if (opcode >= 8) {
          if (frame.rsv1 || frame.rsv2 || frame.rsv3) throw reservedBits(frame);
          if (opcode > 10) {
            throw protocolError(
              `opcode ${opcode} is reserved`,
              "reserved-opcode",
            );
          }
          if (!frame.fin) {
            throw protocolError(
              `control frame with opcode ${opcode} has FIN clear`,
              "fragmented-control-frame",
            );
          }
          if (payload.length > 125) {
            throw protocolError(
              `control frame with opcode ${opcode} is longer than 125 bytes`,
              "control-frame-too-long",
            );
          }
          if (opcode === 9) {
            controller.enqueue({ type: "ping", data: payload });
          } else if (opcode === 10) {
            controller.enqueue({ type: "pong", data: payload });
          } else {
            const { code, reason } = parseClosePayload(payload);
            closed = true;
            inMessage = false;
            buffer = undefined;
            controller.enqueue({ type: "close", code, reason });
          }
          return;
        }
        if (frame.rsv2 || frame.rsv3) throw reservedBits(frame);
        if (opcode === 0) {
          if (!inMessage) {
            throw protocolError(
              "a continuation frame arrived with no message in progress",
              "unexpected-continuation",
            );
          }
          if (frame.rsv1) throw reservedBits(frame);
          return compressed
            ? inflate(payload, frame.fin, controller)
            : accept(payload, frame.fin, controller);
        }
        if (opcode > 2) {
          throw protocolError(
            `opcode ${opcode} is reserved`,
            "reserved-opcode",
          );
        }
        if (inMessage) {
          throw protocolError(
            `a frame with opcode ${opcode} arrived while a fragmented message was in progress`,
            "expected-continuation",
          );
        }
        if (frame.rsv1 && compressor === undefined) throw reservedBits(frame);
        isText = opcode === 1;
        compressed = frame.rsv1;
        if (frame.fin && !compressed) {
          // One-frame message: the common case.
          if (payload.length > maxBytes) throw tooLarge(payload.length);
          controller.enqueue(
            isText
              ? { type: "text", data: decodeText(payload) }
              : { type: "binary", data: payload },
          );
          return;
        }
        inMessage = true;
        size = 0;
        utf8 = UTF8_ACCEPT;
        return compressed
          ? inflate(payload, frame.fin, controller)
          : accept(payload, frame.fin, controller);
      },
      flush(): void {
        if (inMessage) {
          throw protocolError(
            `input ended inside a fragmented message after ${size} bytes`,
            "unexpected-end",
          );
        }
      },
    });
  }
}
