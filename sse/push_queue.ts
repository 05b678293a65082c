// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { SseMessage } from "./encode.ts";
import { Queue } from "../_internal/queue.ts";

/** What {@linkcode SsePushQueue.push} does when the queue is full. */
export type SsePushQueuePolicy = "close" | "drop-oldest";

/** Options for {@linkcode createSsePushQueue}. */
export interface SsePushQueueOptions {
  /**
   * Most messages held for a client that has not read them yet. Messages that
   * the response has already taken (at most one per client, plus what the
   * socket holds) do not count.
   *
   * @default {1000}
   */
  maxQueuedMessages?: number;
  /**
   * Most text held for a client that has not read it yet, counted as the
   * UTF-16 code units of each queued message's `data`, `event`, `id` and
   * `comment` (bytes, for ASCII text). A push that would go past it is
   * handled by `policy` like a push onto a full queue. A single message
   * larger than the bound is still queued when the queue is empty.
   *
   * @default {8388608}
   */
  maxQueuedBytes?: number;
  /**
   * What a push onto a full queue does. `"close"` errors the readable with a
   * `RangeError`, dropping the queued messages, so the response ends and the
   * client reconnects (with `Last-Event-ID`, to be replayed what it missed);
   * the push returns `false`. `"drop-oldest"` drops the oldest queued message
   * to make room; the push returns `true`.
   *
   * @default {"close"}
   */
  policy?: SsePushQueuePolicy;
  /**
   * Called once, when the queue stops accepting messages: after
   * {@linkcode SsePushQueue.close}, after an overflow with the `"close"`
   * policy, or when the readable is cancelled (the client went away). A hub
   * uses it to forget the client without waiting for the next push.
   *
   * @default {undefined}
   */
  onClose?: (reason: unknown) => void;
}

/** What a message counts against `maxQueuedBytes`. */
function weigh(message: SseMessage): number {
  return (message.data?.length ?? 0) + (message.event?.length ?? 0) +
    (message.id?.length ?? 0) + (message.comment?.length ?? 0);
}

/**
 * A bounded queue of {@linkcode SseMessage}s for one client, filled by code
 * that pushes and drained by a response through its `readable`.
 */
export interface SsePushQueue {
  /**
   * The queued messages as a stream, to pass to `sseResponse`. It has a high
   * water mark of 0: a message leaves the queue only when the response asks
   * for it, which it does only when the socket has taken the previous one.
   */
  readonly readable: ReadableStream<SseMessage>;
  /**
   * Queues a message.
   *
   * @param message The message to send.
   * @returns `true` if the message was queued; `false` if the queue is closed
   * or overflowed under the `"close"` policy.
   */
  push(message: SseMessage): boolean;
  /**
   * Stops accepting messages. The readable ends after the messages already
   * queued have been read.
   */
  close(): void;
  /** Number of messages queued and not yet taken by the readable. */
  readonly size: number;
  /** Text queued and not yet taken, counted as for `maxQueuedBytes`. */
  readonly queuedBytes: number;
  /** Whether the queue no longer accepts messages. */
  readonly closed: boolean;
}

