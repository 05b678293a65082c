// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type {
  HubDataMessage,
  HubPresenceMember,
  HubPublishMessage,
} from "../message/message.ts";
import type { HubHistory, HubState } from "../message/source.ts";

/**
 * Options for {@linkcode HubBackend.read}.
 *
 * @example Read at most two messages after an id
 * ```ts
 * import { createMemoryBackend, type HubReadOptions } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const backend = createMemoryBackend();
 * const first = await backend.append("t", { data: "a" });
 * await backend.append("t", { data: "b" });
 * await backend.append("t", { data: "c" });
 * const options: HubReadOptions = { since: first.id, limit: 2 };
 * const { messages } = await backend.read("t", options);
 * deepStrictEqual(messages.map((m) => m.data), ["b", "c"]);
 * ```
 */
export interface HubReadOptions {
  /**
   * Return only messages after this id. Without it, read from the oldest
   * retained message.
   */
  since?: string;
  /**
   * Return the newest `last` messages instead (oldest first), ignoring
   * `since`: the snapshot of `history: N` subscriptions. A non-negative
   * integer; `0` returns none.
   */
  last?: number;
  /** Largest number of messages to return, a positive integer. */
  limit: number;
}

/**
 * Options for {@linkcode HubBackend.append}.
 *
 * With an `idempotencyKey`, a second append with the same key to the same
 * topic within the backend's idempotency window (`idempotencyWindowMs`,
 * ten minutes by default on every backend) stores nothing, delivers
 * nothing, and resolves with a message that has the first append's id. The
 * check and the append are one atomic step on every backend, also between
 * processes that share a store: of appends racing with one key, exactly one
 * stores its message.
 *
 * @example Append twice with one key
 * ```ts
 * import { createMemoryBackend, type HubAppendOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const backend = createMemoryBackend();
 * const options: HubAppendOptions = { idempotencyKey: "order-7" };
 * const first = await backend.append("t", { data: "paid" }, options);
 * const again = await backend.append("t", { data: "paid" }, options);
 * strictEqual(again.id, first.id);
 * strictEqual(backend.retained("t").messages, 1);
 * ```
 */
export interface HubAppendOptions {
  /**
   * 1 to 256 printable ASCII characters (the hub checks it) naming this
   * publish, so that a retry of it is recognised.
   *
   * @default {undefined}
   */
  idempotencyKey?: string | undefined;
}

/**
 * Options for {@linkcode HubBackend.watch}.
 *
 * A backend whose watch may miss messages (a networked store such as Redis:
 * its history can be trimmed before the watch reads it, or the store can lose
 * data in a restart) calls `onGap` before it delivers anything after the
 * gap. The {@linkcode Hub} then replays every subscriber of the topic from
 * the last id that subscriber received, through {@linkcode HubBackend.read}:
 * a subscriber gets a {@linkcode HubResetMessage} only when `read` says that
 * messages are really gone, and nothing twice.
 *
 * @example Report gaps of a wrapped backend
 * ```ts
 * import {
 *   createMemoryBackend,
 *   type HubBackend,
 *   type HubWatchOptions,
 * } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const inner = createMemoryBackend();
 * const gaps: string[] = [];
 * const options: HubWatchOptions = { onGap: (after) => gaps.push(after) };
 * const backend: HubBackend = inner;
 * const unwatch = backend.watch("t", () => {}, options);
 * await backend.append("t", { data: "x" });
 * unwatch();
 * strictEqual(gaps.length, 0); // the in-memory backend never has a gap
 * ```
 */
export interface HubWatchOptions {
  /**
   * Called when messages appended after the watch started may not have been
   * delivered. Everything up to and including `after` was delivered (or was
   * appended before the watch started); what follows `after` may be
   * incomplete. Delivery then continues with newer messages. Must not throw.
   *
   * @default {undefined}
   */
  onGap?: (after: string) => void;
}

