// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodedOnce } from "./encoded_once.ts";
import type { HubMessage } from "./message.ts";
import { hubMessageToJson } from "./message_to_json.ts";

/**
 * The WebSocket subprotocol name of serverpush's multi-topic protocol: a
 * client offers it in `Sec-WebSocket-Protocol` to subscribe to, unsubscribe
 * from and publish to several topics over one connection.
 *
 * @example Offer the subprotocol from a browser
 * ```ts
 * import { SERVERPUSH_V1 } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(SERVERPUSH_V1, "serverpush.v1");
 * // new WebSocket("wss://example.com/hub/", SERVERPUSH_V1)
 * ```
 */
export const SERVERPUSH_V1 = "serverpush.v1" as const;

function toMessage(message: HubMessage): string {
  if (message.kind === "reset") {
    return JSON.stringify({
      type: "reset",
      topic: message.topic,
      reason: message.reason,
    });
  }
  if (message.kind !== "message") {
    const { kind, topic, clientId, info, since } = message;
    return JSON.stringify({ type: kind, topic, clientId, info, since });
  }
  return `{"type":"message","topic":${JSON.stringify(message.topic)},${
    hubMessageToJson(message).slice(1)
  }`;
}

/**
 * Serializes a {@linkcode HubMessage} as the `serverpush.v1` text frame a
 * subscribed connection receives, once per message object (see
 * {@linkcode encodedOnce}): every connection of a broadcast gets the
 * identical string.
 *
 * A published message becomes
 * `{"type":"message","topic":…,"id":…,"event":…,"data":…}` (the fields of
 * `hubMessageToJson` after `type` and `topic`); a reset becomes
 * `{"type":"reset","topic":…,"reason":…}`.
 *
 * @param message The message to encode.
 * @returns The JSON text.
 *
 * @example Encode a message and a reset
 * ```ts
 * import { serverpushV1Message } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   serverpushV1Message({ kind: "message", topic: "news", id: "1-0", data: "hi" }),
 *   '{"type":"message","topic":"news","id":"1-0","data":"hi"}',
 * );
 * strictEqual(
 *   serverpushV1Message({ kind: "reset", topic: "news", reason: "unknown-id" }),
 *   '{"type":"reset","topic":"news","reason":"unknown-id"}',
 * );
 * ```
 */
export function serverpushV1Message(message: HubMessage): string {
  return encodedOnce(message, toMessage);
}

/**
 * The `serverpush.v1` answer to a `subscribe`: `{"type":"subscribed","topic":…}`,
 * sent before any message of the topic.
 *
 * @param topic The topic subscribed to.
 * @returns The JSON text.
 *
 * @example Answer a subscribe
 * ```ts
 * import { serverpushV1Subscribed } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(serverpushV1Subscribed("news"), '{"type":"subscribed","topic":"news"}');
 * ```
 */
export function serverpushV1Subscribed(topic: string): string {
  return JSON.stringify({ type: "subscribed", topic });
}

/**
 * The `serverpush.v1` answer to an `unsubscribe`:
 * `{"type":"unsubscribed","topic":…}`, after which no message of the topic
 * comes.
 *
 * @param topic The topic unsubscribed from.
 * @returns The JSON text.
 *
 * @example Answer an unsubscribe
 * ```ts
 * import { serverpushV1Unsubscribed } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(serverpushV1Unsubscribed("news"), '{"type":"unsubscribed","topic":"news"}');
 * ```
 */
export function serverpushV1Unsubscribed(topic: string): string {
  return JSON.stringify({ type: "unsubscribed", topic });
}

/**
 * The `serverpush.v1` answer to an accepted `publish`:
 * `{"type":"published","topic":…,"id":…}` with the id the message got (for
 * a `publish` whose `idempotencyKey` repeats one used on the topic within
 * the backend's window, the first message's id: nothing was published).
 *
 * @param topic The topic published to.
 * @param id The id of the published message.
 * @returns The JSON text.
 *
 * @example Answer a publish
 * ```ts
 * import { serverpushV1Published } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   serverpushV1Published("chat", "7-0"),
 *   '{"type":"published","topic":"chat","id":"7-0"}',
 * );
 * ```
 */
export function serverpushV1Published(topic: string, id: string): string {
  return JSON.stringify({ type: "published", topic, id });
}

/**
 * The `serverpush.v1` answer to a refused or invalid request:
 * `{"type":"error","code":…,"message":…,"topic":…}`, with `topic` only when
 * the request named a valid one.
 *
 * @param code The machine-readable error code, such as `"unauthorized"`.
 * @param message The human-readable reason.
 * @param topic The topic of the request, if any.
 * @returns The JSON text.
 *
 * @example Refuse a subscribe
 * ```ts
 * import { serverpushV1Error } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   serverpushV1Error("unauthorized", "Cannot subscribe to topic \"a\": not authorized", "a"),
 *   '{"type":"error","code":"unauthorized","message":"Cannot subscribe to topic \\"a\\": not authorized","topic":"a"}',
 * );
 * strictEqual(
 *   serverpushV1Error("invalid-json", "Cannot parse message: it is not valid JSON"),
 *   '{"type":"error","code":"invalid-json","message":"Cannot parse message: it is not valid JSON"}',
 * );
 * ```
 */
export function serverpushV1Error(
  code: string,
  message: string,
  topic?: string,
): string {
  return JSON.stringify(
    topic === undefined
      ? { type: "error", code, message }
      : { type: "error", code, message, topic },
  );
}
