// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * One message in a {@linkcode PollingEnvelope}: the hub's JSON form of a
 * message (see `hubMessageToJson`).
 *
 * @example Read a binary message
 * ```ts
 * import type { PollingEnvelopeMessage } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const message: PollingEnvelopeMessage = { id: "7", data: "AQI=", encoding: "base64" };
 * const bytes = Uint8Array.from(atob(message.data), (c) => c.charCodeAt(0));
 * deepStrictEqual(bytes, new Uint8Array([1, 2]));
 * ```
 */
export interface PollingEnvelopeMessage {
  /** The message id; the next request passes the last one as `cursor`. */
  id: string;
  /** Event type, when the publisher gave one. */
  event?: string;
  /** The payload: text, or base64 when `encoding` is `"base64"`. */
  data: string;
  /** Present when the payload was bytes. */
  encoding?: "base64";
}

/**
 * The JSON body of a short-polling ({@linkcode poll}) or long-polling
 * ({@linkcode longPoll}) response.
 *
 * - `cursor`: what to send as `?cursor=` next time. It is the id of the last
 *   message in `messages`; when there is none, the cursor of the request, or
 *   `null` when the request had none or its cursor was reset (then the next
 *   request goes without a cursor and starts at the oldest retained
 *   message).
 * - `messages`: what came after the request's cursor, oldest first, at most
 *   `maxBatch` of them and at most `maxBatchBytes` of their JSON (a single
 *   larger message comes alone).
 * - `reset` and `reason`: present when messages after the request's cursor
 *   can no longer be delivered, because the cursor is unknown
 *   (`"unknown-id"`, for example from before a server restart) or older than
 *   the replay window (`"window-exceeded"`). `messages` then starts at the
 *   oldest retained message. The client should treat what it has as stale.
 * - `more`: present when more messages were waiting than the batch took;
 *   ask again at once.
 *
 * @example Follow the cursor
 * ```ts
 * import type { PollingEnvelope } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const envelope: PollingEnvelope = JSON.parse(
 *   '{"cursor":"2","messages":[{"id":"1","data":"a"},{"id":"2","data":"b"}]}',
 * );
 * const next = new URL("http://localhost/poll");
 * if (envelope.cursor !== null) next.searchParams.set("cursor", envelope.cursor);
 * strictEqual(next.search, "?cursor=2");
 * ```
 */
export interface PollingEnvelope {
  /** Cursor for the next request, or `null` to start without one. */
  cursor: string | null;
  /** Messages after the request's cursor, oldest first. */
  messages: PollingEnvelopeMessage[];
  /** Present when messages after the request's cursor are lost. */
  reset?: true;
  /** Why they are lost, with `reset`. */
  reason?: "unknown-id" | "window-exceeded";
  /** Present when more messages are waiting. */
  more?: true;
}
