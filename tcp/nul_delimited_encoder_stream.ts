// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkFraming, encodeFrame } from "./_framing.ts";
import type { NulDelimitedMode } from "./nul_delimited_mode.ts";

/**
 * Options for {@linkcode NulDelimitedEncoderStream}.
 *
 * @example Encode LF-terminated lines of at most 1 KiB
 * ```ts
 * import {
 *   NulDelimitedEncoderStream,
 *   type NulDelimitedEncoderStreamOptions,
 * } from "@serverpush/serverpush/tcp";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: NulDelimitedEncoderStreamOptions = { mode: "line", maxMessageBytes: 1024 };
 * const text = ReadableStream.from(["a", "b"])
 *   .pipeThrough(new NulDelimitedEncoderStream(options))
 *   .pipeThrough(new TextDecoderStream());
 * strictEqual((await Array.fromAsync(text)).join(""), "a\nb\n");
 * ```
 */
export interface NulDelimitedEncoderStreamOptions {
  /**
   * The delimiter: a NUL byte (`"nul"`, the Flash `XMLSocket` framing) or an
   * LF (`"line"`).
   *
   * @default {"nul"}
   */
  mode?: NulDelimitedMode;
  /**
   * Largest message, in UTF-8 bytes without its delimiter. A longer message
   * errors the stream with a `RangeError`.
   *
   * @default {1048576}
   */
  maxMessageBytes?: number;
}

/**
 * Turns strings into delimited messages: the UTF-8 bytes of each string
 * followed by one NUL byte (or, in `"line"` mode, one LF), one chunk per
 * message.
 *
 * A message that contains its own delimiter would arrive as two, so the
 * stream errors with a `TypeError` instead: a NUL character in `"nul"` mode,
 * CR or LF in `"line"` mode (a CR would be taken for half of a CRLF). Send
 * such data escaped, for example as JSON. Empty strings are valid messages.
 * Lone surrogates are encoded as U+FFFD, as `TextEncoder` does.
 *
 * @example Frame messages for a Flash XMLSocket client
 * ```ts
 * import { NulDelimitedEncoderStream } from "@serverpush/serverpush/tcp";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(["<a/>", "é"]).pipeThrough(new NulDelimitedEncoderStream()),
 * );
 * deepStrictEqual(chunks, [
 *   new Uint8Array([0x3c, 0x61, 0x2f, 0x3e, 0x00]),
 *   new Uint8Array([0xc3, 0xa9, 0x00]),
 * ]);
 * ```
 *
 * @example A message that contains the delimiter errors the stream
 * ```ts
 * import { NulDelimitedEncoderStream } from "@serverpush/serverpush/tcp";
 * import { rejects } from "node:assert/strict";
 *
 * const bytes = ReadableStream.from(["one\ntwo"])
 *   .pipeThrough(new NulDelimitedEncoderStream({ mode: "line" }));
 * await rejects(Array.fromAsync(bytes), TypeError);
 * ```
 */
export class NulDelimitedEncoderStream
  extends TransformStream<string, Uint8Array> {
  /**
   * Creates an encoder.
   *
   * @param options Delimiter and size limit.
   * @throws {TypeError} If `mode` is not `"nul"` or `"line"`.
   * @throws {RangeError} If `maxMessageBytes` is not a positive integer.
   */
  constructor(options: NulDelimitedEncoderStreamOptions = {}) {
    const framing = checkFraming("create encoder", options);
    super({
      transform(message, controller): void {
        controller.enqueue(encodeFrame(message, framing));
      },
    });
  }
}
