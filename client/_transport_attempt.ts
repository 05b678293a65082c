// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what `connect` gives one attempt at one transport, and what the
// attempt says when it ends.

import type { ClientWebSocketClass } from "./client_web_socket.ts";
import type { PollingFetch } from "../polling/connect_polling.ts";
import type { PushEvent } from "./push_client.ts";

/**
 * How one attempt at a transport ended:
 *
 * - `failed`: it never worked (refused, cut before its first byte or
 *   message, buffered, a status that says no); the client falls back;
 * - `dropped`: it worked, then ended; the client reconnects on the same
 *   transport, after `retry` milliseconds if the server said so;
 * - `closed`: the client was closed.
 *
 * An error that no transport can fix (a malformed message, a limit) is
 * thrown instead.
 */
export type AttemptOutcome =
  | { kind: "failed"; reason: string; retryable: boolean }
  | { kind: "dropped"; retry?: number }
  | { kind: "closed" };

/** What an attempt needs from the client. */
export interface AttemptContext {
  /** The topic URL (`http:` or `https:`). */
  readonly url: URL;
  /** The id of the last message delivered, to resume after. */
  readonly since: string | undefined;
  /**
   * Without `since`: how many of the newest messages to ask for first
   * (`?history=N`); `undefined` when `since` is set or none were asked for.
   */
  readonly history: number | undefined;
  /** Aborted when the client closes. */
  readonly signal: AbortSignal;
  /** Milliseconds within which the transport must show that it works. */
  readonly firstByteTimeout: number;
  /** Extra request headers for HTTP requests. */
  readonly headers: HeadersInit | undefined;
  /** The `fetch` for HTTP requests. */
  readonly fetch: PollingFetch;
  /** The WebSocket class, or `undefined` where the runtime has none. */
  readonly WebSocket: ClientWebSocketClass | undefined;
  /** Largest SSE event or polling response, in bytes. */
  readonly maxMessageBytes: number;
  /** Ask for presence events (`?presence=1` on SSE and WebSocket). */
  readonly presence: boolean;
  /**
   * Queues an event for the consumer (dropping a repeated id).
   *
   * @throws {RangeError} If the queue is full (see `room`).
   */
  deliver(event: PushEvent): void;
  /** Resolves when the queue has room for one more event. */
  room(): Promise<void>;
  /** Called with a send function while a WebSocket is open, else undefined. */
  setSender(send: ((text: string) => void) | undefined): void;
  /** Receives a refusal the server sent about a message sent over a socket. */
  onSendError(error: Error): void;
}

/**
 * A copy of the topic URL without its fragment, with `?history=N` when
 * `history` is a number (the server ignores it when the request resumes
 * after an id).
 */
export function historyUrl(url: URL, history: number | undefined): URL {
  const target = new URL(url);
  target.hash = "";
  if (history !== undefined) {
    target.searchParams.set("history", String(history));
  }
  return target;
}
