// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkPositiveInteger } from "../_internal/check.ts";
import { readStart } from "./_cursor.ts";
import { encodePollingEnvelope } from "../message/polling_envelope.ts";
import {
  type Batch,
  batchSize,
  DEFAULT_MAX_BATCH_BYTES,
  readBatch,
  readStartBatch,
  readStateBatch,
} from "./_read_batch.ts";
import { jsonResponse } from "./_responses.ts";
import type { PollingSource } from "./source.ts";

/**
 * Options for {@linkcode poll}.
 *
 * @example Answer with at most 10 messages
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubSource, poll, type PollOptions } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * for (let i = 0; i < 12; i++) await hub.publish("t", { data: `${i}` });
 * const options: PollOptions = { maxBatch: 10 };
 * const request = new Request("http://localhost/?history=12");
 * const response = await poll(request, hubSource(hub, "t"), options);
 * const envelope = await response.json();
 * strictEqual(envelope.messages.length, 10);
 * strictEqual(envelope.more, true);
 * await hub.close();
 * ```
 */
export interface PollOptions {
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
}

/**
 * Answers a short-polling request at once with what came after its cursor,
 * as a JSON {@linkcode PollingEnvelope}.
 *
 * The cursor is the `cursor` query parameter, else the `Last-Event-ID`
 * header. Without one, the batch starts at the oldest retained message. A
 * cursor older than the replay window, or unknown (for example from before a
 * restart), gets `"reset": true` and the retained window from its start. A
 * cursor longer than 1024 characters gets a `400`. The response is
 * `application/json` with `cache-control: no-store`. The request method is
 * not checked.
 *
 * @param request The client's request.
 * @param source The topic to serve, for example {@linkcode hubSource}.
 * @param options The batch size.
 * @returns The response.
 * @throws {RangeError} (as a rejection) If `maxBatch` or `maxBatchBytes` is not a positive
 * integer.
 * @throws {Error} (as a rejection) If the source fails to read.
 *
 * @example Poll twice, passing the cursor back
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubSource, poll } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source = hubSource(hub, "news");
 * await hub.publish("news", { data: "one" });
 * const first = await (await poll(new Request("http://localhost/poll"), source)).json();
 * const id = await hub.publish("news", { event: "story", data: "two" });
 * const url = `http://localhost/poll?cursor=${encodeURIComponent(first.cursor)}`;
 * deepStrictEqual(await (await poll(new Request(url), source)).json(), {
 *   cursor: id,
 *   messages: [{ id, event: "story", data: "two" }],
 * });
 * await hub.close();
 * ```
 */
export async function poll(
  request: Request,
  source: PollingSource,
  options: PollOptions = {},
): Promise<Response> {
  const { maxBatch = 100, maxBatchBytes = DEFAULT_MAX_BATCH_BYTES } = options;
  checkPositiveInteger("poll", "maxBatch", maxBatch);
  checkPositiveInteger("poll", "maxBatchBytes", maxBatchBytes);
  const start = readStart(request, "poll");
  if (start instanceof Response) return start;
  let batch: Batch = start.cursor === undefined
    ? start.state
      ? await readStateBatch(source, "poll")
      : await readStartBatch(source, start.history, maxBatch)
    : {
      history: await readBatch(source, start.cursor, maxBatch),
      cursor: start.cursor,
    };
  if (start.state && batch.history.reset !== undefined) {
    batch = await readStateBatch(source, "poll", batch.history.reset);
  }
  return jsonResponse(
    encodePollingEnvelope(batch.history, {
      cursor: batch.cursor,
      maxBatch: batchSize(batch, maxBatch),
      maxBatchBytes: batch.snapshot ? Number.MAX_SAFE_INTEGER : maxBatchBytes,
    }),
  );
}
