// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodeSse, type SseMessage } from "./encode.ts";
import { joinTicker, leaveTicker, type Tickable } from "../_internal/ticker.ts";

/** Options for {@linkcode sseResponse}. */
export interface SseResponseOptions {
  /**
   * Period, in milliseconds, of the keep-alive sweep: a stream that sent
   * nothing during a whole period, and waits for its source, gets a comment
   * line (`: `), so that proxies and clients do not time it out (a silent
   * stream sends one every `keepAlive` to `2 × keepAlive` ms). Every
   * response with the same period shares one timer. `0` or `false` sends
   * none.
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
const KEEP_ALIVE: Uint8Array = encoder.encode(encodeSse({ comment: "" }));

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
 * Where an {@linkcode SseByteSource} delivers: the response it feeds.
 *
 * @example Deliver one event
 * ```ts
 * import type { SseByteSink } from "@serverpush/serverpush/sse";
 *
 * function deliver(sink: SseByteSink, bytes: Uint8Array): void {
 *   sink.enqueue(bytes);
 * }
 * void deliver;
 * ```
 */
export interface SseByteSink {
  /**
   * Sends `bytes` (already `text/event-stream`: whole events or comments),
   * as they are: the same object may go to many responses. Call it once
   * per `pull()`, or more often (the response then queues the extra).
   */
  enqueue(bytes: Uint8Array): void;
  /** Ends the response after what it holds. */
  close(): void;
  /** Errors the response, which drops the connection. */
  error(error: unknown): void;
}

/**
 * A pull-based source of pre-encoded `text/event-stream` bytes for
 * {@linkcode sseResponse}, with no promise per chunk: the response asks for
 * the next chunk with `pull()` when the socket has drained, and the source
 * answers with `sink.enqueue()`, at once or later. For servers that encode
 * an event once and hand the same bytes to many responses (a hub's
 * fan-out). An async iterable or a `ReadableStream` of `Uint8Array` does
 * the same with a promise per chunk.
 *
 * @example Send two pre-encoded events, then end
 * ```ts
 * import { type SseByteSink, sseResponse } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * const events = ["data: a\n\n", "data: b\n\n"].map((text) =>
 *   new TextEncoder().encode(text)
 * );
 * let sink: SseByteSink;
 * const response = sseResponse({
 *   start(s) {
 *     sink = s;
 *   },
 *   pull() {
 *     const next = events.shift();
 *     if (next === undefined) sink.close();
 *     else sink.enqueue(next);
 *   },
 *   cancel() {},
 * });
 * strictEqual(await response.text(), "data: a\n\ndata: b\n\n");
 * ```
 */
export interface SseByteSource {
  /** Called once, before any `pull()`, with the sink to deliver to. */
  start(sink: SseByteSink): void;
  /** The response wants the next chunk. */
  pull(): void;
  /** The response ended early (the client left, or `signal` aborted): release. */
  cancel(reason: unknown): void;
}

type Item = SseMessage | Uint8Array;

function isByteSource(source: unknown): source is SseByteSource {
  return source !== null && typeof source === "object" &&
    typeof (source as SseByteSource).start === "function" &&
    typeof (source as SseByteSource).pull === "function" &&
    typeof (source as SseByteSource).cancel === "function";
}

/**
 * The body of one response: the stream's underlying source, its keep-alive
 * member and its abort listener in one object (no closure per response).
 */
class SseBody
  implements
    UnderlyingDefaultSource<Uint8Array>,
    SseByteSink,
    Tickable,
    EventListenerObject {
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  /** Set once the body has ended (closed, errored or cancelled). */
  #finished = false;
  /** A pull waits for the source, so a keep-alive may be sent. */
  #waiting = false;
  /** Something was written since the last keep-alive sweep. */
  #wrote = false;
  readonly #reader: ReadableStreamDefaultReader<Item> | undefined;
  readonly #iterator: AsyncIterator<Item> | Iterator<Item> | undefined;
  readonly #async: boolean;
  readonly #bytes: SseByteSource | undefined;
  readonly #prefix: string | undefined;
  readonly #keepAlive: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onError: (error: unknown) => void;

  constructor(
    source:
      | AsyncIterable<Item>
      | Iterable<Item>
      | ReadableStream<Item>
      | SseByteSource,
    prefix: string | undefined,
    keepAlive: number,
    signal: AbortSignal | undefined,
    onError: (error: unknown) => void,
  ) {
    this.#prefix = prefix;
    this.#keepAlive = keepAlive;
    this.#signal = signal;
    this.#onError = onError;
    this.#async = true;
    if (source instanceof ReadableStream) {
      this.#reader = source.getReader();
      // A stream that errors errors the body at once, even while the
      // client reads nothing (no pull is pending): the connection drops.
      this.#reader.closed.catch((error) => this.#sourceFailed(error));
    } else if (
      source !== null && typeof source === "object" &&
      typeof (source as AsyncIterable<Item>)[Symbol.asyncIterator] ===
        "function"
    ) {
      this.#iterator = (source as AsyncIterable<Item>)[Symbol.asyncIterator]();
    } else if (
      source !== null && typeof source === "object" &&
      typeof (source as Iterable<Item>)[Symbol.iterator] === "function"
    ) {
      this.#iterator = (source as Iterable<Item>)[Symbol.iterator]();
      this.#async = false;
    } else if (isByteSource(source)) {
      this.#bytes = source;
    } else {
      throw new TypeError(
        "Cannot create SSE response: source is not a ReadableStream or an iterable",
      );
    }
  }

  #next(): Promise<IteratorResult<Item>> {
    if (this.#reader !== undefined) {
      return this.#reader.read() as Promise<IteratorResult<Item>>;
    }
    const iterator = this.#iterator!;
    if (this.#async) return (iterator as AsyncIterator<Item>).next();
    return Promise.resolve().then(() => (iterator as Iterator<Item>).next());
  }

  async #cancelSource(reason: unknown): Promise<void> {
    if (this.#bytes !== undefined) return this.#bytes.cancel(reason);
    if (this.#reader !== undefined) return await this.#reader.cancel(reason);
    if (this.#async) {
      await (this.#iterator as AsyncIterator<Item>).return?.();
      return;
    }
    await Promise.resolve();
    (this.#iterator as Iterator<Item>).return?.();
  }

  #finish(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    if (this.#keepAlive > 0) leaveTicker(this.#keepAlive, this);
    this.#signal?.removeEventListener("abort", this);
    return true;
  }

  #sourceFailed(error: unknown): void {
    if (this.#finish()) this.#controller.error(error);
  }

  /** The keep-alive sweep. */
  tick(): void {
    // desiredSize is 0 while a read waits or the queue is empty; below that
    // the socket is not draining and holds data anyway.
    if (
      !this.#wrote && this.#waiting &&
      (this.#controller.desiredSize ?? -1) >= 0
    ) {
      this.#controller.enqueue(KEEP_ALIVE);
    }
    this.#wrote = false;
  }

  /** The signal aborted. */
  handleEvent(): void {
    if (!this.#finish()) return;
    this.#controller.close();
    this.#cancelSource(this.#signal?.reason).catch(this.#onError);
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
    if (this.#prefix !== undefined) {
      controller.enqueue(encoder.encode(this.#prefix));
    }
    const signal = this.#signal;
    if (signal?.aborted) {
      this.#finished = true;
      controller.close();
      this.#cancelSource(signal.reason).catch(this.#onError);
      return;
    }
    signal?.addEventListener("abort", this, { once: true });
    if (this.#keepAlive > 0) joinTicker(this.#keepAlive, this);
    this.#bytes?.start(this);
  }

  /** From an {@linkcode SseByteSource}: sends its bytes. */
  enqueue(bytes: Uint8Array): void {
    if (this.#finished) return;
    this.#waiting = false;
    this.#wrote = true;
    this.#controller.enqueue(bytes);
  }

  /** From an {@linkcode SseByteSource}: the end. */
  close(): void {
    if (this.#finish()) this.#controller.close();
  }

  /** From an {@linkcode SseByteSource}: a failure. */
  error(error: unknown): void {
    if (this.#finish()) this.#controller.error(error);
  }

  pull(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> | undefined {
    if (this.#finished) return;
    const bytes = this.#bytes;
    if (bytes !== undefined) {
      // No promise: the source answers through enqueue().
      this.#waiting = true;
      bytes.pull();
      return;
    }
    return this.#pullNext(controller);
  }

  async #pullNext(
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    let result: IteratorResult<Item>;
    this.#waiting = true;
    try {
      result = await this.#next();
    } catch (error) {
      if (this.#finish()) controller.error(error);
      return;
    } finally {
      this.#waiting = false;
    }
    if (this.#finished) return;
    if (result.done) {
      this.#finish();
      controller.close();
      return;
    }
    const value = result.value;
    if (value instanceof Uint8Array) {
      this.#wrote = true;
      controller.enqueue(value);
      return;
    }
    let text: string;
    try {
      text = encodeSse(value);
    } catch (error) {
      this.#finish();
      controller.error(error);
      this.#cancelSource(error).catch(this.#onError);
      return;
    }
    this.#wrote = true;
    controller.enqueue(encoder.encode(text));
  }

  cancel(reason: unknown): Promise<void> | undefined {
    if (!this.#finish()) return;
    return this.#cancelSource(reason);
  }
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
 * cancels the source; an error thrown by the source errors the body (a
 * `ReadableStream` source that errors does so at once, even while the
 * client reads nothing).
 *
 * A source may also yield `Uint8Array` chunks: bytes that are already
 * `text/event-stream` (whole events, or comments), sent as they are, not
 * copied; so a server that encodes a broadcast once can hand the same
 * bytes to every response.
 *
 * @param source The messages to send: an async iterable (an async
 * generator, say), a stream (the `readable` of `createSsePushQueue`), or a
 * plain iterable such as an array's `values()`, each item an
 * {@linkcode SseMessage} or pre-encoded bytes; or an
 * {@linkcode SseByteSource} of pre-encoded bytes.
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
 *
 * @example Send bytes that are already encoded
 * ```ts
 * import { sseResponse } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * const event = new TextEncoder().encode("id: 1\ndata: once\n\n");
 * const response = sseResponse([event, { data: "twice" }].values());
 * strictEqual(await response.text(), "id: 1\ndata: once\n\ndata: twice\n\n");
 * ```
 */
export function sseResponse(
  source:
    | AsyncIterable<SseMessage | Uint8Array>
    | Iterable<SseMessage | Uint8Array>
    | ReadableStream<SseMessage | Uint8Array>
    | SseByteSource,
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
  const body = new SseBody(
    source,
    prefix,
    keepAlive === false ? 0 : keepAlive,
    options.signal,
    options.onError ?? reportLater,
  );
  return new Response(
    new ReadableStream<Uint8Array>(body, { highWaterMark: 0 }),
    { status: 200, headers },
  );
}
