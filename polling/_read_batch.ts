// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: how `poll` and `longPoll` read one batch from their source.

import type { HubHistory } from "../message/source.ts";
import type { PollingSource } from "./source.ts";

/** Default of `maxBatchBytes` for `poll` and `longPoll`: 1 MiB. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;

/** Reads one batch: `maxBatch + 1` messages, so that `more` can be told. */
export function readBatch(
  source: PollingSource,
  cursor: string | undefined,
  maxBatch: number,
): Promise<HubHistory> {
  return source.history(
    cursor,
    Math.min(maxBatch + 1, Number.MAX_SAFE_INTEGER),
  );
}
