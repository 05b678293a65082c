// Copyright 2026 the serverpush authors. MIT license.

/**
 * The hub's durable embedded backend: a {@linkcode HubBackend} over Deno KV.
 * With a local file, the replay window survives a restart of the process,
 * and several processes on one machine that open the same file share
 * topics; on Deno Deploy the same code uses the project's distributed KV.
 *
 * Deno KV is unstable in Deno 2: run with `--unstable-kv` (or
 * `"unstable": ["kv"]` in `deno.json`).
 *
 * @example A restart resumes after the last id a client saw
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createKvBackend } from "@serverpush/serverpush/hub/kv";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".sqlite" });
 * const first = createKvBackend(path);
 * const hub = new Hub({ backend: first });
 * const seen = await hub.publish("news", { data: "first" });
 * await hub.publish("news", { data: "second" });
 * await hub.close();
 * await first.close();
 *
 * // A new process (here: a new backend) on the same file.
 * const again = createKvBackend(path);
 * const history = await again.read("news", { since: seen, limit: 10 });
 * deepStrictEqual(history.messages.map((m) => m.data), ["second"]);
 * await again.close();
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

import type {
  HubAppendOptions,
  HubBackend,
  HubReadOptions,
  HubWatchOptions,
} from "./backend.ts";
import type { HubHistory, HubState } from "../message/source.ts";
import {
  addsKey,
  DEFAULT_MAX_KEYS_PER_TOPIC,
  storedMessage,
  tooManyKeys,
} from "./_keyed.ts";
import type { HubDataMessage, HubPublishMessage } from "../message/message.ts";
import { presenceMethods } from "./_presence_store.ts";
import { HubLimitError } from "./limit_error.ts";
import { checkPositiveInteger } from "../_internal/check.ts";
import { quote } from "../_internal/quote.ts";
import {
  epochOf,
  KV_MAX_DATA_BYTES,
  type KvHead,
  type KvIdempotencyRecord,
  KvKeys,
  type KvMessageRecord,
  type KvStateRecord,
  MESSAGE_OVERHEAD,
  parseId,
  signedTotal,
  toMessage,
  u64,
} from "./_kv_store.ts";
import { KvWatchLoop } from "./_kv_watch.ts";
import { KvPresence } from "./_kv_presence.ts";

export type {
  HubAppendOptions,
  HubBackend,
  HubPresenceEntry,
  HubPresenceJoinOptions,
  HubReadOptions,
  HubWatchOptions,
} from "./backend.ts";
export type { HubHistory, HubState } from "../message/source.ts";
export type {
  HubDataMessage,
  HubPresenceMember,
  HubPublishMessage,
} from "../message/message.ts";

/**
 * The largest payload the KV backend stores, in bytes (UTF-8 bytes for
 * text): a Deno KV value holds at most 64 KiB, with room left for the
 * message's bookkeeping. Give a {@linkcode Hub} over this backend a
 * `maxMessageBytes` of at most this, so that a larger message is refused
 * by the hub (`413` from its handler) rather than by the backend.
 *
 * @example A hub that refuses what KV cannot hold
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createKvBackend, KV_MAX_MESSAGE_BYTES } from "@serverpush/serverpush/hub/kv";
 * import { rejects } from "node:assert/strict";
 *
 * const backend = createKvBackend(":memory:");
 * const hub = new Hub({ backend, maxMessageBytes: KV_MAX_MESSAGE_BYTES });
 * await rejects(
 *   hub.publish("t", { data: "x".repeat(KV_MAX_MESSAGE_BYTES + 1) }),
 *   RangeError,
 * );
 * await hub.close();
 * await backend.close();
 * ```
 */
export const KV_MAX_MESSAGE_BYTES: number = KV_MAX_DATA_BYTES;

/**
 * Options for {@linkcode createKvBackend}.
 *
 * Every process that shares a store and a `keyPrefix` must use the same
 * `maxMessages`, `maxAgeMs`, `maxTopics` and `maxRetainedBytes`.
 *
 * @example Keep 100 messages per topic for ten minutes
 * ```ts
 * import { createKvBackend, type KvBackendOptions } from "@serverpush/serverpush/hub/kv";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: KvBackendOptions = { maxMessages: 100, maxAgeMs: 600_000 };
 * const backend = createKvBackend(":memory:", options);
 * const message = await backend.append("t", { data: "x" });
 * strictEqual(message.data, "x");
 * await backend.close();
 * ```
 */
