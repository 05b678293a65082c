// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type {
  HubDataMessage,
  HubMessage,
  HubPresenceMember,
  HubPublishMessage,
} from "./message.ts";

/**
 * Messages read from the replay window, and whether some are missing.
 *
 * @example See that history was trimmed
 * ```ts
 * import { Hub, type HubHistory } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub({ replay: { maxMessages: 2 } });
 * const first = await hub.publish("t", { data: "1" });
 * await hub.publish("t", { data: "2" });
 * await hub.publish("t", { data: "3" });
 * await hub.publish("t", { data: "4" });
 * const history: HubHistory = await hub.history("t", { since: first });
 * deepStrictEqual(history.reset, "window-exceeded");
 * deepStrictEqual(history.messages.map((m) => m.data), ["3", "4"]);
 * await hub.close();
 * ```
 */
export interface HubHistory {
  /** Messages in id order, oldest first. */
  messages: HubDataMessage[];
  /**
   * Present when messages after `since` cannot be delivered: `since` is
   * unknown or they were trimmed. `messages` then starts at the oldest
   * retained message instead.
   */
  reset?: "unknown-id" | "window-exceeded";
}

/**
 * The state of a keyed topic: the latest message of every key, and where
 * live delivery joins it.
 *
 * @example Read a topic's state
 * ```ts
 * import { Hub, type HubState } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * await hub.publish("temps", { key: "kitchen", data: "20" });
 * await hub.publish("temps", { key: "hall", data: "18" });
 * const last = await hub.publish("temps", { key: "kitchen", data: "21" });
 * const state: HubState = await hub.state("temps");
 * deepStrictEqual(state.messages.map((m) => [m.key, m.data]), [
 *   ["hall", "18"],
 *   ["kitchen", "21"],
 * ]);
 * strictEqual(state.last, last);
 * await hub.close();
 * ```
 */
export interface HubState {
  /** The latest message of every key the topic holds, in id order. */
  messages: HubDataMessage[];
  /**
   * The id of the topic's newest message (keyed or not) when the state was
   * read, `undefined` if the topic holds none: every message up to it is
   * reflected in `messages`, every later one is not.
   */
  last: string | undefined;
}

/**
 * Options for {@linkcode Hub.subscribe}.
 *
 * @example Resume after an id, stop on abort
 * ```ts
 * import { Hub, type HubSubscribeOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const since = await hub.publish("t", { data: "seen" });
 * await hub.publish("t", { data: "missed" });
 * const controller = new AbortController();
 * const options: HubSubscribeOptions = { since, signal: controller.signal };
 * const reader = hub.subscribe("t", options).getReader();
 * strictEqual((await reader.read()).value?.kind, "message");
 * controller.abort();
 * strictEqual((await reader.read()).done, true);
 * await hub.close();
 * ```
 */
export interface HubSubscribeOptions {
  /**
   * Last id the subscriber has seen, for example the SSE `Last-Event-ID`.
   * Without it (and without `history`), the subscription is live only.
   */
  since?: string;
  /**
   * Without `since`: first the newest `history` retained messages (fewer if
   * fewer are retained), then live ones, joined with no gap and no
   * duplicate even while messages are being published. A non-negative
   * integer; `0` means live only. Ignored when `since` is given.
   *
   * @default {0}
   */
  history?: number | undefined;
  /**
   * Start with the topic's state (the latest message of every key, see
   * {@linkcode HubPublishMessage.key}) instead of `history`, then live
   * messages, joined with no gap and no duplicate. With `since`, the
   * replay runs as usual; when it cannot cover `since` (a reset, or a
   * `"dropped"` reset of a slow subscriber under `"drop-oldest"`), the
   * reset is followed by the state instead of the whole window.
   *
   * @default {false}
   */
  state?: boolean | undefined;
  /** Aborting ends (closes) the stream and releases the subscription. */
  signal?: AbortSignal;
  /**
   * Deliver the topic's presence events ({@linkcode HubPresenceMessage}):
   * a `join` for every current member first, then a `join` or `leave` as
   * clients come and go. Only on a topic with presence on (the hub's
   * `presence` option); elsewhere a `TypeError`.
   *
   * @default {false}
   */
  presence?: boolean | undefined;
  /**
   * Make this subscription a connection of this client: the client is a
   * member of the topic (see {@linkcode Hub.presence}) while any of its
   * connections is open. Ignored on a topic without presence.
   *
   * @default {undefined}
   */
  member?: PresenceIdentity | undefined;
}