/**
 * One hub instance's record that a client is on a topic, as a
 * {@linkcode Hub} hands it to {@linkcode HubBackend.presenceJoin}: a client
 * with connections on several instances has one entry per instance
 * (`owner`), and is present while any of them lasts.
 *
 * @example Join an entry on the in-memory backend
 * ```ts
 * import { createMemoryBackend, type HubPresenceEntry } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const backend = createMemoryBackend();
 * const entry: HubPresenceEntry = { owner: "hub-1", clientId: "ada", info: null, since: 1 };
 * await backend.presenceJoin!("room", entry, { maxMembers: 10 });
 * strictEqual((await backend.presenceList!("room"))[0]?.clientId, "ada");
 * ```
 */
export interface HubPresenceEntry {
  /** The hub instance holding the client's connections. */
  owner: string;
  /** The client's id. */
  clientId: string;
  /** Its public info (JSON-serialisable). */
  info: unknown;
  /** When it joined, epoch milliseconds. */
  since: number;
}

/**
 * Options for {@linkcode HubBackend.presenceJoin}.
 *
 * @example Allow two members
 * ```ts
 * import type { HubPresenceJoinOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: HubPresenceJoinOptions = { maxMembers: 2 };
 * strictEqual(options.maxMembers, 2);
 * ```
 */
export interface HubPresenceJoinOptions {
  /**
   * Distinct clients the topic may hold; a join of one more rejects with a
   * {@linkcode HubLimitError} `"too-many-members"`.
   */
  maxMembers: number;
}

/**
 * Where a {@linkcode Hub} stores messages and learns about new ones: an
 * append-only log per topic with a bounded replay window.
 *
 * The contract is small so that other stores can implement it. The embedded
 * default is {@linkcode createMemoryBackend}; the Redis Streams backend
 * (`createRedisBackend` in `@serverpush/serverpush/hub/redis`) maps it as:
 * `append` is `XADD topic MAXLEN ~ n * data ..` (the id is the one `XADD`
 * returns); `read` is `XRANGE topic since + COUNT limit`, checked against
 * `XINFO STREAM` when `since` is no longer there; an append with an
 * idempotency key is one script that `GET`s the key and otherwise runs
 * `XADD` and `SET key id PX window`; `watch` reads a topic's
 * stream when a Pub/Sub notification names it; `compare` orders
 * `ms-seq` ids numerically.
 *
 * Rules every backend follows:
 *
 * - Ids are strictly increasing within a topic, in the order `append` was
 *   called, and `compare` orders them. A backend that forgets its history
 *   (an in-memory one after a restart) puts something in its ids that lets
 *   `read` report an id from before the restart as `"unknown-id"` instead of
 *   mistaking it for a newer one.
 * - `watch` delivers, in id order, every message appended after its start
 *   point, and that start point is no later than the state any `read` issued
 *   after `watch` returned observes. The hub relies on this to join replay
 *   and live delivery without a gap. A backend that cannot keep this promise
 *   (messages were trimmed before its watch read them, its store lost data,
 *   its connection broke) says so through {@linkcode HubWatchOptions.onGap}
 *   before it delivers anything after the gap.
 * - An append with an idempotency key already used on the topic within the
 *   backend's window stores nothing, delivers nothing and resolves with a
 *   message that has the first append's id (see
 *   {@linkcode HubAppendOptions}); checking and appending are atomic.
 * - An append with a `key` (see {@linkcode HubPublishMessage.key}) also
 *   makes the message the key's state, or removes the key for a delete,
 *   in the same atomic step as the append; `state` reads every key's
 *   message together with the topic's newest id, as one consistent view.
 *   An append that would add a key past the backend's `maxKeysPerTopic`
 *   stores nothing and rejects with a `HubLimitError`
 *   `"too-many-keys"`.
 * - `read` never skips silently: when messages after `since` were trimmed, or
 *   `since` is not an id it issued, it says so in
 *   {@linkcode HubHistory.reset} and returns the window from its start.
 *
 * @example Wrap a backend to count appends
 * ```ts
 * import {
 *   createMemoryBackend,
 *   Hub,
 *   type HubBackend,
 * } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const inner = createMemoryBackend();
 * let appends = 0;
 * const backend: HubBackend = {
 *   append(topic, message) {
 *     appends++;
 *     return inner.append(topic, message);
 *   },
 *   read: (topic, options) => inner.read(topic, options),
 *   watch: (topic, onMessage) => inner.watch(topic, onMessage),
 *   compare: (a, b) => inner.compare(a, b),
 * };
 * const hub = new Hub({ backend });
 * await hub.publish("t", { data: "x" });
 * strictEqual(appends, 1);
 * await hub.close();
 * ```
 */
