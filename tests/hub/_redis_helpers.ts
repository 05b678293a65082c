// Copyright 2026 the serverpush authors. MIT license.
// Helpers shared by the tests of the Redis backend, on one server and on a
// cluster.

import type { Hub, HubMessage } from "../../hub/mod.ts";

/** Rejects if `promise` takes longer than `ms`; only a guard against hangs. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `count` values, failing after 10 s. */
export function take(
  reader: ReadableStreamDefaultReader<HubMessage>,
  count: number,
): Promise<HubMessage[]> {
  return within(
    (async () => {
      const out: HubMessage[] = [];
      while (out.length < count) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended after ${out.length} values`);
        out.push(value);
      }
      return out;
    })(),
    10_000,
  );
}

/**
 * Subscribes on `hub` and waits until its watch start is fixed in Redis: a
 * later command of the same backend (here a history read) follows it.
 */
export async function subscribed(
  hub: Hub,
  topic: string,
  since?: string,
): Promise<ReadableStreamDefaultReader<HubMessage>> {
  const reader = hub.subscribe(topic, since === undefined ? {} : { since })
    .getReader();
  await hub.history(topic, { limit: 1 });
  return reader;
}