/**
 * Options for {@linkcode Hub.history}.
 *
 * @example Page through history
 * ```ts
 * import { Hub, type HubHistoryOptions } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * for (const data of ["a", "b", "c"]) await hub.publish("t", { data });
 * const first = await hub.history("t", { limit: 2 });
 * const options: HubHistoryOptions = { since: first.messages[1]!.id, limit: 2 };
 * const second = await hub.history("t", options);
 * deepStrictEqual(second.messages.map((m) => m.data), ["c"]);
 * await hub.close();
 * ```
 */
export interface HubHistoryOptions {
  /** Return only messages after this id. Without it, from the window's start. */
  since?: string;
  /**
   * Return the newest `last` messages instead (oldest first, at most
   * `limit`), ignoring `since`. A non-negative integer.
   */
  last?: number | undefined;
  /** Largest number of messages to return. @default {1000} */
  limit?: number;
}

/**
 * Options of {@linkcode MessageSource.publish} (and `Hub.publish`).
 *
 * @example Publish with an idempotency key
 * ```ts
 * import { Hub, type HubPublishOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const options: HubPublishOptions = { idempotencyKey: "order-7" };
 * const id = await hub.publish("t", { data: "paid" }, options);
 * strictEqual(await hub.publish("t", { data: "paid" }, options), id);
 * await hub.close();
 * ```
 */
export interface HubPublishOptions {
  /**
   * Names this publish so that a retry is recognised: 1 to 256 printable
   * ASCII characters (else a `TypeError`). A publish that repeats a key
   * used on the topic within the backend's idempotency window (ten
   * minutes by default) stores and delivers nothing and resolves with the
   * first publish's id.
   *
   * @default {undefined}
   */
  idempotencyKey?: string | undefined;
}

/**
 * Where a {@linkcode MessageSource} delivers one subscription's messages: a
 * stream controller, or a transport that writes each message straight to its
 * connection. Calls come only while the subscription is open, and never
 * again after `error` or `close`.
 *
 * @example Collect what a subscription delivers
 * ```ts
 * import { Hub, type MessageSink } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const seen: string[] = [];
 * const sink: MessageSink = {
 *   deliver(message) {
 *     if (message.kind === "message") seen.push(String(message.data));
 *   },
 *   error() {},
 *   close() {},
 * };
 * const feed = hub.open("t", undefined, sink);
 * feed.pull();
 * await hub.publish("t", { data: "hi" });
 * strictEqual(seen[0], "hi");
 * feed.cancel();
 * await hub.close();
 * ```
 */
export interface MessageSink {
  /** Takes the message asked for by the last {@linkcode MessageFeed.pull}. */
  deliver(message: HubMessage): void;
  /** The subscription failed: its queue overflowed, or the store failed. */
  error(error: unknown): void;
  /** The subscription ended ({@linkcode MessageFeed.end}, or the source closed). */
  close(): void;
}

/**
 * One live subscription opened with {@linkcode MessageSource.open}: it
 * delivers one message to its sink per {@linkcode MessageFeed.pull}, so the
 * consumer sets the pace and the source's queue for it stays bounded.
 *
 * @example Take messages one at a time
 * ```ts
 * import { Hub, type MessageFeed } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const since = await hub.publish("t", { data: "seen" });
 * await hub.publish("t", { data: "missed" });
 * let last = "";
 * const feed: MessageFeed = hub.open("t", since, {
 *   deliver: (message) => last = message.kind,
 *   error() {},
 *   close() {},
 * });
 * feed.pull();
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * strictEqual(last, "message");
 * feed.end();
 * await hub.close();
 * ```
 */
export interface MessageFeed {
  /**
   * Asks for one message: delivered to the sink at once when one is ready,
   * else as soon as one is. Asking again before it came changes nothing.
   */
  pull(): void;
  /** Releases the subscription without calling the sink (the consumer left). */
  cancel(): void;
  /** Closes the sink and releases the subscription. */
  end(): void;
}

/**
 * Options for {@linkcode MessageSource.open}.
 *
 * @example Open with the last two messages first
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import type { MessageOpenOptions } from "@serverpush/serverpush/message";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * for (const data of ["a", "b", "c"]) await hub.publish("t", { data });
 * const seen: string[] = [];
 * const options: MessageOpenOptions = { history: 2 };
 * const feed = hub.open("t", undefined, {
 *   deliver(message) {
 *     if (message.kind === "message") seen.push(String(message.data));
 *     feed.pull();
 *   },
 *   error() {},
 *   close() {},
 * }, options);
 * feed.pull();
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * deepStrictEqual(seen, ["b", "c"]);
 * feed.end();
 * await hub.close();
 * ```
 */
