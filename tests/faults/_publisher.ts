// Copyright 2026 the serverpush authors. MIT license.
// A publisher of the fault test: POSTs `<name>:<seq>` for seq 1, 2, 3…
// one at a time, each with its own Idempotency-Key, and retries a publish
// that failed (network error, timeout, any status but 201) with the same
// key until it is acknowledged.

import { delay } from "../_wait.ts";

/** An acknowledged publish. */
export interface Ack {
  /** `<publisher>:<seq>`, the message's data. */
  readonly data: string;
  /** The id the server answered. */
  readonly id: string;
  /** The pid of the server process that answered (X-Fault-Instance). */
  readonly instance: string;
  /** When the acknowledged attempt began (`performance.now()`). */
  readonly attempted: number;
}

/** What a publisher did. */
export interface PublisherLog {
  readonly name: string;
  /** Messages it started to publish. */
  published: number;
  readonly acks: Ack[];
  /** Attempts beyond the first, over all messages. */
  retries: number;
}

/** How long one attempt may take before it counts as failed. */
const ATTEMPT_TIMEOUT_MS = 3000;
const RETRY_MS = 100;

/**
 * Publishes to `topic` through `port` until `stop` aborts, one message
 * every `intervalMs`; a message whose publish has started is retried until
 * acknowledged, or until `giveUp` aborts. Resolves with the log when done.
 * With `keyed` false it sends no Idempotency-Key (the control that shows
 * what the keys prevent).
 */
export async function publish(
  name: string,
  port: number,
  topic: string,
  intervalMs: number,
  stop: AbortSignal,
  giveUp: AbortSignal,
  keyed = true,
): Promise<PublisherLog> {
  const log: PublisherLog = { name, published: 0, acks: [], retries: 0 };
  const run = crypto.randomUUID();
  for (let seq = 1; !stop.aborted; seq++) {
    const data = `${name}:${seq}`;
    const key = keyed ? `"${run}-${seq}"` : undefined;
    log.published++;
    for (let attempt = 0; !giveUp.aborted; attempt++) {
      if (attempt > 0) {
        log.retries++;
        await delay(RETRY_MS);
      }
      const ack = await attemptPublish(port, topic, data, key);
      if (ack !== undefined) {
        log.acks.push(ack);
        break;
      }
    }
    await delay(intervalMs);
  }
  return log;
}

async function attemptPublish(
  port: number,
  topic: string,
  data: string,
  key: string | undefined,
): Promise<Ack | undefined> {
  const attempted = performance.now();
  const headers: Record<string, string> = { "content-type": "text/plain" };
  if (key !== undefined) headers["idempotency-key"] = key;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/${topic}`, {
      method: "POST",
      headers,
      body: data,
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    if (response.status !== 201) {
      await response.body?.cancel();
      return undefined;
    }
    const { id } = await response.json();
    return {
      data,
      id,
      instance: response.headers.get("x-fault-instance") ?? "",
      attempted,
    };
  } catch {
    return undefined;
  }
}