export interface HubBackend {
  /**
   * Stores a message and resolves with it as subscribers will see it,
   * including its new id.
   *
   * @param topic A validated topic name.
   * @param message The message; bytes are already a private copy.
   * @param options The idempotency key, already checked.
   * @returns The stored message, or for a repeated idempotency key, a
   * message with the first append's id.
   */
  append(
    topic: string,
    message: HubPublishMessage,
    options?: HubAppendOptions,
  ): Promise<HubDataMessage>;
  /**
   * Reads retained messages after `options.since`, oldest first.
   *
   * @param topic A validated topic name.
   * @param options Where to start and how many to return.
   * @returns The messages and, if some are missing, why.
   */
  read(topic: string, options: HubReadOptions): Promise<HubHistory>;
  /**
   * Calls `onMessage` with every message appended to `topic` from now on, in
   * id order, until the returned function is called. `onMessage` must not
   * throw.
   *
   * @param topic A validated topic name.
   * @param onMessage Called once per new message.
   * @param options Where to report a gap in delivery. A backend that never
   * has one (the in-memory backend) may ignore it.
   * @returns A function that stops the watch; calling it again does nothing.
   */
  watch(
    topic: string,
    onMessage: (message: HubDataMessage) => void,
    options?: HubWatchOptions,
  ): () => void;
  /**
   * Orders two ids this backend issued.
   *
   * @param a An id from a message of this backend.
   * @param b Another such id.
   * @returns A negative number if `a` is older, zero if equal, positive if
   * newer.
   */
  compare(a: string, b: string): number;
  /**
   * Reads the state of a keyed topic: the latest message of every key and
   * the topic's newest id, as one consistent view of the appends. A backend
   * without it stores keyed messages as plain ones, and the hub refuses
   * `state` subscriptions on it.
   *
   * @param topic A validated topic name.
   * @returns The keys' messages in id order, and the newest id.
   */
  state?(topic: string): Promise<HubState>;
  /**
   * Records that `entry.owner` holds connections of `entry.clientId` on
   * `topic` (presence, optional: a hub with `presence` on needs the four
   * presence methods). A networked backend keeps the entry alive while its
   * process runs and lets it expire after a time-to-live otherwise.
   *
   * @param topic A validated topic name.
   * @param entry The owner, client, info and join time.
   * @param options The bound on distinct clients.
   * @returns Resolves once the entry is stored.
   */
  presenceJoin?(
    topic: string,
    entry: HubPresenceEntry,
    options: HubPresenceJoinOptions,
  ): Promise<void>;
  /**
   * Removes the entry of `owner` for `clientId` on `topic`, if any.
   *
   * @param topic A validated topic name.
   * @param owner The hub instance.
   * @param clientId The client.
   * @returns Resolves once the entry is gone.
   */
  presenceLeave?(topic: string, owner: string, clientId: string): Promise<void>;
  /**
   * Lists the clients present on `topic`, one per client id (over all
   * owners: the earliest `since`, the info of that entry), sorted by
   * `since` then id, leaving out expired entries.
   *
   * @param topic A validated topic name.
   * @returns The members.
   */
  presenceList?(topic: string): Promise<HubPresenceMember[]>;
  /**
   * Calls `onChange` whenever the entries of `topic` may have changed,
   * from any process sharing the store (and, on a networked backend,
   * periodically, so that expired entries are noticed), until the returned
   * function is called. `onChange` must not throw.
   *
   * @param topic A validated topic name.
   * @param onChange Called after a change.
   * @returns A function that stops the watch.
   */
  watchPresence?(topic: string, onChange: () => void): () => void;
}