export interface MessageOpenOptions {
  /**
   * Without `since`: deliver the newest this many retained messages first,
   * then live ones (see {@linkcode HubSubscribeOptions.history}).
   *
   * @default {0}
   */
  history?: number | undefined;
  /**
   * Start with the topic's state, and follow a reset with it (see
   * {@linkcode HubSubscribeOptions.state}).
   *
   * @default {false}
   */
  state?: boolean | undefined;
  /**
   * Deliver the topic's presence events ({@linkcode HubPresenceMessage}):
   * a `join` for every current member first, then a `join` or `leave` as
   * clients come and go. Only on a topic with presence on (the hub's
   * `presence` option); elsewhere a `TypeError`.
   *
   * @default {false}
   */
  presence?: boolean | undefined;
  /**
   * Make this subscription a connection of this client: the client is a
   * member of the topic (see {@linkcode Hub.presence}) while any of its
   * connections is open. Ignored on a topic without presence.
   *
   * @default {undefined}
   */
  member?: PresenceIdentity | undefined;
}

/**
 * Who a connection is, for presence: the client's id (1 to 256
 * characters) and its public info (JSON, at most the hub's
 * `maxPresenceInfoBytes` once serialised).
 *
 * @example Join a topic as a member
 * ```ts
 * import { Hub, type PresenceIdentity } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub({ presence: true });
 * const member: PresenceIdentity = { clientId: "ada", info: { name: "Ada" } };
 * const stream = hub.subscribe("room", { member });
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * strictEqual((await hub.presence("room")).length, 1);
 * await stream.cancel();
 * await hub.close();
 * ```
 */
export interface PresenceIdentity {
  /** The client's id; a client with several connections has one id. */
  clientId: string;
  /** Public info other members see, such as a display name. */
  info?: unknown;
}

/**
 * What every transport reads: topics with retained history and live
 * delivery, and optionally publishing. {@linkcode Hub} implements it; the
 * serving layer, the polling responses and the TCP relay take any
 * `MessageSource`, so they never depend on the hub itself.
 *
 * The contract: ids are strings ordered by publication within a topic;
 * `history` and `open` with `since` deliver every retained message after
 * that id, in order, once, or say with a reset why they cannot; a topic
 * name the source does not accept is a `TypeError`.
 *
 * @example Serve a read-only view of a hub
 * ```ts
 * import { Hub, type MessageSource } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source: MessageSource = {
 *   history: (topic, options) => hub.history(topic, options),
 *   subscribe: (topic, options) => hub.subscribe(topic, options),
 *   open: (topic, since, sink) => hub.open(topic, since, sink),
 * };
 * await hub.publish("t", { data: "x" });
 * strictEqual((await source.history("t")).messages.length, 1);
 * strictEqual(source.publish, undefined);
 * await hub.close();
 * ```
 */
export interface MessageSource {
  /**
   * Reads retained messages of `topic`, oldest first.
   *
   * @param topic The topic.
   * @param options Where to start and how many.
   * @returns The messages and, if some after `since` are gone, why.
   */
  history(topic: string, options?: HubHistoryOptions): Promise<HubHistory>;
  /**
   * Subscribes as a stream: with `since`, the messages after it (or a reset
   * and the window), then live messages; without it, live messages only.
   *
   * @param topic The topic.
   * @param options Where to resume, and a signal that ends the stream.
   * @returns The subscription stream.
   */
  subscribe(
    topic: string,
    options?: HubSubscribeOptions,
  ): ReadableStream<HubMessage>;
  /**
   * Opens a subscription that delivers to `sink`, one message per pull: the
   * form transports use to write each message straight to a connection.
   *
   * @param topic The topic.
   * @param since Resume after this id; `undefined` for live messages only
   * (or `options.history` first).
   * @param sink Where messages go.
   * @param options How much history to deliver first when `since` is
   * `undefined`.
   * @returns The subscription.
   */
  open(
    topic: string,
    since: string | undefined,
    sink: MessageSink,
    options?: MessageOpenOptions,
  ): MessageFeed;
  /**
   * Publishes to `topic` and resolves with the new message's id. A source
   * without it is read-only: the serving layer refuses publishes (405).
   * With `options.idempotencyKey`, a repeated key resolves with the first
   * message's id and publishes nothing.
   */
  publish?(
    topic: string,
    message: HubPublishMessage,
    options?: HubPublishOptions,
  ): Promise<string>;
  /**
   * Reads the state of a keyed topic: the latest message of every key and
   * the id it is current at. A source without it cannot serve `state`
   * subscriptions (the serving layer answers `400`).
   */
  state?(topic: string): Promise<HubState>;
  /**
   * Lists the clients present on `topic` (see {@linkcode Hub.presence}). A
   * source without it has no presence.
   */
  presence?(topic: string): Promise<HubPresenceMember[]>;
  /** Whether `topic` has presence on; a source without it has none. */
  presenceEnabled?(topic: string): boolean;
}
