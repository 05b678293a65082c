// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsFrame } from "./frame.ts";
import {
  createFrameParser,
  type WsFrameParserOptions,
} from "./frame_parser.ts";

/**
 * Options for {@linkcode WsFrameDecoderStream}: the same as the parser's.
 */
export type WsFrameDecoderStreamOptions = WsFrameParserOptions;

/**
 * Turns WebSocket wire bytes into {@linkcode WsFrame}s, payloads unmasked.
 *
 * This is {@linkcode createFrameParser} as a stream; its documentation says
 * what is checked and who owns the payload memory. On a protocol violation
 * the stream errors with a {@linkcode WsProtocolError} that carries the close
 * code to send. The frames that came before the bad one are still delivered
 * first, whichever way the bytes were chunked: the readable side errors only
 * once they have been read. The writable side errors at once, so a piped
 * source (a socket) is cancelled without delay. Input that ends inside a
 * frame errors the stream with code `"unexpected-end"` (close code 1006).
 *
 * Backpressure: a chunk is parsed only when the reader wants a frame, so at
 * most one chunk's frames wait in the readable side.
 *
 * @example Decode a masked frame from a client
 * ```ts
 * import { WsFrameDecoderStream } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x81, 0x82, 0x01, 0x02, 0x03, 0x04, 0x49, 0x6b]);
 * const [frame] = await Array.fromAsync(
 *   ReadableStream.from([bytes]).pipeThrough(new WsFrameDecoderStream({ role: "server" })),
 * );
 * strictEqual(new TextDecoder().decode(frame!.payload), "Hi");
 * ```
 *
 * @example Fail on an unmasked frame from a client
 * ```ts
 * import { WsFrameDecoderStream, WsProtocolError } from "@serverpush/serverpush/ws";
 * import { rejects } from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x81, 0x02, 0x48, 0x69]);
 * await rejects(
 *   Array.fromAsync(ReadableStream.from([bytes]).pipeThrough(new WsFrameDecoderStream({ role: "server" }))),
 *   (error) => error instanceof WsProtocolError && error.closeCode === 1002,
 * );
 * ```
 */
export class WsFrameDecoderStream extends TransformStream<Uint8Array, WsFrame> {
  /**
   * Creates the stream.
   *
   * @param options The role and the limits.
   */
  constructor(options: WsFrameDecoderStreamOptions) {
    // The readable side is our own stream rather than the TransformStream's:
    // erroring a stream discards its queue, and a chunk may hold good frames
    // followed by a bad one. So the error waits for the queue to drain, and
    // the writable side applies the backpressure a TransformStream would.
    let out!: ReadableStreamDefaultController<WsFrame>;
    let sink!: TransformStreamDefaultController<WsFrame>;
    let demand = false;
    let wake: (() => void) | undefined;
    let pendingError: { error: unknown } | undefined;
    let done = false;

    const parser = createFrameParser((frame) => {
      out.enqueue(frame);
      demand = false;
    }, options);

    function fail(error: unknown): void {
      done = true;
      // desiredSize is 0 exactly when the queue is empty (high water mark 0).
      if (out.desiredSize === 0) out.error(error);
      else pendingError = { error };
    }

    function parse(chunk: Uint8Array): void {
      if (done) return;
      try {
        parser.push(chunk);
      } catch (error) {
        fail(error);
        throw error;
      }
    }

    const readable = new ReadableStream<WsFrame>({
      start(controller): void {
        out = controller;
      },
      pull(): void {
        if (pendingError !== undefined) {
          out.error(pendingError.error);
          return;
        }
        demand = true;
        const resume = wake;
        wake = undefined;
        resume?.();
      },
      cancel(reason): void {
        done = true;
        const resume = wake;
        wake = undefined;
        resume?.();
        sink.error(reason);
      },
    }, { highWaterMark: 0 });

    // `cancel` is in the Streams standard but not yet in TypeScript's DOM
    // lib: the intersection keeps the file type-checking there too.
    const transformer: Transformer<Uint8Array, WsFrame> & {
      cancel(reason: unknown): void;
    } = {
      start(controller): void {
        sink = controller;
      },
      transform(chunk): void | Promise<void> {
        if (demand || done) return parse(chunk);
        return new Promise<void>((resolve) => {
          wake = resolve;
        }).then(() => parse(chunk));
      },
      flush(): void {
        if (done) return;
        try {
          parser.end();
        } catch (error) {
          fail(error);
          throw error;
        }
        done = true;
        out.close();
      },
      cancel(reason): void {
        if (done) return;
        done = true;
        out.error(reason);
      },
    };
    super(
      transformer,
      undefined,
      // Never enqueued into: a positive high water mark keeps the
      // TransformStream's own backpressure off.
      { highWaterMark: 1 },
    );
    Object.defineProperty(this, "readable", {
      value: readable,
      enumerable: true,
    });
  }
}
