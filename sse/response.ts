// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodeSse, type SseMessage } from "./encode.ts";

/** Options for {@linkcode sseResponse}. */
export interface SseResponseOptions {
  /**
   * Milliseconds of silence after which a comment line (`: `) is sent, so that
   * proxies and clients do not time the stream out. `0` or `false` sends none.
   *
   * @default {15000}
   */
  keepAlive?: number | false;
  /**
   * Reconnection time, in milliseconds, sent as `retry:` before any message.
   *
   * @default {undefined}
   */
  retry?: number;
  /**
   * Extra response headers, merged over the defaults (`cache-control` and
   * `x-accel-buffering` may be replaced). Connection-specific headers
   * (`connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`,
   * `upgrade`) and a `content-type` other than `text/event-stream` are
   * refused.
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /**
   * Ends the stream when aborted: the body closes after what it already
   * holds, and the source is cancelled.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Receives errors that can no longer reach the body because it has already
   * ended: a source whose cancellation (`return()` or `cancel()`) fails after
   * `signal` was aborted or after a bad message. By default they are thrown
   * from a microtask, as an uncaught exception.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
}

const HOP_BY_HOP_REGEXP =
  /^(?:connection|keep-alive|proxy-connection|transfer-encoding|upgrade)$/;
const EVENT_STREAM_REGEXP = /^\s*text\/event-stream\s*(?:;|$)/i;
const encoder = new TextEncoder();

function buildHeaders(init: HeadersInit | undefined): Headers {
  const headers = new Headers({
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  if (init === undefined) return headers;
  for (const [name, value] of new Headers(init)) {
    if (HOP_BY_HOP_REGEXP.test(name)) {
      throw new TypeError(
        `Cannot set SSE response header "${name}": it is connection-specific`,
      );
    }
    if (name === "content-type" && !EVENT_STREAM_REGEXP.test(value)) {
      throw new TypeError(
        `Cannot set SSE response header "content-type": "${
          value.slice(0, 40)
        }" is not text/event-stream`,
      );
    }
    headers.set(name, value);
  }
  return headers;
}

function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * Builds a `text/event-stream` `Response` that sends each message of
 * `source`, for `Deno.serve` or any server that takes a web `Response`.
 *
 * The response has status 200 and the headers
 * `content-type: text/event-stream; charset=utf-8`, `cache-control: no-cache`
 * and `x-accel-buffering: no` (which stops nginx from buffering the stream),
 * and never a connection-specific header.
 *
 * The body is pull-based with a high water mark of 0: the source is asked for
 * its next message only when the server reads the body, which it does as fast
 * as the socket drains, so a client that does not read never makes the
 * source run ahead. When the client goes away the server cancels the body,
 * and the source is cancelled at once: a `ReadableStream` source is cancelled,
 * an async iterator's `return()` is called (an async generator runs its
 * `finally` blocks at its next `yield`). A message that cannot be encoded
 * (`TypeError` or `RangeError` from {@linkcode encodeSse}) errors the body and
 * cancels the source; an error thrown by the source errors the body.
 *
 * @param source The messages to send: an async iterable (an async
 * generator, say), a stream (the `readable` of `createSsePushQueue`), or a
 * plain iterable such as an array's `values()`.
 * @param options Keep-alive, `retry`, extra headers and an abort signal.
 * @returns A response whose body streams the messages.
 * @throws {RangeError} If `retry` is not a non-negative integer or
 * `keepAlive` is not a non-negative number.
 * @throws {TypeError} If `headers` holds a refused header, or `source` is not
 * iterable.
 *
 * @example Serve a stream of events
 * ```ts
 * import { sseResponse } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * async function* ticks() {
 *   for (let i = 1; i <= 2; i++) yield { id: String(i), data: `tick ${i}` };
 * }
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   () => sseResponse(ticks(), { retry: 1000 }),
 * );
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * strictEqual(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
 * strictEqual(
 *   await response.text(),
 *   "retry: 1000\n\nid: 1\ndata: tick 1\n\nid: 2\ndata: tick 2\n\n",
 * );
 * await server.shutdown();
 * ```
 */
export function sseResponse(
  source:
    | AsyncIterable<SseMessage>
    | Iterable<SseMessage>
    | ReadableStream<SseMessage>,
  options: SseResponseOptions = {},
): Response {
  const keepAlive = options.keepAlive ?? 15000;
  if (
    keepAlive !== false &&
    (typeof keepAlive !== "number" || !(keepAlive >= 0) ||
      !Number.isFinite(keepAlive))
  ) {
    throw new RangeError(
      `Cannot create SSE response: keepAlive ${keepAlive} is not a non-negative number`,
    );
  }
  const prefix = options.retry === undefined
    ? undefined
    : encodeSse({ retry: options.retry });
  const headers = buildHeaders(options.headers);
  const { signal } = options;
  const onError = options.onError ?? reportLater;

  let next: () => Promise<IteratorResult<SseMessage>>;
  let cancelSource: (reason: unknown) => Promise<void>;
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    next = () => reader.read() as Promise<IteratorResult<SseMessage>>;
    cancelSource = (reason) => reader.cancel(reason);
  } else if (
    source !== null && typeof source === "object" &&
    typeof (source as AsyncIterable<SseMessage>)[Symbol.asyncIterator] ===
      "function"
  ) {
    const iterator = (source as AsyncIterable<SseMessage>)
      [Symbol.asyncIterator]();
    next = () => iterator.next();
    cancelSource = async () => {
      await iterator.return?.();
    };
  } else if (
    source !== null && typeof source === "object" &&
    typeof (source as Iterable<SseMessage>)[Symbol.iterator] === "function"
  ) {
    const iterator = (source as Iterable<SseMessage>)[Symbol.iterator]();
    next = () => Promise.resolve().then(() => iterator.next());
    cancelSource = () =>
      Promise.resolve().then(() => {
        iterator.return?.();
      });
  } else {
    throw new TypeError(
      "Cannot create SSE response: source is not a ReadableStream or an iterable",
    );
  }

