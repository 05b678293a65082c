// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkFraming, createSplitter, type Splitter } from "./_framing.ts";
import type { NulDelimitedMode } from "./nul_delimited_mode.ts";

/**
 * Options for {@linkcode NulDelimitedDecoderStream}.
 *
 * @example Read CRLF-terminated lines of at most 4 KiB
 * ```ts
 * import {
 *   NulDelimitedDecoderStream,
 *   type NulDelimitedDecoderStreamOptions,
 * } from "@serverpush/serverpush/tcp";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const options: NulDelimitedDecoderStreamOptions = { mode: "line", maxMessageBytes: 4096 };
 * const messages = ReadableStream.from([new TextEncoder().encode("a\r\nb\n")])
 *   .pipeThrough(new NulDelimitedDecoderStream(options));
 * deepStrictEqual(await Array.fromAsync(messages), ["a", "b"]);
 * ```
 */
export interface NulDelimitedDecoderStreamOptions {
  /**
   * The delimiter: a NUL byte (`"nul"`, the Flash `XMLSocket` framing) or an
   * LF (`"line"`, where one CR right before the LF is dropped too).
   *
   * @default {"nul"}
   */
  mode?: NulDelimitedMode;
  /**
   * Largest message, in bytes without its delimiter (and without the CR of
   * a CRLF). The stream errors with a `RangeError` as soon as more bytes
   * than that have arrived without a delimiter, so a peer that never sends
   * one cannot make it buffer more.
   *
   * @default {1048576}
   */
  maxMessageBytes?: number;
  /**
   * Error the stream with a `SyntaxError` on invalid UTF-8, instead of
   * replacing each invalid sequence with U+FFFD.
   *
   * @default {false}
   */
  fatal?: boolean;
}

/**
 * Splits bytes into delimited messages and decodes each as UTF-8: the
 * counterpart of {@linkcode NulDelimitedEncoderStream}.
 *
 * Messages may be cut anywhere across chunks, including inside a multi-byte
 * character or between the CR and LF of a CRLF. Bytes of a message are
 * collected as a list of parts and joined once, when its delimiter arrives,
 * so decoding takes time linear in the input however it is chunked.
 *
 * Decisions:
 * - Invalid UTF-8 becomes U+FFFD (as `TextDecoder` does by default), unless
 *   `fatal` is set. A byte order mark is kept as U+FEFF: in a stream of
 *   messages it is content, not a signature.
 * - Empty messages (two delimiters in a row) are emitted as `""`.
 * - Every message ends with its delimiter, even the last one (the encoder
 *   always writes it). Bytes after the last delimiter when the input ends are
 *   a message cut off, for example by a dropped connection: the stream errors
 *   with a `SyntaxError` after emitting every complete message.
 *
 * @example Decode XMLSocket messages that arrive in pieces
 * ```ts
 * import { NulDelimitedDecoderStream } from "@serverpush/serverpush/tcp";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const chunks = [
 *   new Uint8Array([0x3c, 0x61, 0x2f, 0x3e, 0x00, 0xc3]), // "<a/>", NUL, half of "é"
 *   new Uint8Array([0xa9, 0x00]), // the rest of "é", NUL
 * ];
 * const messages = ReadableStream.from(chunks).pipeThrough(new NulDelimitedDecoderStream());
 * deepStrictEqual(await Array.fromAsync(messages), ["<a/>", "é"]);
 * ```
 *
 * @example A message without a delimiter cannot grow past the limit
 * ```ts
 * import { NulDelimitedDecoderStream } from "@serverpush/serverpush/tcp";
 * import { rejects } from "node:assert/strict";
 *
 * const endless = ReadableStream.from([new Uint8Array(10), new Uint8Array(10)]);
 * const messages = endless.pipeThrough(
 *   new NulDelimitedDecoderStream({ mode: "line", maxMessageBytes: 16 }),
 * );
 * await rejects(Array.fromAsync(messages), RangeError);
 * ```
 */
export class NulDelimitedDecoderStream
  extends TransformStream<Uint8Array, string> {
  /**
   * Creates a decoder.
   *
   * @param options Delimiter, size limit and UTF-8 error mode.
   * @throws {TypeError} If `mode` is not `"nul"` or `"line"`.
   * @throws {RangeError} If `maxMessageBytes` is not a positive integer.
   */
  constructor(options: NulDelimitedDecoderStreamOptions = {}) {
    const framing = checkFraming("create decoder", options);
    const fatal = options.fatal ?? false;
    let splitter!: Splitter;
    super({
      start(controller): void {
        splitter = createSplitter(
          { ...framing, fatal },
          (text) => controller.enqueue(text),
        );
      },
      transform(chunk): void {
        splitter.push(chunk);
      },
      flush(): void {
        splitter.flush();
      },
    });
  }
}
