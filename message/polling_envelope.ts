// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { hubMessageToJson } from "./message_to_json.ts";
import type { HubHistory } from "./source.ts";

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
 * The polling cursor that means "the start of the topic": what an envelope
 * carries when the topic retained nothing when it was answered, and a
 * request with it gets every retained message from the oldest on. Message
 * ids never take this value.
 *
 * @example Continue from an empty topic
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { POLLING_TOPIC_START } from "@serverpush/serverpush/message";
 * import { hubSource, poll } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source = hubSource(hub, "news");
 * const first = await (await poll(new Request("http://localhost/"), source)).json();
 * strictEqual(first.cursor, POLLING_TOPIC_START);
 * const id = await hub.publish("news", { data: "hello" });
 * const url = `http://localhost/?cursor=${encodeURIComponent(first.cursor)}`;
 * const next = await (await poll(new Request(url), source)).json();
 * deepStrictEqual(next, { cursor: id, messages: [{ id, data: "hello" }] });
 * await hub.close();
 * ```
 */
export const POLLING_TOPIC_START = "^";

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
  /**
   * Cursor for the next request, or `null` to start without one. It is
   * {@linkcode POLLING_TOPIC_START} when the topic retained nothing, so that
   * the next request gets everything published in between.
   */
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

/**
 * Options for {@linkcode encodePollingEnvelope}.
 *
 * @example Ten messages at most, resuming after id "41"
 * ```ts
 * import type { EncodePollingEnvelopeOptions } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: EncodePollingEnvelopeOptions = { cursor: "41", maxBatch: 10 };
 * strictEqual(options.maxBatch, 10);
 * ```
 */
export interface EncodePollingEnvelopeOptions {
  /**
   * The request's cursor: the envelope's `cursor` when the batch is empty
   * and there was no reset.
   *
   * @default {undefined}
   */
  cursor?: string | undefined;
  /**
   * Most messages in the envelope. Read the history with a limit of
   * `maxBatch + 1`, so that the envelope can say `more`.
   *
   * @default {100}
   */
  maxBatch?: number;
  /**
   * Most UTF-16 code units of message JSON in the envelope: the batch
   * stops before the message that would go past it (the first message
   * always goes, so one envelope never holds more than this plus one
   * message).
   *
   * @default {1048576}
   */
  maxBatchBytes?: number;
}

/**
 * Encodes a {@linkcode PollingEnvelope} as JSON text, from what a
 * `MessageSource` returned for the request's cursor: at most `maxBatch`
 * messages and `maxBatchBytes` of their JSON, `reset` and `reason` when the
 * history says so, and `more` when messages were left out. Each message's
 * JSON is the cached text of `hubMessageToJson`, so a message polled by many
 * clients is encoded once. Pure: no I/O, browser compatible.
 *
 * @param history The messages after the request's cursor, read with a limit
 * of `maxBatch + 1`.
 * @param options The request's cursor and the batch limits.
 * @returns The envelope's JSON text.
 *
 * @example Encode a batch that leaves one message for the next request
 * ```ts
 * import { encodePollingEnvelope } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * const text = encodePollingEnvelope({
 *   messages: [
 *     { kind: "message", topic: "t", id: "1", data: "a" },
 *     { kind: "message", topic: "t", id: "2", data: "b" },
 *   ],
 * }, { cursor: "0", maxBatch: 1 });
 * strictEqual(text, '{"cursor":"1","messages":[{"id":"1","data":"a"}],"more":true}');
 * ```
 */
export function encodePollingEnvelope(
  history: HubHistory,
  options: EncodePollingEnvelopeOptions = {},
): string {
  const { cursor, maxBatch = 100, maxBatchBytes = 1_048_576 } = options;
  const json: string[] = [];
  let size = 0;
  for (const message of history.messages) {
    if (json.length === maxBatch) break;
    const text = hubMessageToJson(message);
    if (json.length > 0 && size + text.length > maxBatchBytes) break;
    size += text.length;
    json.push(text);
  }
  const more = history.messages.length > json.length;
  const last = history.messages[json.length - 1];
  // After a reset the batch is the window from its start: when it is empty,
  // the client goes on from the topic's start.
  const next = last !== undefined
    ? last.id
    : history.reset === undefined
    ? cursor
    : POLLING_TOPIC_START;
  const parts = [
    `{"cursor":${next === undefined ? "null" : JSON.stringify(next)}`,
    `,"messages":[${json.join(",")}]`,
  ];
  if (history.reset !== undefined) {
    parts.push(`,"reset":true,"reason":${JSON.stringify(history.reset)}`);
  }
  if (more) parts.push(`,"more":true`);
  parts.push("}");
  return parts.join("");
}
