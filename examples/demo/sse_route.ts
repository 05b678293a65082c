// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * `GET /sse`: the demo feed as Server-Sent Events, with replay. A client that
 * reconnects with `Last-Event-ID: n` first gets every event after `n` that
 * the feed's ring still holds, then live events, with nothing lost or sent
 * twice in between.
 *
 * @module
 */

import { createSsePushQueue, lastEventId, sseResponse } from "../../sse/mod.ts";
import type { DemoFeed } from "./feed.ts";

/** Options for {@linkcode handleSse}. */
export interface SseRouteOptions {
  /**
   * Reconnection delay sent to the client as `retry:`, in milliseconds.
   *
   * @default {500}
   */
  retryMs?: number;
  /**
   * Keep-alive comment interval in milliseconds, or `false` for none.
   *
   * @default {15000}
   */
  keepAlive?: number | false;
  /** Ends the stream when aborted (the server is shutting down). */
  signal?: AbortSignal;
}

const DECIMAL_REGEXP = /^\d{1,15}$/;

/**
 * Which event id to replay after. A client without a usable id (a first
 * visit, or an id from some other feed) gets the newest two events, one per
 * scenario, so the page fills at once.
 */
function resumeAfter(id: string | undefined, feed: DemoFeed): number {
  if (id !== undefined && DECIMAL_REGEXP.test(id)) {
    const n = Number(id);
    if (n <= feed.lastId) return n;
  }
  return Math.max(0, feed.lastId - 2);
}

/**
 * Answers an `EventSource` request with the feed's events after the client's
 * `Last-Event-ID`, then its live events.
 *
 * Each client has a bounded queue (ring capacity + 256 events): a client that
 * stops reading is disconnected rather than buffered without limit, and
 * replays what it missed when it reconnects.
 *
 * @param request The `GET /sse` request.
 * @param feed The event feed to serve.
 * @param options Retry delay, keep-alive and shutdown signal.
 * @returns The `text/event-stream` response.
 */
export function handleSse(
  request: Request,
  feed: DemoFeed,
  options: SseRouteOptions = {},
): Response {
  const { retryMs = 500, keepAlive = 15000, signal } = options;
  const id = lastEventId(request);
  feed.recordConnection({
    transport: "sse",
    lastEventId: id,
    lastEventIdHeader: request.headers.get("last-event-id") ?? undefined,
  });

  const subscription = { unsubscribe: (): void => {} };
  const queue = createSsePushQueue({
    maxQueuedMessages: feed.capacity + 256,
    // The client went away, or fell too far behind: stop feeding it.
    onClose(): void {
      subscription.unsubscribe();
    },
  });
  // Replay and subscribe in one synchronous step: no event can be published
  // in between, so nothing is lost or sent twice.
  for (const event of feed.since(resumeAfter(id, feed))) queue.push(event);
  subscription.unsubscribe = feed.subscribe((event) => queue.push(event));
  if (queue.closed) subscription.unsubscribe();

  return sseResponse(queue.readable, {
    retry: retryMs,
    keepAlive,
    ...(signal === undefined ? {} : { signal }),
  });
}
