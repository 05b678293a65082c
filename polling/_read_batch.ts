// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: how `poll` and `longPoll` read one batch from their source.

import type { HubHistory, HubState } from "../message/source.ts";
import type { PollingSource } from "./source.ts";
import { sinceOf } from "./_cursor.ts";
import { POLLING_TOPIC_START } from "../message/polling_envelope.ts";

/** Default of `maxBatchBytes` for `poll` and `longPoll`: 1 MiB. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Reads one batch after a cursor (from the window's start for
 * {@linkcode POLLING_TOPIC_START}): `maxBatch + 1` messages, so that `more`
 * can be told.
 */
export function readBatch(
  source: PollingSource,
  cursor: string | undefined,
  maxBatch: number,
): Promise<HubHistory> {
  return source.history(
    sinceOf(cursor),
    Math.min(maxBatch + 1, Number.MAX_SAFE_INTEGER),
  );
}

/**
 * The batch of a request without a cursor: the newest `history` messages
 * (at most `maxBatch + 1` of them, oldest first), or with `history` 0 none
 * and the newest retained id as the cursor to continue from; on a topic that
 * retains nothing, {@linkcode POLLING_TOPIC_START}. Nothing published after
 * the request is missed by the next one.
 */
export async function readStartBatch(
  source: PollingSource,
  history: number,
  maxBatch: number,
): Promise<{ history: HubHistory; cursor: string | undefined }> {
  if (history === 0) {
    const { messages } = await source.history(undefined, 1, 1);
    return {
      history: { messages: [] },
      cursor: messages.at(-1)?.id ?? POLLING_TOPIC_START,
    };
  }
  const { messages } = await source.history(undefined, history, history);
  return {
    history: { messages: messages.slice(0, maxBatch + 1) },
    cursor: messages.length === 0 ? POLLING_TOPIC_START : undefined,
  };
}

/** A batch to answer with, and the cursor it carries when it is empty. */
export interface Batch {
  history: HubHistory;
  cursor: string | undefined;
  /** A state snapshot: sent whole, whatever `maxBatch` says. */
  snapshot?: boolean;
}

/**
 * The batch of a `?state=1` request: the topic's state, after a reset when
 * the request's cursor could not be covered; an empty state carries the
 * state's last id (or the topic start) as its cursor.
 *
 * @throws {TypeError} If the source cannot read state.
 */
export async function readStateBatch(
  source: PollingSource,
  what: string,
  reset?: HubHistory["reset"],
): Promise<Batch> {
  if (source.state === undefined) {
    throw new TypeError(`Cannot ${what}: the source has no state`);
  }
  const state: HubState = await source.state();
  return {
    history: reset === undefined
      ? { messages: state.messages }
      : { messages: state.messages, reset },
    cursor: state.last ?? POLLING_TOPIC_START,
    snapshot: true,
  };
}

/** `maxBatch` for encoding `batch`: a snapshot goes out whole. */
export function batchSize(batch: Batch, maxBatch: number): number {
  return batch.snapshot === true
    ? Math.max(maxBatch, batch.history.messages.length)
    : maxBatch;
}