export interface KvBackendOptions {
  /**
   * Key prefix under which the backend stores everything, so that one KV
   * store can hold other data too.
   *
   * @default {["serverpush"]}
   */
  keyPrefix?: Deno.KvKey;
  /**
   * Messages kept per topic for replay; each append deletes the message
   * that falls out of the window, in the same atomic commit.
   *
   * @default {1000}
   */
  maxMessages?: number;
  /**
   * Milliseconds a message stays in the replay window, and a topic after
   * its last append: every message, and the topic's head, is written with
   * `expireIn` so that KV deletes them, and reads skip what is older.
   * A client resuming on an expired topic gets a `"window-exceeded"`
   * reset. A day covers a client that reconnects after a deploy or a night,
   * and bounds how long the keys of abandoned (or made-up) topics stay.
   *
   * @default {86400000}
   */
  maxAgeMs?: number;
  /**
   * Topics that may hold messages at once, over every process that shares
   * the store: a topic counts from its first append until `maxAgeMs` after
   * its last one (rounded up to a sixteenth of `maxAgeMs`). An append that
   * would create one more rejects with a {@linkcode HubLimitError} of code
   * `"too-many-topics"` (`429` from the hub's handler). Processes that
   * create topics at the same moment may each pass the check, so the count
   * can go over by the appends in flight.
   *
   * @default {10000}
   */
  maxTopics?: number;
  /**
   * Bytes of retained messages over all topics: each message counts its
   * payload plus 128 bytes. An append past it deletes the oldest messages
   * of the store, whatever their topic, and a subscriber that resumes
   * before a deleted message gets a `"window-exceeded"` reset. Messages
   * count until their bucket (a sixteenth of `maxAgeMs`) has expired.
   *
   * @default {268435456}
   */
  maxRetainedBytes?: number;
  /**
   * Milliseconds between two checks for messages that another process
   * appended: the process reads one key (a counter every append bumps)
   * and, when it changed, the heads of the watched topics. Appends of
   * this backend, and of other isolates of a Deno Deploy database (seen
   * through `kv.watch`), are delivered at once.
   *
   * @default {50}
   */
  pollMs?: number;
  /**
   * Appends that may wait at once: appends to one topic run one at a time
   * (so that ids follow the order of the calls), and one more than this
   * rejects at once with an `Error`.
   *
   * @default {10000}
   */
  maxPendingAppends?: number;
  /**
   * Receives errors that no caller is waiting for: a failed read of new
   * messages, an error thrown by a watcher. By default they are dropped.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
  /**
   * Milliseconds an idempotency key is remembered: an append with a key
   * checks the key's entry in the same atomic commit that stores the
   * message and writes the entry (with `expireIn`), so of appends racing
   * with one key, in any process, exactly one stores its message; the
   * others resolve with it.
   *
   * @default {600000}
   */
  idempotencyWindowMs?: number;
  /**
   * Keys the state of a topic may hold (see `key` of `HubPublishMessage`).
   * A keyed append writes the key's entry (or deletes it) in the same
   * atomic commit as the message, and an append that would add one more
   * key stores nothing and rejects with a `HubLimitError`
   * `"too-many-keys"`. An entry expires `maxAgeMs` after its key was last
   * set, as a message does.
   *
   * @default {1000}
   */
  maxKeysPerTopic?: number;
  /**
   * Clock in milliseconds, for `maxAgeMs` and `idempotencyWindowMs`; tests
   * pass a fake.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Milliseconds a presence entry lives unless refreshed: the backend
   * rewrites its own every third of it, so the members of a process that
   * stopped without leaving disappear within this time (see the
   * `presence` option of `Hub`).
   *
   * @default {30000}
   */
  presenceTtlMs?: number;
}

