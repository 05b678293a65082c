// Copyright 2026 the serverpush authors. MIT license.

import type { HubReadOptions } from "./backend.ts";
import type { HubHistory } from "../message/source.ts";
import type { RedisCommands } from "./_redis_commands.ts";
import { text, toMessages } from "./_redis_entry.ts";
import { compareStreamIds, isStreamId } from "./_redis_stream_id.ts";

/**
 * A topic's newest `last` messages (`XREVRANGE`), or its history after
 * `since` (`XRANGE`), and when `since` is not in
 * the stream, why (`XINFO STREAM`): `"unknown-id"` for an id the stream
 * never issued, `"window-exceeded"` for one trimmed away.
 */
export async function readHistory(
  commands: RedisCommands,
  topic: string,
  options: HubReadOptions,
): Promise<HubHistory> {
  const { since, last, limit } = options;
  if (last !== undefined) {
    const count = Math.min(last, limit);
    if (count === 0) return { messages: [] };
    const entries = await commands.revrange(topic, count);
    return { messages: toMessages(topic, entries.reverse()) };
  }
  if (since === undefined) {
    return {
      messages: toMessages(topic, await commands.range(topic, "-", limit)),
    };
  }
  let reset: HubHistory["reset"];
  if (!isStreamId(since)) reset = "unknown-id";
  else {
    const entries = await commands.range(topic, since, limit + 1);
    const first = entries[0];
    if (first !== undefined && text(first[0]) === since) {
      return { messages: toMessages(topic, entries.slice(1)) };
    }
    // `since` is not in the stream: trimmed, or never issued by it.
    const stream = await commands.info(topic);
    if (compareStreamIds(since, stream.lastId) > 0) reset = "unknown-id";
    else if (
      stream.firstId === undefined ||
      compareStreamIds(since, stream.firstId) < 0
    ) {
      reset = stream.removed ? "window-exceeded" : "unknown-id";
      // Everything retained follows `since`: the window from its start.
      if (first === undefined || stream.firstId === text(first[0])) {
        return {
          messages: toMessages(topic, entries.slice(0, limit)),
          reset,
        };
      }
    } else reset = "unknown-id";
  }
  return {
    messages: toMessages(topic, await commands.range(topic, "-", limit)),
    reset,
  };
}
