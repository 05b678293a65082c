// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: `connect`'s state machine: attempt a transport, fall back to the
// next one when it cannot be used, reconnect with backoff when it drops.

import { backoffDelay } from "../_internal/backoff.ts";
import { sleep } from "../_internal/sleep.ts";
import { attemptPolling } from "./_attempt_polling.ts";
import { attemptSse } from "./_attempt_sse.ts";
import { attemptWebSocket } from "./_attempt_web_socket.ts";
import type { ConnectSettings } from "./_connect_settings.ts";
import type { EventQueue } from "./_event_queue.ts";
import type { Publisher } from "./_publisher.ts";
import type { AttemptContext, AttemptOutcome } from "./_transport_attempt.ts";
import type { PushTransport } from "./push_transport.ts";

/** What the transport loop drives and reports to. */
export interface TransportLoopState {
  readonly settings: ConnectSettings;
  readonly queue: EventQueue;
  readonly publisher: Publisher;
  /** Aborted when the client closes. */
  readonly signal: AbortSignal;
  /** Called with each transport the loop tries. */
  setTransport(transport: PushTransport): void;
}

function attempt(
  state: TransportLoopState,
  transport: PushTransport,
): Promise<AttemptOutcome> {
  const { settings, queue, publisher } = state;
  const since = queue.lastEventId;
  const context: AttemptContext = {
    url: settings.url,
    since,
    // History only while there is no id to resume after: once a message
    // came (or with `since`), every connection resumes after the last id.
    history: since === undefined ? settings.history : undefined,
    signal: state.signal,
    firstByteTimeout: settings.firstByteTimeout,
    headers: settings.headers,
    fetch: settings.fetch,
    WebSocket: settings.WebSocket,
    maxMessageBytes: settings.maxMessageBytes,
    presence: settings.presence,
    deliver: (event) => queue.deliver(event),
    room: () => queue.room(),
    setSender(send): void {
      publisher.setSender(send);
    },
    onSendError(error): void {
      settings.onError?.(error);
    },
  };
  switch (transport) {
    case "websocket":
      return attemptWebSocket(context);
    case "sse":
      return attemptSse(context);
    case "longpoll":
    case "poll":
      return attemptPolling(context, {
        mode: transport === "longpoll" ? "long" : "short",
        interval: transport === "longpoll" ? 0 : settings.pollInterval,
        requestTimeout: settings.requestTimeout,
        retry: settings.retry,
        maxRetry: settings.maxRetry,
      });
  }
}

/**
 * Runs the transports in order until the client closes: a transport that
 * fails makes way for the next one for good; one that worked and dropped
 * is reconnected after `retry` (or the server's `retry:`), doubling with
 * jitter after each connection that delivered nothing, from at least
 * `minRetry`, up to `maxRetry`. When the last transport fails, it is
 * retried the same way if the failure may pass.
 *
 * @throws {Error} When the last transport fails for good, or an attempt
 * throws (a malformed message, a limit).
 */
export async function runTransports(state: TransportLoopState): Promise<void> {
  const { settings, queue, signal } = state;
  const { transports, retry, maxRetry, minRetry } = settings;
  let index = 0;
  let failures = 0;
  while (!signal.aborted) {
    const transport = transports[index]!;
    state.setTransport(transport);
    queue.delivered = false;
    const outcome = await attempt(state, transport);
    if (outcome.kind === "closed" || signal.aborted) return;
    let delay = retry;
    if (outcome.kind === "failed") {
      const next = transports[index + 1];
      if (next !== undefined) {
        index++;
        failures = 0;
        state.setTransport(next);
        settings.onTransportChange?.({
          transport: next,
          previous: transport,
          reason: outcome.reason,
        });
        continue;
      }
      if (!outcome.retryable) throw new Error(outcome.reason);
    } else if (outcome.retry !== undefined) {
      delay = outcome.retry;
    }
    if (queue.delivered) {
      failures = 0;
    } else {
      // Nothing came: a server's `retry: 0` must not make a tight loop.
      delay = Math.max(delay, minRetry);
    }
    await sleep(
      backoffDelay(failures++, delay, Math.max(maxRetry, delay)),
      signal,
    );
  }
}