/**
 * A {@linkcode HubBackend} over Deno KV, from {@linkcode createKvBackend},
 * with {@linkcode KvBackend.close}.
 *
 * @example Close a backend
 * ```ts
 * import { createKvBackend, type KvBackend } from "@serverpush/serverpush/hub/kv";
 * import { rejects } from "node:assert/strict";
 *
 * const backend: KvBackend = createKvBackend(":memory:");
 * await backend.close();
 * await rejects(backend.append("t", { data: "x" }), /the KV backend is closed/);
 * ```
 */
export interface KvBackend extends HubBackend {
  /**
   * Stops delivering new messages and, if the backend opened the store
   * itself (from a path), closes it; a `Deno.Kv` passed in stays open.
   * Later calls reject. Close the {@linkcode Hub} first. Calling it again
   * does nothing.
   *
   * @returns A promise that resolves once the backend has stopped.
   */
  close(): Promise<void>;
  /**
   * Reads the state of a keyed topic (see {@linkcode HubBackend.state}),
   * consistent with the topic's head: read again if an append committed
   * while the entries were listed.
   *
   * @param topic The topic.
   * @returns The latest message of every key, and the newest id.
   */
  state(topic: string): Promise<HubState>;
}

/** Commits retried when other appends to the same topic win the race. */
const MAX_ATTEMPTS = 1000;
/** What SQLite says when another process holds the write lock. */
const LOCKED_REGEXP = /database is locked/;
/** Oldest messages looked at per step of an eviction. */
const EVICT_BATCH = 32;

/**
 * Creates a {@linkcode HubBackend} over Deno KV: durable on one machine
 * with a local file, shared by the processes that open that file, and
 * distributed on Deno Deploy. Needs `--unstable-kv`.
 *
 * **Storage.** Each topic has a head key (its newest sequence number and
 * its generation) and one key per message, under `keyPrefix`. An append
 * reads the head and commits, in one atomic operation checked against the
 * head's versionstamp, the new head, the message and the deletion of the
 * message that leaves the window; when another append to the topic (in
 * this or another process) committed first, it reads again and retries.
 * So ids are strictly increasing per topic whatever the number of
 * processes. An id looks like `00000000000000050000-42`: the versionstamp
 * of the commit that created the topic's generation, then the sequence
 * number. A topic whose head expired (no append for `maxAgeMs`) starts a
 * new generation, with a larger versionstamp: its ids are still newer, and
 * an id from the old generation reads as `"window-exceeded"`. Treat ids as
 * opaque.
 *
 * **Limits.** Text is stored as UTF-8 (a lone surrogate becomes U+FFFD), a
 * `Uint8Array` as bytes; a payload over
 * {@linkcode KV_MAX_MESSAGE_BYTES} (64,512 bytes) rejects with a
 * `RangeError`, since a KV value holds at most 64 KiB: give the
 * {@linkcode Hub} a `maxMessageBytes` of at most that. Hub-wide caps
 * (`maxTopics`, `maxRetainedBytes`) are counted in KV with `sum`
 * operations, per time bucket, so that expiry by KV needs no bookkeeping.
 *
 * **Live delivery.** One loop per backend reads new messages for every
 * watched topic: at once after an append of this backend, on a `kv.watch`
 * of a counter that every append bumps (Deno Deploy's KV notifies every
 * isolate), and every `pollMs` by reading that counter (a local SQLite
 * file does not notify other processes; measured here with Deno 2.9). A
 * watch fixes its start point before any later `read` of the backend
 * returns, so the hub joins replay and live delivery without a gap. When
 * messages were trimmed or expired before the loop read them, it reports a
 * gap ({@linkcode HubWatchOptions.onGap}) and the hub replays from what
 * each subscriber last received.
 *
 * @param kv An open store, or a path for `Deno.openKv` (`":memory:"` for a
 * store that lives as long as the backend). Without it, `Deno.openKv()`'s
 * default store.
 * @param options Key prefix, window, caps, poll interval.
 * @returns A backend; the store opens in the background.
 * @throws {RangeError} If a number option is out of range.
 * @throws {TypeError} If `keyPrefix` is not an array.
 *
 * @example Two backends on one file share a topic
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createKvBackend } from "@serverpush/serverpush/hub/kv";
 * import { strictEqual } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".sqlite" });
 * const a = createKvBackend(path);
 * const b = createKvBackend(path, { pollMs: 20 });
 * const hubA = new Hub({ backend: a });
 * const hubB = new Hub({ backend: b });
 * const reader = hubB.subscribe("chat").getReader();
 * await hubB.history("chat"); // the subscription's start point is fixed
 * const id = await hubA.publish("chat", { data: "hello" });
 * const { value } = await reader.read();
 * strictEqual(value?.kind === "message" && value.id, id);
 * await hubA.close();
 * await hubB.close();
 * await a.close();
 * await b.close();
 * await Deno.remove(path);
 * ```
 */