/**
 * Creates a bounded per-client push queue whose `readable` plugs into
 * `sseResponse`.
 *
 * Design: the queue holds messages in its own list (an array with a moving
 * head, so shifting is O(1)), not in the stream's internal queue, so that its
 * size is known and bounded. The readable is pull-based with a high water
 * mark of 0: it takes a message out of the list only when its reader (the
 * response body, which itself reads only as fast as the socket drains) asks
 * for one. A slow client therefore makes the list grow, and the list never
 * grows past `maxQueuedMessages`: the `policy` says whether the client is
 * disconnected (`"close"`, the default) or loses its oldest messages
 * (`"drop-oldest"`). Cancelling the readable (the client went away) closes the
 * queue, so `push` returns `false` from then on.
 *
 * @param options Bound and overflow policy.
 * @returns A new, open queue.
 * @throws {RangeError} If `maxQueuedMessages` or `maxQueuedBytes` is not a
 * positive integer.
 * @throws {TypeError} If `policy` is not `"close"` or `"drop-oldest"`.
 *
 * @example Push messages to a client through a response
 * ```ts
 * import { createSsePushQueue, sseResponse } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * const queue = createSsePushQueue({ maxQueuedMessages: 10 });
 * queue.push({ data: "one" });
 * queue.push({ data: "two" });
 * queue.close();
 * const response = sseResponse(queue.readable, { keepAlive: false });
 * strictEqual(await response.text(), "data: one\n\ndata: two\n\n");
 * ```
 *
 * @example Drop the oldest message when a client falls behind
 * ```ts
 * import { createSsePushQueue } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const queue = createSsePushQueue({ maxQueuedMessages: 2, policy: "drop-oldest" });
 * for (const data of ["a", "b", "c"]) queue.push({ data });
 * strictEqual(queue.size, 2);
 * queue.close();
 * deepStrictEqual(await Array.fromAsync(queue.readable), [{ data: "b" }, { data: "c" }]);
 * ```
 */
export function createSsePushQueue(
  options: SsePushQueueOptions = {},
): SsePushQueue {
  const max = options.maxQueuedMessages ?? 1000;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(
      `Cannot create SSE push queue: maxQueuedMessages ${max} is not a positive integer`,
    );
  }
  const maxBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(
      `Cannot create SSE push queue: maxQueuedBytes ${maxBytes} is not a positive integer`,
    );
  }
  const policy = options.policy ?? "close";
  if (policy !== "close" && policy !== "drop-oldest") {
    throw new TypeError(
      `Cannot create SSE push queue: policy "${
        String(policy).slice(0, 20)
      }" is not "close" or "drop-oldest"`,
    );
  }
  const onClose = options.onClose;

  const items = new Queue<SseMessage>();
  let bytes = 0;
  let closed = false;
  // Set once the readable is cancelled or errored: it takes nothing more.
  let finished = false;
  let controller!: ReadableStreamDefaultController<SseMessage>;
  let wake: (() => void) | undefined;

  function size(): number {
    return items.length;
  }

  function shift(): SseMessage {
    const message = items.shift() as SseMessage;
    bytes -= weigh(message);
    return message;
  }

  function markClosed(reason: unknown): void {
    if (closed) return;
    closed = true;
    onClose?.(reason);
  }

  function notify(): void {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  }

  const readable = new ReadableStream<SseMessage>({
    start(c): void {
      controller = c;
    },
    async pull(c): Promise<void> {
      while (size() === 0 && !closed) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      if (finished) return;
      if (size() > 0) c.enqueue(shift());
      else c.close();
    },
    cancel(reason): void {
      finished = true;
      items.clear();
      bytes = 0;
      markClosed(reason);
      notify();
    },
  }, { highWaterMark: 0 });

  return {
    readable,
    push(message: SseMessage): boolean {
      if (closed) return false;
      const weight = weigh(message);
      if (policy === "drop-oldest") {
        while (size() > 0 && (size() >= max || bytes + weight > maxBytes)) {
          shift();
        }
      } else if (size() >= max || (size() > 0 && bytes + weight > maxBytes)) {
        const error = new RangeError(
          size() >= max
            ? `Cannot push SSE message: ${size()} messages queued, which reaches maxQueuedMessages of ${max}`
            : `Cannot push SSE message: ${bytes} bytes queued and ${weight} more would exceed maxQueuedBytes of ${maxBytes}`,
        );
        finished = true;
        items.clear();
        bytes = 0;
        controller.error(error);
        markClosed(error);
        notify();
        return false;
      }
      items.push(message);
      bytes += weight;
      notify();
      return true;
    },
    close(): void {
      markClosed(undefined);
      notify();
    },
    get size(): number {
      return size();
    },
    get queuedBytes(): number {
      return bytes;
    },
    get closed(): boolean {
      return closed;
    },
  };
}
