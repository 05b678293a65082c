// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * What a publisher hands to {@linkcode Hub.publish}: an optional event type
 * and the payload.
 *
 * @example Publish an event with a type
 * ```ts
 * import { Hub, type HubPublishMessage } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const message: HubPublishMessage = { event: "price", data: "42" };
 * strictEqual(typeof await hub.publish("ticker", message), "string");
 * await hub.close();
 * ```
 */
export interface HubPublishMessage {
  /**
   * Event type, for example the SSE `event` field. It must not contain CR,
   * LF or NUL.
   */
  event?: string;
  /**
   * Payload. Text goes out as text on every transport; bytes are copied on
   * publish and sent base64-encoded on text-only formats.
   */
  data: string | Uint8Array;
  /**
   * Client id of the sender, 1 to 256 characters. The serving layer sets
   * it from its `identify` hook when `stampFrom` is on (a client cannot set
   * it itself); a server-side publisher may set it directly.
   *
   * @default {undefined}
   */
  from?: string;
  /**
   * Makes this message the latest state of `key` in the topic (a keyed
   * topic, see {@linkcode HubSubscribeOptions.state}): 1 to 256 printable
   * ASCII characters. A topic holds at most the backend's
   * `maxKeysPerTopic` keys (1000 by default).
   *
   * @default {undefined}
   */
  key?: string | undefined;
  /**
   * With `key`: removes the key from the topic's state. The message is
   * delivered (with `deleted: true` and empty data) so that live
   * subscribers learn of it. {@linkcode HubKeyDelete} is the short form.
   *
   * @default {false}
   */
  delete?: boolean | undefined;
}

/**
 * The short form of a delete for {@linkcode Hub.publish}: removes `key`
 * from the topic's state (see {@linkcode HubPublishMessage.delete}).
 *
 * @example Delete a key
 * ```ts
 * import { Hub, type HubKeyDelete } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * await hub.publish("cursors", { key: "ann", data: "10,20" });
 * const gone: HubKeyDelete = { key: "ann", delete: true };
 * await hub.publish("cursors", gone);
 * deepStrictEqual((await hub.state("cursors")).messages, []);
 * await hub.close();
 * ```
 */
export interface HubKeyDelete {
  /** The key to remove. */
  key: string;
  /** Marks the delete. */
  delete: true;
  /** Event type of the delete message, if any. */
  event?: string;
}

/**
 * One published message as subscribers receive it.
 *
 * The hub delivers the same frozen object to every subscriber of the topic,
 * so a transport can cache its serialization per object (see
 * {@linkcode encodedOnce}). Treat `data` as read-only.
 *
 * @example Read a message's id and payload
 * ```ts
 * import { Hub, type HubDataMessage } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const reader = hub.subscribe("chat").getReader();
 * const id = await hub.publish("chat", { data: "hi" });
 * const message = (await reader.read()).value as HubDataMessage;
 * strictEqual(message.id, id);
 * strictEqual(message.data, "hi");
 * await hub.close();
 * ```
 */
export interface HubDataMessage {
  /** Discriminant: a published message. */
  readonly kind: "message";
  /** The topic it was published to. */
  readonly topic: string;
  /**
   * Opaque id issued by the backend, strictly increasing within the topic.
   * Pass it back as `since` to resume after this message; compare ids only
   * with the backend's {@linkcode HubBackend.compare}.
   */
  readonly id: string;
  /** Event type, when the publisher gave one. */
  readonly event?: string;
  /** Payload, exactly as published (empty for a delete). */
  readonly data: string | Uint8Array;
  /** The state key it sets or deletes, when published with one. */
  readonly key?: string;
  /** Present on a delete: the key is no longer in the topic's state. */
  readonly deleted?: true;
  /**
   * Client id of the connection that published it, stamped by the serving
   * layer when the handler's `stampFrom` option is on and its `identify`
   * hook named the publisher (see {@linkcode HubPublishMessage.from}).
   */
  readonly from?: string;
}

