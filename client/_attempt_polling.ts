// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: one attempt of `connect` at long or short polling, through
// `connectPolling` against the topic URL with `?transport=`.

import { presenceDiff } from "./_presence_event.ts";
import type { AttemptContext, AttemptOutcome } from "./_transport_attempt.ts";
import { connectPolling } from "../polling/connect_polling.ts";

/** Mode and timing of a polling attempt. */
export interface AttemptPollingOptions {
  /** Long or short polling. */
  mode: "long" | "short";
  /** Milliseconds between short polls. */
  interval: number;
  /** Milliseconds after which a request is abandoned and retried. */
  requestTimeout: number;
  /** Milliseconds before the first retry of a failed request. */
  retry: number;
  /** Longest delay between retries, in milliseconds. */
  maxRetry: number;
}

/**
 * Polls the topic until the client closes. `connectPolling` retries network
 * errors and `5xx` itself, so this only fails on an answer that retrying
 * cannot fix (a `4xx`, for instance from a server without polling).
 */
export async function attemptPolling(
  context: AttemptContext,
  options: AttemptPollingOptions,
): Promise<AttemptOutcome> {
  const { signal } = context;
  const { mode } = options;
  const target = new URL(context.url);
  target.hash = "";
  target.searchParams.set("transport", mode === "long" ? "longpoll" : "poll");
  const events = connectPolling(target, {
    mode,
    signal,
    fetch: context.fetch,
    interval: options.interval,
    requestTimeout: options.requestTimeout,
    retry: options.retry,
    maxRetry: options.maxRetry,
    maxResponseBytes: context.maxMessageBytes,
    ...(context.since === undefined ? {} : { cursor: context.since }),
    ...(context.history === undefined ? {} : { history: context.history }),
    ...(context.headers === undefined ? {} : { headers: context.headers }),
    ...(context.presence
      ? { onPresence: presenceDiff((event) => context.deliver(event)) }
      : {}),
  });
  try {
    for await (const event of events) {
      await context.room();
      if (signal.aborted) break;
      context.deliver(event);
    }
  } catch (error) {
    if (signal.aborted) return { kind: "closed" };
    if (error instanceof RangeError) throw error;
    return {
      kind: "failed",
      reason: (error as Error).message,
      retryable: false,
    };
  }
  return { kind: "closed" };
}