  let controller!: ReadableStreamDefaultController<Uint8Array>;
  // Set once the body has ended (closed, errored or cancelled).
  let finished = false;
  // Whether a pull is waiting for the source, so a keep-alive may be sent.
  let waiting = false;
  let lastWrite = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function write(bytes: Uint8Array): void {
    lastWrite = performance.now();
    controller.enqueue(bytes);
  }

  function tick(): void {
    timer = undefined;
    if (finished || keepAlive === false) return;
    const idle = performance.now() - lastWrite;
    if (idle < keepAlive) {
      timer = setTimeout(tick, keepAlive - idle);
      return;
    }
    // desiredSize is 0 while a read waits or the queue is empty; below that
    // the socket is not draining and holds data anyway.
    if (waiting && (controller.desiredSize ?? -1) >= 0) {
      write(encoder.encode(encodeSse({ comment: "" })));
    } else {
      lastWrite = performance.now();
    }
    timer = setTimeout(tick, keepAlive);
  }

  function finish(): boolean {
    if (finished) return false;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    signal?.removeEventListener("abort", onAbort);
    return true;
  }

  function onAbort(): void {
    if (!finish()) return;
    controller.close();
    cancelSource(signal?.reason).catch(onError);
  }

  const body = new ReadableStream<Uint8Array>({
    start(c): void {
      controller = c;
      lastWrite = performance.now();
      if (prefix !== undefined) c.enqueue(encoder.encode(prefix));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(c): Promise<void> {
      if (finished) return;
      if (timer === undefined && keepAlive !== false && keepAlive > 0) {
        timer = setTimeout(tick, keepAlive);
      }
      let result: IteratorResult<SseMessage>;
      waiting = true;
      try {
        result = await next();
      } catch (error) {
        if (finish()) c.error(error);
        return;
      } finally {
        waiting = false;
      }
      if (finished) return;
      if (result.done) {
        finish();
        c.close();
        return;
      }
      let text: string;
      try {
        text = encodeSse(result.value);
      } catch (error) {
        finish();
        c.error(error);
        cancelSource(error).catch(onError);
        return;
      }
      write(encoder.encode(text));
    },
    cancel(reason): Promise<void> | undefined {
      if (!finish()) return;
      return cancelSource(reason);
    },
  }, { highWaterMark: 0 });

  return new Response(body, { status: 200, headers });
}