/**
 * Why a subscriber received a {@linkcode HubResetMessage}.
 *
 * - `"unknown-id"`: `since` is malformed, comes from another backend epoch
 *   (for example from before a restart of the in-memory backend) or is newer
 *   than anything the backend issued.
 * - `"window-exceeded"`: messages after `since` were already trimmed from the
 *   replay window (by `maxMessages` or `maxAgeMs`).
 * - `"dropped"`: the subscriber read too slowly, its queue overflowed with
 *   the `"drop-oldest"` policy, and queued messages were discarded.
 *
 * @example Switch on the reason
 * ```ts
 * import type { HubResetReason } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * function describe(reason: HubResetReason): string {
 *   return reason === "dropped" ? "too slow" : "history incomplete";
 * }
 * strictEqual(describe("window-exceeded"), "history incomplete");
 * ```
 */
export type HubResetReason = "unknown-id" | "window-exceeded" | "dropped";

/**
 * An explicit gap signal: some messages between what the subscriber has seen
 * and what comes next will never be delivered.
 *
 * The hub never skips silently. After a reset, the subscriber receives the
 * oldest message still available (for `"unknown-id"` and
 * `"window-exceeded"`: the whole retained window, then live messages; for
 * `"dropped"`: the oldest message still queued). A client should treat its
 * local state for the topic as stale, for example reload a snapshot.
 *
 * @example Receive a reset for an unknown id
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const reader = hub.subscribe("feed", { since: "no-such-id" }).getReader();
 * deepStrictEqual((await reader.read()).value, {
 *   kind: "reset",
 *   topic: "feed",
 *   reason: "unknown-id",
 * });
 * await hub.close();
 * ```
 */
export interface HubResetMessage {
  /** Discriminant: a gap signal. */
  readonly kind: "reset";
  /** The topic the gap is in. */
  readonly topic: string;
  /** Why messages are missing. */
  readonly reason: HubResetReason;
}

/**
 * What a subscription stream yields: a published message or a gap signal.
 *
 * @example Handle both kinds
 * ```ts
 * import { Hub, type HubMessage } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * function show(message: HubMessage): string {
 *   if (message.kind === "message") return String(message.data);
 *   return message.kind === "reset" ? `reset: ${message.reason}` : message.kind;
 * }
 * const hub = new Hub();
 * const reader = hub.subscribe("log", { since: "bogus" }).getReader();
 * await hub.publish("log", { data: "first" });
 * deepStrictEqual(
 *   [show((await reader.read()).value!), show((await reader.read()).value!)],
 *   ["reset: unknown-id", "first"],
 * );
 * await hub.close();
 * ```
 */
export type HubMessage =
  | HubDataMessage
  | HubResetMessage
  | HubPresenceMessage;

/**
 * One client present on a topic, from {@linkcode Hub.presence}: its id and
 * public info as the handler's `identify` hook gave them, and when it
 * joined.
 *
 * @example Read who is online
 * ```ts
 * import { Hub, type HubPresenceMember } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub({ presence: true });
 * const feed = hub.open("room", undefined, { deliver() {}, error() {}, close() {} }, {
 *   member: { clientId: "ada", info: { name: "Ada" } },
 * });
 * const members: HubPresenceMember[] = await hub.presence("room");
 * strictEqual(members[0]?.clientId, "ada");
 * feed.cancel();
 * await hub.close();
 * ```
 */
export interface HubPresenceMember {
  /** The client's id, 1 to 256 characters. */
  readonly clientId: string;
  /** Its public info (JSON), `null` when the hook gave none. */
  readonly info: unknown;
  /** When its first connection to the topic joined, epoch milliseconds. */
  readonly since: number;
}

/**
 * A presence event: a client joined a topic (its first connection to the
 * topic on any instance opened) or left it (its last one closed, or the
 * instance holding it stopped refreshing its entries). Only subscribers
 * that asked for presence events receive them.
 *
 * @example Tell joins from leaves
 * ```ts
 * import type { HubPresenceMessage } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const event: HubPresenceMessage = {
 *   kind: "join",
 *   topic: "room",
 *   clientId: "ada",
 *   info: null,
 *   since: 1_700_000_000_000,
 * };
 * strictEqual(`${event.clientId} ${event.kind}ed`, "ada joined");
 * ```
 */
export interface HubPresenceMessage extends HubPresenceMember {
  /** Discriminant: `"join"` or `"leave"`. */
  readonly kind: "join" | "leave";
  /** The topic joined or left. */
  readonly topic: string;
}
