// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkDuration, checkPositiveInteger } from "../_internal/check.ts";
import { readStart } from "./_cursor.ts";
import {
  encodePollingEnvelope,
  POLLING_TOPIC_START,
} from "../message/polling_envelope.ts";
import {
  DEFAULT_MAX_BATCH_BYTES,
  readBatch,
  readStartBatch,
  readStateBatch,
} from "./_read_batch.ts";
import type { HubHistory } from "../message/source.ts";
import { jsonResponse } from "./_responses.ts";
import type { PollingSource } from "./source.ts";

/**
 * Options for {@linkcode longPoll}.
 *
 * @example Hold for at most 10 seconds
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubSource, longPoll, type LongPollOptions } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const options: LongPollOptions = { timeout: 10_000, maxBatch: 50 };
 * const pending = longPoll(new Request("http://localhost/"), hubSource(hub, "t"), options);
 * const id = await hub.publish("t", { data: "x" });
 * deepStrictEqual(await (await pending).json(), { cursor: id, messages: [{ id, data: "x" }] });
 * await hub.close();
 * ```
 */
export interface LongPollOptions {
  /**
   * Milliseconds a request is held while nothing comes; it is then answered
   * with an empty batch. Keep it below the idle timeouts of proxies on the
   * way.
   *
   * @default {25000}
   */
  timeout?: number;
  /**
   * Largest number of messages in one response; `more: true` in the
   * envelope says that others are waiting.
   *
   * @default {100}
   */
  maxBatch?: number;
  /**
   * Largest size of the messages in one response, as their JSON in UTF-16
   * code units (bytes, for ASCII text). The batch ends before the message
   * that would pass it, with `more: true`; a single larger message still
   * goes alone. It bounds what one response (and so one client that does
   * not read it) holds.
   *
   * @default {1048576}
   */
  maxBatchBytes?: number;
  /**
   * Answers held requests at once (with an empty batch) when aborted, for
   * example when the server shuts down.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Answers a long-polling request with what came after its cursor, as a JSON
 * {@linkcode PollingEnvelope}, holding it until something comes.
 *
 * The cursor is the `cursor` query parameter, else the `Last-Event-ID`
 * header. When messages after the cursor exist (for example those published
 * while the client was reconnecting), the response carries them all at once,
 * up to `maxBatch`. Otherwise the request is held until a message is
 * published (then it carries every message after the cursor) or `timeout`
 * passes (then it carries an empty batch and the request's cursor). A client
 * that disconnects (`request.signal`) or an aborted `options.signal` ends the
 * hold at once and releases the subscription.
 *
 * Without a cursor, the batch starts at the oldest retained message, and the
 * request is held only when nothing is retained. A cursor older than the
 * replay window, or unknown (for example from before a restart), gets
 * `"reset": true` and the retained window from its start, at once. A cursor
 * longer than 1024 characters gets a `400`. The response is
 * `application/json` with `cache-control: no-store`. The request method is
 * not checked.
 *
 * @param request The client's request.
 * @param source The topic to serve, for example {@linkcode hubSource}.
 * @param options Hold time, batch size and a shutdown signal.
 * @returns The response.
 * @throws {RangeError} (as a rejection) If `timeout`, `maxBatch` or `maxBatchBytes` is out
 * of range.
 * @throws {Error} (as a rejection) If the source fails.
 *
 * @example Wait for the next message
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubSource, longPoll } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source = hubSource(hub, "news");
 * const seen = await hub.publish("news", { data: "old" });
 * const request = new Request(`http://localhost/?cursor=${encodeURIComponent(seen)}`);
 * const pending = longPoll(request, source);
 * const id = await hub.publish("news", { data: "new" });
 * deepStrictEqual(await (await pending).json(), {
 *   cursor: id,
 *   messages: [{ id, data: "new" }],
 * });
 * await hub.close();
 * ```
 */
export async function longPoll(
  request: Request,
  source: PollingSource,
  options: LongPollOptions = {},
): Promise<Response> {
  const {
    timeout = 25_000,
    maxBatch = 100,
    maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
    signal,
  } = options;
  checkDuration("long poll", "timeout", timeout);
  checkPositiveInteger("long poll", "maxBatch", maxBatch);
  checkPositiveInteger("long poll", "maxBatchBytes", maxBatchBytes);
  const start = readStart(request, "long poll");
  if (start instanceof Response) return start;

  const release = new AbortController();
  const onAbort = (): void => release.abort();
  request.signal.addEventListener("abort", onAbort);
  signal?.addEventListener("abort", onAbort);
  if (request.signal.aborted || signal?.aborted) release.abort();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stream: ReadableStream<unknown> | undefined;
  let reader: ReadableStreamDefaultReader<unknown> | undefined;
  try {
    let cursor = start.cursor;
    let history: HubHistory;
    if (cursor === undefined || cursor === POLLING_TOPIC_START) {
      // Listening first means that a message published while the batch is
      // read still wakes the hold.
      stream = source.subscribe(undefined, release.signal);
    }
    let snapshot = false;
    if (cursor === undefined && start.state) {
      ({ history, cursor } = await readStateBatch(source, "long poll"));
      snapshot = true;
    } else if (cursor === undefined) {
      ({ history, cursor } = await readStartBatch(
        source,
        start.history,
        maxBatch,
      ));
    } else {
      history = await readBatch(source, cursor, maxBatch);
      if (start.state && history.reset !== undefined) {
        ({ history, cursor } = await readStateBatch(
          source,
          "long poll",
          history.reset,
        ));
        snapshot = true;
      }
    }
    if (history.messages.length === 0 && history.reset === undefined) {
      // With a cursor, the subscription replays anything published since the
      // read, so nothing slips between the two.
      stream ??= source.subscribe(cursor, release.signal);
      reader = stream.getReader();
      timer = setTimeout(onAbort, timeout);
      const { done } = await reader.read();
      clearTimeout(timer);
      if (!done) {
        release.abort();
        history = await readBatch(source, cursor, maxBatch);
        snapshot = false;
      }
    }
    return jsonResponse(
      encodePollingEnvelope(history, {
        cursor,
        maxBatch: snapshot
          ? Math.max(maxBatch, history.messages.length)
          : maxBatch,
        maxBatchBytes: snapshot ? Number.MAX_SAFE_INTEGER : maxBatchBytes,
      }),
    );
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
    signal?.removeEventListener("abort", onAbort);
    release.abort();
    // Aborting already ended the subscription; cancelling covers a source
    // that only honours cancel().
    await (reader ?? stream)?.cancel();
  }
}
