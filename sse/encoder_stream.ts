// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodeSse, type SseMessage } from "./encode.ts";

// Text waiting for the reader beyond this many UTF-16 code units makes the
// writable side wait until the reader takes it.
const PENDING_HIGH_WATER_MARK = 65_536;
const encoder = new TextEncoder();

/**
 * Turns {@linkcode SseMessage} objects into `text/event-stream` bytes, the
 * same bytes {@linkcode encodeSse} writes.
 *
 * Messages written while the reader is busy are joined into one chunk, which
 * its next read receives: a slow client gets few large writes, not many
 * small ones. A reader that is already waiting gets each message as soon as
 * it is written. When more than 64 Ki code units of text are waiting, writes
 * wait for the reader (backpressure).
 *
 * A message that {@linkcode encodeSse} rejects errors the stream with its
 * `TypeError` or `RangeError`. Cancelling the readable side errors the
 * writable side with the same reason, and aborting the writable side errors
 * the readable side.
 *
 * @example Encode messages for a response body
 * ```ts
 * import { SseEncoderStream } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * const body = ReadableStream.from([
 *   { id: "1", data: "hello" },
 *   { event: "bye", data: "two\nlines" },
 * ]).pipeThrough(new SseEncoderStream());
 *
 * strictEqual(
 *   await new Response(body).text(),
 *   "id: 1\ndata: hello\n\nevent: bye\ndata: two\ndata: lines\n\n",
 * );
 * ```
 *
 * @example Messages written before a read arrive as one chunk
 * ```ts
 * import { SseEncoderStream } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const stream = new SseEncoderStream();
 * const writer = stream.writable.getWriter();
 * await writer.write({ data: "a" });
 * await writer.write({ data: "b" });
 * await writer.close();
 *
 * const chunks = await Array.fromAsync(stream.readable);
 * deepStrictEqual(
 *   chunks.map((chunk) => new TextDecoder().decode(chunk)),
 *   ["data: a\n\ndata: b\n\n"],
 * );
 * ```
 */
export class SseEncoderStream extends TransformStream<SseMessage, Uint8Array> {
  /** Makes an encoder stream. */
  constructor() {
    // Design: a `TransformStream` gives its transformer no signal when the
    // reader pulls, and writes queued behind backpressure reach the
    // transformer one at a time, so it cannot join them. (Flushing from a
    // microtask does not help: queued writes reach `transform` a few
    // microtask turns apart, after such a flush has run.) This class
    // therefore keeps its own pull-driven `readable` (an own property that
    // shadows the inherited getter): `transform` appends encoded text to
    // `pending`, and each pull takes all of it as one chunk. The inner
    // readable gets no chunks; its high-water mark of 1 keeps it from ever
    // holding writes back.
    const pending: string[] = [];
    let pendingSize = 0;
    let source!: ReadableStreamDefaultController<Uint8Array>;
    let sink!: TransformStreamDefaultController<Uint8Array>;
    // Resolves the pull that found nothing pending.
    let wanted: (() => void) | undefined;
    // Settles the write that waits for the reader to take `pending`.
    let room: { resolve(): void; reject(reason: unknown): void } | undefined;

    function deliver(): void {
      source.enqueue(encoder.encode(pending.join("")));
      pending.length = 0;
      pendingSize = 0;
      const waiting = room;
      room = undefined;
      waiting?.resolve();
    }

    const readable = new ReadableStream<Uint8Array>({
      start(controller): void {
        source = controller;
      },
      pull(): Promise<void> | void {
        if (pendingSize !== 0) return deliver();
        return new Promise((resolve) => {
          wanted = resolve;
        });
      },
      cancel(reason): void {
        sink.error(reason);
        room?.reject(reason);
        room = undefined;
        wanted?.();
        wanted = undefined;
      },
    }, { highWaterMark: 0 });

    super(
      {
        start(controller): void {
          sink = controller;
        },
        transform(message): Promise<void> | void {
          let text: string;
          try {
            text = encodeSse(message);
          } catch (error) {
            source.error(error);
            throw error;
          }
          pending.push(text);
          pendingSize += text.length;
          const pull = wanted;
          if (pull !== undefined) {
            wanted = undefined;
            deliver();
            pull();
          } else if (pendingSize > PENDING_HIGH_WATER_MARK) {
            return new Promise((resolve, reject) => {
              room = { resolve, reject };
            });
          }
        },
        flush(): void {
          if (pendingSize !== 0) deliver();
          source.close();
          wanted?.();
          wanted = undefined;
        },
      },
      undefined,
      { highWaterMark: 1 },
    );

    // Aborting the writable side errors the inner readable with the
    // reason; pass it on. (Watching the inner readable also works in
    // runtimes whose transformers have no `cancel` hook yet.)
    this.readable.getReader().closed.catch((reason: unknown) => {
      source.error(reason);
      wanted?.();
      wanted = undefined;
    });
    Object.defineProperty(this, "readable", {
      value: readable,
      enumerable: true,
    });
  }
}
