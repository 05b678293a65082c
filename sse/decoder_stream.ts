// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { createSseParser, type SseEvent, type SseParser } from "./parser.ts";

/** Options for {@linkcode SseDecoderStream}. */
export interface SseDecoderStreamOptions {
  /**
   * Largest event the stream buffers, in UTF-8 bytes (see
   * {@linkcode SseParserOptions.maxEventBytes}). Going past it errors the
   * stream with a `RangeError`.
   *
   * @default {16777216}
   */
  maxEventBytes?: number;
  /**
   * Called with the new reconnection time, in milliseconds, for each valid
   * `retry` field.
   *
   * @default {undefined}
   */
  onRetry?: (ms: number) => void;
  /**
   * Called with the text of each comment line, less the colon and one
   * leading space.
   *
   * @default {undefined}
   */
  onComment?: (text: string) => void;
  /**
   * Last event id to start from, as when resuming after a reconnect: events
   * that arrive before any `id` field carry it.
   *
   * @default {""}
   */
  lastEventId?: string;
}

/**
 * Decodes a `text/event-stream` body into {@linkcode SseEvent} objects,
 * following the WHATWG HTML event stream interpretation exactly (see
 * {@linkcode createSseParser}).
 *
 * Chunks may be bytes, decoded as UTF-8 whatever the charset, or strings of
 * already-decoded text. A block left unterminated when the input ends is
 * discarded. An event larger than `maxEventBytes`, or an error thrown by a
 * callback, errors the stream.
 *
 * @see {@link https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation}
 *
 * @example Decode a response body
 * ```ts
 * import { SseDecoderStream } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const body = new Response("id: 1\ndata: hello\n\nevent: bye\ndata: \n\n").body!;
 * const events = await Array.fromAsync(body.pipeThrough(new SseDecoderStream()));
 *
 * deepStrictEqual(events, [
 *   { type: "message", data: "hello", lastEventId: "1" },
 *   { type: "bye", data: "", lastEventId: "1" },
 * ]);
 * ```
 *
 * @example Resume from a last event id and watch `retry`
 * ```ts
 * import { SseDecoderStream } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const decoder = new SseDecoderStream({ lastEventId: "41" });
 * const body = ReadableStream.from(["retry: 2000\ndata: a\n\nid: 42\ndata: b\n\n"]);
 * const events = await Array.fromAsync(body.pipeThrough(decoder));
 *
 * deepStrictEqual(events.map((event) => event.lastEventId), ["41", "42"]);
 * strictEqual(decoder.lastEventId, "42");
 * strictEqual(decoder.retry, 2000);
 * ```
 */
export class SseDecoderStream
  extends TransformStream<Uint8Array | string, SseEvent> {
  #parser: SseParser;

  /**
   * Makes a decoder stream.
   *
   * @param options Event size limit, callbacks and initial last event id.
   * @throws {RangeError} If `maxEventBytes` is not a non-negative integer or
   * `Infinity`.
   */
  constructor(options: SseDecoderStreamOptions = {}) {
    let controller!: TransformStreamDefaultController<SseEvent>;
    const parser = createSseParser({
      onEvent(event: SseEvent): void {
        controller.enqueue(event);
      },
      onRetry: options.onRetry,
      onComment: options.onComment,
    }, {
      maxEventBytes: options.maxEventBytes,
      lastEventId: options.lastEventId,
    });
    super({
      start(c): void {
        controller = c;
      },
      transform(chunk): void {
        parser.feed(chunk);
      },
      flush(): void {
        parser.end();
      },
    });
    this.#parser = parser;
  }

  /** The last event id, as committed by the latest blank line. */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  /** The latest reconnection time from a valid `retry` field, if any. */
  get retry(): number | undefined {
    return this.#parser.retry;
  }
}