export function createKvBackend(
  kv?: Deno.Kv | string,
  options: KvBackendOptions = {},
): KvBackend {
  const keyPrefix = options.keyPrefix ?? ["serverpush"];
  const maxMessages = options.maxMessages ?? 1000;
  const maxAgeMs = options.maxAgeMs ?? 86_400_000;
  const maxTopics = options.maxTopics ?? 10_000;
  const maxRetainedBytes = options.maxRetainedBytes ?? 268_435_456;
  const pollMs = options.pollMs ?? 50;
  const maxPendingAppends = options.maxPendingAppends ?? 10_000;
  const idempotencyWindowMs = options.idempotencyWindowMs ?? 600_000;
  const maxKeysPerTopic = options.maxKeysPerTopic ??
    DEFAULT_MAX_KEYS_PER_TOPIC;
  const now = options.now ?? Date.now;
  const what = "create KV backend";
  if (!Array.isArray(keyPrefix)) {
    throw new TypeError(`Cannot ${what}: keyPrefix is not an array`);
  }
  checkPositiveInteger(what, "maxMessages", maxMessages);
  checkPositiveInteger(what, "maxAgeMs", maxAgeMs);
  checkPositiveInteger(what, "maxTopics", maxTopics);
  checkPositiveInteger(what, "maxRetainedBytes", maxRetainedBytes);
  checkPositiveInteger(what, "pollMs", pollMs);
  const presenceTtlMs = options.presenceTtlMs ?? 30_000;
  checkPositiveInteger(what, "presenceTtlMs", presenceTtlMs);
  checkPositiveInteger(what, "maxPendingAppends", maxPendingAppends);
  checkPositiveInteger(what, "idempotencyWindowMs", idempotencyWindowMs);
  checkPositiveInteger(what, "maxKeysPerTopic", maxKeysPerTopic);
  const bucketMs = Math.max(1, Math.ceil(maxAgeMs / 16));
  const keys = new KvKeys(keyPrefix);
  const owned = typeof kv !== "object";
  const opening: Promise<Deno.Kv> = typeof kv === "object"
    ? Promise.resolve(kv)
    : Deno.openKv(kv);
  // Reported through the operations that use it.
  opening.catch(() => {});
  let closed = false;
  const report = (error: unknown): void => {
    if (closed || options.onError === undefined) return;
    try {
      options.onError(error);
    } catch {
      // onError must not throw; nothing else to tell.
    }
  };
  const loop = new KvWatchLoop(opening, {
    keys,
    pollMs,
    maxAgeMs,
    now,
    report,
  });
  const encoder = new TextEncoder();
  const presence = new KvPresence(opening, {
    prefix: keyPrefix,
    ttlMs: presenceTtlMs,
    pollMs,
    now,
    report,
  });

  function bucketOf(time: number): number {
    return Math.floor(time / bucketMs);
  }

  function live(entry: Deno.KvEntryMaybe<KvHead>): boolean {
    return entry.value !== null && now() - entry.value.t < maxAgeMs;
  }

  /** Total of a bucketed counter over the buckets that have not expired. */
  async function total(store: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
    const values: unknown[] = [];
    const from = bucketOf(now() - maxAgeMs);
    for await (
      const entry of store.list({
        start: [...prefix, from],
        end: [...prefix, Infinity],
      })
    ) {
      values.push(entry.value);
    }
    return signedTotal(values);
  }

  /** The bucket whose older counters this process last deleted. */
  let cleanedBucket = -1;

  /**
   * Deletes the counters of buckets that have expired, once per bucket in
   * each process, so that they do not pile up over time.
   */
  async function cleanCounters(store: Deno.Kv): Promise<void> {
    const from = bucketOf(now() - maxAgeMs);
    if (from <= cleanedBucket) return;
    cleanedBucket = from;
    for (const prefix of [keys.bytes(), keys.topics()]) {
      for await (
        const entry of store.list({ start: prefix, end: [...prefix, from] })
      ) await store.delete(entry.key);
    }
  }

  async function open(action: string): Promise<Deno.Kv> {
    if (closed) throw new Error(`Cannot ${action}: the KV backend is closed`);
    return await opening;
  }

  /** Starts a generation of `topic`: an empty head, counted as a topic. */
  async function createHead(
    store: Deno.Kv,
    topic: string,
    old: Deno.KvEntryMaybe<KvHead>,
  ): Promise<void> {
    if (old.value === null) {
      const topics = await total(store, keys.topics());
      if (topics >= maxTopics) {
        throw new HubLimitError(
          `Cannot publish to topic ${
            quote(topic)
          }: ${topics} topics hold messages, the maxTopics of ${maxTopics}`,
          { code: "too-many-topics" },
        );
      }
    }
    const time = now();
    const bucket = bucketOf(time);
    const op = store.atomic()
      .check(old)
      .set(keys.head(topic), { seq: 0, epoch: null, t: time, b: bucket }, {
        expireIn: maxAgeMs,
      })
      .sum(keys.topics(bucket), u64(1));
    // An expired head still there: it no longer counts.
    if (old.value !== null) op.sum(keys.topics(old.value.b), u64(-1));
    await op.commit();
  }

  /** Deletes the oldest messages of the store until `excess` bytes went. */
  async function evict(store: Deno.Kv, excess: number): Promise<void> {
    while (excess > 0) {
      let found = false;
      for await (
        const entry of store.list<number>({ prefix: keys.orders() }, {
          limit: EVICT_BATCH,
        })
      ) {
        found = true;
        const [t, topic, epoch, seq] = entry.key.slice(-4) as [
          number,
          string,
          string,
          number,
        ];
        const messageKey = keys.message(topic, epoch, seq);
        const message = await store.get<KvMessageRecord>(messageKey);
        const op = store.atomic().check(entry).check(message)
          .delete(entry.key)
          .delete(messageKey);
        if (message.value !== null) {
          op.sum(keys.bytes(bucketOf(t)), u64(-message.value.s));
        }
        const { ok } = await op.commit();
        if (ok && message.value !== null) excess -= message.value.s;
        if (excess <= 0) break;
      }
      if (!found) return;
    }
  }

  /** Reads the newest `options.last` messages of a live topic. */
  async function readLast(
    store: Deno.Kv,
    topic: string,
    head: Deno.KvEntry<KvHead>,
    options: HubReadOptions,
  ): Promise<HubHistory> {
    const count = Math.min(options.last ?? 0, options.limit);
    const messages: HubDataMessage[] = [];
    if (count === 0) return { messages };
    const epoch = epochOf(head);
    const oldest = now() - maxAgeMs;
    for await (
      const item of store.list<KvMessageRecord>({
        start: keys.message(topic, epoch, 1),
        end: keys.message(topic, epoch, head.value.seq + 1),
      }, { reverse: true, limit: count })
    ) {
      if (item.value.t <= oldest) break;
      const seq = item.key.at(-1) as number;
      messages.push(toMessage(topic, epoch, seq, item.value));
    }
    return { messages: messages.reverse() };
  }

  /** Reads the window of a topic after `options.since`. */
  async function readNow(
    store: Deno.Kv,
    topic: string,
    options: HubReadOptions,
  ): Promise<HubHistory> {
    const head = await store.get<KvHead>(keys.head(topic));
    let reset: HubHistory["reset"];
    let after = 0;
    const since = options.since === undefined
      ? undefined
      : parseId(options.since);
    if (options.since !== undefined && since === undefined) {
      reset = "unknown-id";
    }
    if (!live(head)) {
      // Expired, or never written: a well-formed id is from before.
      if (since !== undefined) reset = "window-exceeded";
      return reset === undefined ? { messages: [] } : {
        messages: [],
        reset,
      };
    }
    const entry = head as Deno.KvEntry<KvHead>;
    const epoch = epochOf(entry);
    if (options.last !== undefined) {
      return await readLast(store, topic, entry, options);
    }
    if (since !== undefined) {
      if (since.epoch < epoch) reset = "window-exceeded";
      else if (since.epoch > epoch || since.seq > entry.value.seq) {
        reset = "unknown-id";
      } else after = since.seq;
    }
    const messages: HubDataMessage[] = [];
    const oldest = now() - maxAgeMs;
    let expected = after + 1;
    for await (
      const item of store.list<KvMessageRecord>({
        start: keys.message(topic, epoch, after + 1),
        end: keys.message(topic, epoch, entry.value.seq + 1),
      })
    ) {
      if (item.value.t <= oldest) continue;
      const seq = item.key.at(-1) as number;
      if (seq !== expected && since !== undefined && reset === undefined) {
        reset = "window-exceeded";
      }
      expected = seq + 1;
      messages.push(toMessage(topic, epoch, seq, item.value));
      if (messages.length >= options.limit) break;
    }
    if (
      since !== undefined && reset === undefined && messages.length === 0 &&
      after < entry.value.seq
    ) {
      reset = "window-exceeded";
    }
    return reset === undefined ? { messages } : { messages, reset };
  }

  /**
   * Runs `fn`; when SQLite says the database is locked (another process
   * writes the file), waits a little and resolves with undefined, so that
   * the caller tries again (at most MAX_ATTEMPTS times).
   */
  async function unlessLocked<T>(
    fn: () => Promise<T | undefined>,
    attempt: number,
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (
        attempt + 1 >= MAX_ATTEMPTS || !(error instanceof Error) ||
        !LOCKED_REGEXP.test(error.message)
      ) throw error;
      await new Promise((resolve) =>
        setTimeout(resolve, 1 + Math.random() * Math.min(50, attempt * 2))
      );
      return undefined;
    }
  }

  /** The state entries of a topic's generation, counted. */
  async function countKeys(
    store: Deno.Kv,
    topic: string,
    epoch: string,
  ): Promise<number> {
    let count = 0;
    for await (
      const _ of store.list({ prefix: keys.states(topic, epoch) }, {
        limit: maxKeysPerTopic + 1,
      })
    ) count++;
    return count;
  }

  /**
   * The state of a topic, or undefined when an append committed while the
   * entries were listed (the head changed), so that the caller reads again.
   */
  async function stateNow(
    store: Deno.Kv,
    topic: string,
  ): Promise<HubState | undefined> {
    const head = await store.get<KvHead>(keys.head(topic));
    if (!live(head) || head.value!.seq === 0) {
      return { messages: [], last: undefined };
    }
    const entry = head as Deno.KvEntry<KvHead>;
    const epoch = epochOf(entry);
    const oldest = now() - maxAgeMs;
    const messages: HubDataMessage[] = [];
    for await (
      const item of store.list<KvStateRecord>({
        prefix: keys.states(topic, epoch),
      }, { batchSize: 500 })
    ) {
      if (item.value.t <= oldest) continue;
      messages.push(toMessage(topic, epoch, item.value.q, item.value));
    }
    const again = await store.get<KvHead>(keys.head(topic));
    if (again.versionstamp !== head.versionstamp) return undefined;
    messages.sort((a, b) => (parseId(a.id)!.seq - parseId(b.id)!.seq));
    return { messages, last: `${epoch}-${entry.value.seq}` };
  }

  /** Per topic, the end of the chain of appends waiting their turn. */
  const chains = new Map<string, Promise<void>>();
  let pending = 0;

  /** The first message of a live idempotency entry, else undefined. */
  async function firstOf(
    store: Deno.Kv,
    topic: string,
    entry: Deno.KvEntryMaybe<KvIdempotencyRecord>,
    message: HubPublishMessage,
  ): Promise<HubDataMessage | undefined> {
    const used = entry.value;
    if (used === null || now() - used.t >= idempotencyWindowMs) {
      return undefined;
    }
    const stored = await store.get<KvMessageRecord>(
      keys.message(topic, used.e, used.s),
    );
    if (stored.value !== null) {
      return toMessage(topic, used.e, used.s, stored.value);
    }
    // Trimmed since: the id is the first's, the payload this retry's.
    return storedMessage(topic, `${used.e}-${used.s}`, message);
  }

  async function appendNow(
    topic: string,
    message: HubPublishMessage,
    idempotencyKey: string | undefined,
  ): Promise<HubDataMessage> {
    const action = `publish to topic ${quote(topic)}`;
    const store = await open(action);
    const text = typeof message.data === "string";
    const data = typeof message.data === "string"
      ? encoder.encode(message.data)
      : message.data;
    if (data.byteLength > KV_MAX_DATA_BYTES) {
      throw new RangeError(
        `Cannot ${action}: data is ${data.byteLength} bytes, which exceeds the ${KV_MAX_DATA_BYTES} bytes a Deno KV value can hold`,
      );
    }
    const size = data.byteLength + MESSAGE_OVERHEAD;
    /** One attempt: the stored message, or undefined to try again. */
    const once = async (): Promise<HubDataMessage | undefined> => {
      const keyOfIdempotency = idempotencyKey === undefined
        ? undefined
        : keys.idempotency(topic, idempotencyKey);
      const [head, used] = keyOfIdempotency === undefined
        ? [await store.get<KvHead>(keys.head(topic))]
        : await store.getMany<[KvHead, KvIdempotencyRecord]>([
          keys.head(topic),
          keyOfIdempotency,
        ]);
      if (used !== undefined) {
        const first = await firstOf(store, topic, used, message);
        if (first !== undefined) return first;
      }
      if (!live(head)) {
        await createHead(store, topic, head);
        return undefined;
      }
      const { value } = head as Deno.KvEntry<KvHead>;
      const epoch = epochOf(head as Deno.KvEntry<KvHead>);
      const seq = value.seq + 1;
      const stateKey = message.key === undefined
        ? undefined
        : keys.state(topic, epoch, message.key);
      const held = stateKey === undefined
        ? undefined
        : await store.get<KvStateRecord>(stateKey);
      let heldKeys = value.k ?? 0;
      if (addsKey(message, held?.value != null)) {
        if (heldKeys >= maxKeysPerTopic) {
          // Entries expire on their own: count what is really there.
          heldKeys = await countKeys(store, topic, epoch);
        }
        if (heldKeys >= maxKeysPerTopic) {
          throw tooManyKeys(topic, heldKeys, maxKeysPerTopic);
        }
        heldKeys++;
      } else if (message.delete === true && held?.value != null) {
        heldKeys = Math.max(0, heldKeys - 1);
      }
      const time = now();
      const bucket = bucketOf(time);
      const trimmedKey = keys.message(topic, epoch, seq - maxMessages);
      const trimmed = seq > maxMessages
        ? await store.get<KvMessageRecord>(trimmedKey)
        : undefined;
      const record: KvMessageRecord = message.event === undefined
        ? { d: data, x: text, t: time, s: size }
        : { d: data, x: text, e: message.event, t: time, s: size };
      if (message.key !== undefined) record.k = message.key;
      if (message.key !== undefined && message.delete === true) {
        record.r = true;
      }
      const headValue: KvHead = { seq, epoch, t: time, b: bucket };
      if (heldKeys > 0) headValue.k = heldKeys;
      if (message.from !== undefined) record.f = message.from;
      const expireIn = maxAgeMs;
      const op = store.atomic()
        .check(head)
        .set(keys.head(topic), headValue, { expireIn })
        .set(keys.message(topic, epoch, seq), record, { expireIn })
        .set(keys.order(time, topic, epoch, seq), size, { expireIn })
        .sum(keys.bytes(bucket), u64(size))
        .sum(keys.clock(), u64(1));
      if (value.b !== bucket) {
        op.sum(keys.topics(value.b), u64(-1)).sum(
          keys.topics(bucket),
          u64(1),
        );
      }
      if (stateKey !== undefined && held !== undefined) {
        op.check(held);
        if (record.r === true) op.delete(stateKey);
        else {
          const entry: KvStateRecord = { ...record, q: seq };
          op.set(stateKey, entry, { expireIn });
        }
      }
      if (keyOfIdempotency !== undefined && used !== undefined) {
        const entry: KvIdempotencyRecord = { e: epoch, s: seq, t: time };
        op.check(used).set(keyOfIdempotency, entry, {
          expireIn: idempotencyWindowMs,
        });
      }
      if (trimmed !== undefined && trimmed.value !== null) {
        const old = trimmed.value;
        op.check(trimmed)
          .delete(trimmedKey)
          .delete(keys.order(old.t, topic, epoch, seq - maxMessages))
          .sum(keys.bytes(bucketOf(old.t)), u64(-old.s));
      }
      const { ok } = await op.commit();
      if (!ok) return undefined;
      await cleanCounters(store);
      const bytes = await total(store, keys.bytes());
      if (bytes > maxRetainedBytes) {
        await evict(store, bytes - maxRetainedBytes);
      }
      loop.wake();
      return toMessage(topic, epoch, seq, record);
    };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await unlessLocked(once, attempt);
      if (stored !== undefined) return stored;
    }
    throw new Error(
      `Cannot ${action}: ${MAX_ATTEMPTS} attempts lost the race to other appends`,
    );
  }

  return {
    append(
      topic: string,
      message: HubPublishMessage,
      options?: HubAppendOptions,
    ): Promise<HubDataMessage> {
      if (pending >= maxPendingAppends) {
        return Promise.reject(
          new Error(
            `Cannot publish to topic ${
              quote(topic)
            }: ${pending} appends are waiting, the maxPendingAppends of ${maxPendingAppends}`,
          ),
        );
      }
      // One append per topic at a time, so that ids follow the call order.
      pending++;
      const result = (chains.get(topic) ?? Promise.resolve()).then(() =>
        appendNow(topic, message, options?.idempotencyKey)
      );
      const settled = result.then(() => {}, () => {});
      chains.set(topic, settled);
      settled.then(() => {
        pending--;
        if (chains.get(topic) === settled) chains.delete(topic);
      });
      return result;
    },

    async read(topic: string, options: HubReadOptions): Promise<HubHistory> {
      const store = await open(`read topic ${quote(topic)}`);
      await loop.started(topic);
      for (let attempt = 0;; attempt++) { // unlessLocked throws at the end
        const history = await unlessLocked(
          () => readNow(store, topic, options),
          attempt,
        );
        if (history !== undefined) return history;
      }
    },

    async state(topic: string): Promise<HubState> {
      const store = await open(`read state of topic ${quote(topic)}`);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const state = await unlessLocked(() => stateNow(store, topic), attempt);
        if (state !== undefined) return state;
      }
      throw new Error(
        `Cannot read state of topic ${
          quote(topic)
        }: ${MAX_ATTEMPTS} attempts were overtaken by appends`,
      );
    },

    watch(
      topic: string,
      onMessage: (message: HubDataMessage) => void,
      options: HubWatchOptions = {},
    ): () => void {
      if (closed) {
        throw new Error(
          `Cannot watch topic ${quote(topic)}: the KV backend is closed`,
        );
      }
      return loop.watch(topic, onMessage, options.onGap);
    },

    compare(a: string, b: string): number {
      const x = parseId(a);
      const y = parseId(b);
      if (x === undefined || y === undefined) {
        throw new TypeError(
          `Cannot compare ids: ${
            quote(x === undefined ? a : b)
          } is not an id of the KV backend`,
        );
      }
      if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
      return x.seq - y.seq;
    },

    ...presenceMethods(presence),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await presence.close();
      await loop.close();
      if (owned) {
        try {
          (await opening).close();
        } catch {
          // It never opened: nothing to close.
        }
      }
    },
  };
}
