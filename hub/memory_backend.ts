// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type {
  HubAppendOptions,
  HubBackend,
  HubReadOptions,
} from "./backend.ts";
import type { HubHistory, HubState } from "../message/source.ts";
import { encodedOnce } from "../message/encoded_once.ts";
import { HubLimitError } from "./limit_error.ts";
import type { HubDataMessage, HubPublishMessage } from "../message/message.ts";
import { dataByteLength, quote } from "./_validate.ts";
import { createPresenceStore } from "./_presence_store.ts";
import {
  addsKey,
  DEFAULT_MAX_KEYS_PER_TOPIC,
  storedMessage,
  tooManyKeys,
} from "./_keyed.ts";
import {
  checkPositiveInteger,
  checkPositiveNumber,
} from "../_internal/check.ts";

/**
 * Options for {@linkcode createMemoryBackend}.
 *
 * @example Keep the last 100 messages per topic for one minute
 * ```ts
 * import { createMemoryBackend, type MemoryBackendOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: MemoryBackendOptions = { maxMessages: 100, maxAgeMs: 60_000 };
 * const backend = createMemoryBackend(options);
 * strictEqual(backend.stats().topics, 0);
 * ```
 */
export interface MemoryBackendOptions {
  /**
   * Messages kept per topic for replay; older ones are trimmed on append.
   *
   * @default {1000}
   */
  maxMessages?: number;
  /**
   * Milliseconds a message stays in the replay window. Trimming is lazy: it
   * happens on appends and reads, with no timer.
   *
   * @default {Infinity}
   */
  maxAgeMs?: number;
  /**
   * Milliseconds after its last append that a topic with no watcher (no
   * subscriber) is forgotten, with its messages; a client resuming on it
   * later gets a `"window-exceeded"` reset. Ten minutes cover a client that
   * reconnects after a network change or a sleep, while a topic nobody uses
   * stops costing memory. Expiry is lazy: appends check the least recently
   * appended topics, with no timer.
   *
   * @default {600000}
   */
  maxIdleMs?: number;
  /**
   * Topics that may hold messages at once, over the whole backend. An
   * append that would create one more (to a topic that holds no message and
   * has no watcher) first forgets idle topics, then rejects with a
   * {@linkcode HubLimitError} of code `"too-many-topics"` (`429` from the
   * hub's handler). Watched topics are always accepted. Ten thousand is far
   * more than an application's own topics, and with `maxRetainedBytes`
   * keeps a flood of new topic names to a few MiB of bookkeeping.
   *
   * @default {10000}
   */
  maxTopics?: number;
  /**
   * Bytes of retained messages over all topics: each message counts its
   * payload (UTF-8 bytes for text, which is at least what a string takes in
   * memory) plus 128 bytes for its id and bookkeeping. An append past it
   * evicts the oldest messages of the backend, whatever their topic, and a
   * subscriber that resumes before an evicted message gets a
   * `"window-exceeded"` reset, as when `maxMessages` trims. 256 MiB holds a
   * full default window (1000 messages) of 256 topics at 1 KiB per message,
   * and bounds what publishers can pin in the process.
   *
   * @default {268435456}
   */
  maxRetainedBytes?: number;
  /**
   * Milliseconds during which an append with an idempotency key already
   * used on its topic stores nothing and resolves with the first message's
   * id. A topic remembers at most `maxMessages` keys (the oldest is
   * forgotten first), and forgets them with the topic itself (see
   * `maxIdleMs`).
   *
   * @default {600000}
   */
  idempotencyWindowMs?: number;
  /**
   * Keys a topic's state may hold (see `key` of `HubPublishMessage`): an
   * append that would add one more rejects with a {@linkcode HubLimitError}
   * of code `"too-many-keys"` (`429` from the hub's handler). The state of a
   * topic lives as long as the topic: a topic with no watcher and no append
   * for `maxIdleMs` is forgotten with its state.
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
}

/**
 * What a {@linkcode MemoryBackend} holds right now (`bytes` counts as
 * `maxRetainedBytes` does).
 *
 * @example Count retained messages
 * ```ts
 * import { createMemoryBackend, type MemoryBackendStats } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const backend = createMemoryBackend();
 * await backend.append("a", { data: "1" });
 * const stats: MemoryBackendStats = backend.stats();
 * deepStrictEqual(stats, { topics: 1, messages: 1, bytes: 129 });
 * ```
 */
export interface MemoryBackendStats {
  /** Topics that hold messages or are watched. */
  topics: number;
  /** Messages retained over all topics. */
  messages: number;
  /**
   * Bytes retained over all topics, as `maxRetainedBytes` counts them:
   * payloads plus 128 per message.
   */
  bytes: number;
}

/**
 * The in-memory {@linkcode HubBackend}, with {@linkcode MemoryBackend.stats}
 * to observe its size.
 *
 * @example Observe a topic being released
 * ```ts
 * import { createMemoryBackend, type MemoryBackend } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const backend: MemoryBackend = createMemoryBackend();
 * const unwatch = backend.watch("quiet", () => {});
 * strictEqual(backend.stats().topics, 1);
 * unwatch();
 * strictEqual(backend.stats().topics, 0);
 * ```
 */
export interface MemoryBackend extends HubBackend {
  /**
   * Counts topics and retained messages.
   *
   * @returns The current counts.
   */
  stats(): MemoryBackendStats;
  /**
   * Counts the messages one topic retains, and their bytes as
   * `maxRetainedBytes` counts them.
   *
   * @param topic The topic.
   * @returns The counts; zeros for a topic it does not know.
   *
   * @example Count one topic
   * ```ts
   * import { createMemoryBackend } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const backend = createMemoryBackend();
   * await backend.append("t", { data: "abc" });
   * deepStrictEqual(backend.retained("t"), { messages: 1, bytes: 131 });
   * ```
   */
  retained(topic: string): { messages: number; bytes: number };
  /**
   * Reads the state of a keyed topic (see {@linkcode HubBackend.state}).
   *
   * @param topic The topic.
   * @returns The latest message of every key, and the newest id.
   *
   * @example Read the state after a delete
   * ```ts
   * import { createMemoryBackend } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const backend = createMemoryBackend();
   * await backend.append("t", { key: "a", data: "1" });
   * await backend.append("t", { key: "b", data: "2" });
   * await backend.append("t", { key: "a", data: "", delete: true });
   * const state = await backend.state("t");
   * deepStrictEqual(state.messages.map((m) => m.key), ["b"]);
   * ```
   */
  state(topic: string): Promise<HubState>;
}

interface TopicLog {
  topic: string;
  /** Retained messages from index `head`, oldest first. */
  messages: (HubDataMessage | undefined)[];
  seqs: number[];
  times: number[];
  /** Bytes each message counts for, as maxRetainedBytes counts them. */
  sizes: number[];
  head: number;
  /** Time of the last append, for maxIdleMs. */
  lastAppend: number;
  /** Largest sequence number trimmed from (or unknown to) this log. */
  trimmedUpTo: number;
  watchers: Set<{ onMessage: (message: HubDataMessage) => void }>;
  /** Idempotency keys, oldest first: the sequence number and time of use. */
  keys: Map<string, { seq: number; time: number }>;
  /** The latest message of every state key. */
  state: Map<string, HubDataMessage>;
  /** Sequence number of the newest message appended (0: none). */
  lastSeq: number;
}

const DIGITS_REGEXP = /^[1-9][0-9]{0,15}$/;
const SWEEP_TOPICS = 4;
/** What a retained message counts for besides its payload. */
const MESSAGE_OVERHEAD = 128;
/** Stale entries of the eviction order tolerated before compacting. */
const ORDER_SLACK = 1024;

function randomEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function dataMessage(
  topic: string,
  id: string,
  message: HubPublishMessage,
): HubDataMessage {
  return storedMessage(topic, id, message);
}

function payloadBytes(message: HubDataMessage): number {
  return encodedOnce(message, dataByteLength);
}

/**
 * Creates the embedded, in-memory {@linkcode HubBackend}: a bounded window of
 * recent messages per topic, in one process.
 *
 * Ids look like `3f9a1c0b7d2e-42`: a random epoch chosen when the backend is
 * created, then a sequence number shared by all topics of the backend. They
 * are strictly increasing per topic. After a restart (a new backend) the
 * epoch differs, so an old id is reported as `"unknown-id"` rather than
 * taken for a newer one. Treat ids as opaque.
 *
 * Each topic keeps at most `maxMessages` messages, none older than
 * `maxAgeMs`. A topic with no retained message and no watcher is forgotten,
 * and so is one with no watcher and no append for `maxIdleMs`; a `since`
 * that points before a forgotten topic's history is reported as
 * `"window-exceeded"` (conservatively, since the backend can no longer tell
 * whether anything was trimmed).
 *
 * Over the whole backend, at most `maxTopics` topics hold messages (an
 * append to one more rejects with a {@linkcode HubLimitError}) and the
 * retained messages count at most `maxRetainedBytes` (an append past it
 * evicts the oldest messages, of any topic).
 *
 * @param options Window size, age limits, hub-wide caps and clock.
 * @returns A new backend.
 * @throws {RangeError} If `maxMessages`, `maxTopics` or `maxRetainedBytes`
 * is not a positive integer, or `maxAgeMs`, `maxIdleMs` or
 * `idempotencyWindowMs` is not a positive number.
 *
 * @example Read what was appended after an id
 * ```ts
 * import { createMemoryBackend } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const backend = createMemoryBackend({ maxMessages: 10 });
 * const a = await backend.append("t", { data: "a" });
 * await backend.append("t", { data: "b" });
 * const history = await backend.read("t", { since: a.id, limit: 10 });
 * deepStrictEqual(history.messages.map((m) => m.data), ["b"]);
 * ```
 *
 * @example Recognise an id from before a restart
 * ```ts
 * import { createMemoryBackend } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const before = createMemoryBackend();
 * const old = await before.append("t", { data: "a" });
 * const after = createMemoryBackend();
 * await after.append("t", { data: "b" });
 * const history = await after.read("t", { since: old.id, limit: 10 });
 * strictEqual(history.reset, "unknown-id");
 * strictEqual(history.messages[0]?.data, "b");
 * ```
 */
export function createMemoryBackend(
  options: MemoryBackendOptions = {},
): MemoryBackend {
  const maxMessages = options.maxMessages ?? 1000;
  const maxAgeMs = options.maxAgeMs ?? Infinity;
  const maxIdleMs = options.maxIdleMs ?? 600_000;
  const maxTopics = options.maxTopics ?? 10_000;
  const maxRetainedBytes = options.maxRetainedBytes ?? 268_435_456;
  const idempotencyWindowMs = options.idempotencyWindowMs ?? 600_000;
  const maxKeysPerTopic = options.maxKeysPerTopic ??
    DEFAULT_MAX_KEYS_PER_TOPIC;
  const now = options.now ?? Date.now;
  const what = "create memory backend";
  checkPositiveInteger(what, "maxKeysPerTopic", maxKeysPerTopic);
  checkPositiveNumber(what, "idempotencyWindowMs", idempotencyWindowMs);
  checkPositiveInteger(what, "maxMessages", maxMessages);
  checkPositiveNumber(what, "maxAgeMs", maxAgeMs);
  checkPositiveNumber(what, "maxIdleMs", maxIdleMs);
  checkPositiveInteger(what, "maxTopics", maxTopics);
  checkPositiveInteger(what, "maxRetainedBytes", maxRetainedBytes);
  const expires = maxAgeMs !== Infinity || maxIdleMs !== Infinity;
  const prefix = `${randomEpoch()}-`;
  /**
   * Topics in order of their last append (watched ones that the sweep
   * passed over are moved to the end).
   */
  const topics = new Map<string, TopicLog>();
  let seq = 0;
  /** Topics that hold at least one message. */
  let retainedTopics = 0;
  let retainedMessages = 0;
  let retainedBytes = 0;
  /**
   * Every retained message in append order, as (log, seq) pairs from
   * `orderHead`, for eviction by bytes; entries of messages trimmed
   * otherwise stay until the next compaction.
   */
  let orderLogs: TopicLog[] = [];
  let orderSeqs: number[] = [];
  let orderHead = 0;
  /** Time before which the sweep finds nothing to expire. */
  let sweepAfter = 0;

  function parse(id: string): number | undefined {
    if (typeof id !== "string" || !id.startsWith(prefix)) return undefined;
    const digits = id.slice(prefix.length);
    if (!DIGITS_REGEXP.test(digits)) return undefined;
    const value = Number(digits);
    return Number.isSafeInteger(value) && value <= seq ? value : undefined;
  }

  function size(log: TopicLog): number {
    return log.messages.length - log.head;
  }

  function trimOne(log: TopicLog): void {
    const index = log.head;
    log.trimmedUpTo = log.seqs[index]!;
    log.messages[index] = undefined;
    retainedBytes -= log.sizes[index]!;
    retainedMessages--;
    log.head++;
    if (log.head === log.messages.length) {
      if (log.state.size === 0) retainedTopics--;
      log.messages = [];
      log.seqs = [];
      log.times = [];
      log.sizes = [];
      log.head = 0;
    } else if (log.head >= 32 && log.head * 2 >= log.messages.length) {
      log.messages = log.messages.slice(log.head);
      log.seqs = log.seqs.slice(log.head);
      log.times = log.times.slice(log.head);
      log.sizes = log.sizes.slice(log.head);
      log.head = 0;
    }
  }

  /** Evicts the oldest retained message of the backend. */
  function evictOldest(): void {
    while (orderHead < orderLogs.length) {
      const log = orderLogs[orderHead]!;
      const at = orderSeqs[orderHead]!;
      orderHead++;
      if (at <= log.trimmedUpTo) continue;
      // The oldest message of the backend is the oldest of its topic.
      trimOne(log);
      forgetIfIdle(log.topic, log);
      return;
    }
  }

  /** Drops the eviction order's entries of messages no longer retained. */
  function compactOrder(): void {
    const logs: TopicLog[] = [];
    const seqs: number[] = [];
    for (let i = orderHead; i < orderLogs.length; i++) {
      const log = orderLogs[i]!;
      const at = orderSeqs[i]!;
      if (at > log.trimmedUpTo) {
        logs.push(log);
        seqs.push(at);
      }
    }
    orderLogs = logs;
    orderSeqs = seqs;
    orderHead = 0;
  }

  function trimAged(log: TopicLog): void {
    if (maxAgeMs === Infinity) return;
    const time = now();
    while (size(log) > 0 && time - log.times[log.head]! >= maxAgeMs) {
      trimOne(log);
    }
  }

  function forgetIfIdle(topic: string, log: TopicLog): boolean {
    if (size(log) > 0 || log.state.size > 0 || log.watchers.size > 0) {
      return false;
    }
    if (topics.get(topic) === log) topics.delete(topic);
    return true;
  }

  function newLog(topic: string): TopicLog {
    return {
      topic,
      messages: [],
      seqs: [],
      times: [],
      sizes: [],
      head: 0,
      lastAppend: now(),
      trimmedUpTo: seq,
      watchers: new Set(),
      keys: new Map(),
      state: new Map(),
      lastSeq: 0,
    };
  }

  /**
   * Forgets a few topics whose messages all expired or that went idle,
   * least recently appended first; amortised O(1).
   */
  function sweep(skip: string, time: number, force: boolean): void {
    if (!expires || (time < sweepAfter && !force)) return;
    // Until told otherwise, nothing can expire before the newest topic.
    sweepAfter = time + Math.min(maxAgeMs, maxIdleMs);
    let checked = 0;
    for (const [topic, log] of topics) {
      if (topic === skip) break;
      if (checked++ >= SWEEP_TOPICS) {
        sweepAfter = time;
        break;
      }
      const idle = time - log.lastAppend >= maxIdleMs;
      if (idle && log.watchers.size === 0) {
        if (size(log) === 0 && log.state.size > 0) retainedTopics--;
        log.state.clear();
        while (size(log) > 0) trimOne(log);
      } else trimAged(log);
      if (forgetIfIdle(topic, log)) continue;
      if (size(log) > 0 && !idle) {
        // The least recently appended topic: the first that can expire.
        sweepAfter = Math.min(
          log.lastAppend + maxIdleMs,
          log.times[log.head]! + maxAgeMs,
        );
        break;
      }
      // Watched, and empty or idle: move it out of the way of the order.
      topics.delete(topic);
      topics.set(topic, log);
    }
  }

  function indexAfter(log: TopicLog, after: number): number {
    let low = log.head;
    let high = log.messages.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (log.seqs[mid]! <= after) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Forgets the topic's idempotency keys that are too old or too many. */
  function expireKeys(log: TopicLog, time: number): void {
    for (const [key, used] of log.keys) {
      if (
        time - used.time < idempotencyWindowMs &&
        log.keys.size <= maxMessages
      ) break;
      log.keys.delete(key);
    }
  }

  /** The first message of a repeated idempotency key, else undefined. */
  function repeated(
    log: TopicLog,
    key: string,
    message: HubPublishMessage,
    time: number,
  ): HubDataMessage | undefined {
    expireKeys(log, time);
    const used = log.keys.get(key);
    if (used === undefined) return undefined;
    const index = indexAfter(log, used.seq - 1);
    if (log.seqs[index] === used.seq) return log.messages[index]!;
    // Trimmed since: the id is the first's, the payload this retry's.
    return dataMessage(log.topic, `${prefix}${used.seq}`, message);
  }

  return {
    append(
      topic: string,
      message: HubPublishMessage,
      options?: HubAppendOptions,
    ): Promise<HubDataMessage> {
      const time = now();
      let log = topics.get(topic);
      const key = options?.idempotencyKey;
      if (log !== undefined && key !== undefined) {
        const first = repeated(log, key, message, time);
        if (first !== undefined) return Promise.resolve(first);
      }
      if (log === undefined) {
        if (retainedTopics >= maxTopics) sweep(topic, time, true);
        if (retainedTopics >= maxTopics) {
          return Promise.reject(
            new HubLimitError(
              `Cannot publish to topic ${
                quote(topic)
              }: ${retainedTopics} topics hold messages, the maxTopics of ${maxTopics}`,
              { code: "too-many-topics" },
            ),
          );
        }
        log = newLog(topic);
      } else {
        trimAged(log);
        if (
          addsKey(message, log.state.has(message.key ?? "")) &&
          log.state.size >= maxKeysPerTopic
        ) {
          return Promise.reject(
            tooManyKeys(topic, log.state.size, maxKeysPerTopic),
          );
        }
        // Keep the map in order of last append, for the sweep.
        topics.delete(topic);
      }
      topics.set(topic, log);
      log.lastAppend = time;
      seq++;
      if (key !== undefined) {
        log.keys.set(key, { seq, time });
        expireKeys(log, time);
      }
      const stored = dataMessage(topic, `${prefix}${seq}`, message);
      const bytes = payloadBytes(stored) + MESSAGE_OVERHEAD;
      if (size(log) === 0 && log.state.size === 0) retainedTopics++;
      log.lastSeq = seq;
      if (stored.key !== undefined) {
        // Delete and set again, so that the map stays in id order.
        log.state.delete(stored.key);
        if (stored.deleted !== true) log.state.set(stored.key, stored);
      }
      log.messages.push(stored);
      log.seqs.push(seq);
      log.times.push(log.lastAppend);
      log.sizes.push(bytes);
      retainedMessages++;
      retainedBytes += bytes;
      orderLogs.push(log);
      orderSeqs.push(seq);
      if (size(log) > maxMessages) trimOne(log);
      while (retainedBytes > maxRetainedBytes) evictOldest();
      if (orderLogs.length - orderHead > 2 * retainedMessages + ORDER_SLACK) {
        compactOrder();
      }
      sweep(topic, time, false);
      let failure: { error: unknown } | undefined;
      for (const watcher of log.watchers) {
        try {
          watcher.onMessage(stored);
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure !== undefined) return Promise.reject(failure.error);
      return Promise.resolve(stored);
    },

    read(topic: string, options: HubReadOptions): Promise<HubHistory> {
      const log = topics.get(topic);
      if (log !== undefined) {
        trimAged(log);
        forgetIfIdle(topic, log);
      }
      if (options.last !== undefined) {
        const messages: HubDataMessage[] = [];
        if (log !== undefined) {
          const count = Math.min(options.last, options.limit, size(log));
          for (
            let i = log.messages.length - count;
            i < log.messages.length;
            i++
          ) {
            messages.push(log.messages[i]!);
          }
        }
        return Promise.resolve({ messages });
      }
      let after = 0;
      let reset: HubHistory["reset"];
      if (options.since !== undefined) {
        const since = parse(options.since);
        if (since === undefined) reset = "unknown-id";
        else if (since < (log?.trimmedUpTo ?? seq)) reset = "window-exceeded";
        else after = since;
      }
      const messages: HubDataMessage[] = [];
      if (log !== undefined) {
        const start = indexAfter(log, after);
        const end = Math.min(log.messages.length, start + options.limit);
        for (let i = start; i < end; i++) messages.push(log.messages[i]!);
      }
      return Promise.resolve(
        reset === undefined ? { messages } : {
          messages,
          reset,
        },
      );
    },

    state(topic: string): Promise<HubState> {
      const log = topics.get(topic);
      if (log === undefined || log.lastSeq === 0) {
        return Promise.resolve({ messages: [], last: undefined });
      }
      return Promise.resolve({
        messages: [...log.state.values()],
        last: `${prefix}${log.lastSeq}`,
      });
    },

    watch(
      topic: string,
      onMessage: (message: HubDataMessage) => void,
    ): () => void {
      let log = topics.get(topic);
      if (log === undefined) {
        log = newLog(topic);
        topics.set(topic, log);
      }
      const watcher = { onMessage };
      log.watchers.add(watcher);
      return () => {
        if (!log.watchers.delete(watcher)) return;
        // An idle topic that loses its last watcher may expire now.
        sweepAfter = 0;
        trimAged(log);
        forgetIfIdle(topic, log);
      };
    },

    compare(a: string, b: string): number {
      const x = parse(a);
      const y = parse(b);
      if (x === undefined || y === undefined) {
        const bad = x === undefined ? a : b;
        throw new TypeError(
          `Cannot compare ids: ${
            JSON.stringify(String(bad).slice(0, 40))
          } was not issued by this backend`,
        );
      }
      return x - y;
    },

    retained(topic: string): { messages: number; bytes: number } {
      const log = topics.get(topic);
      if (log === undefined) return { messages: 0, bytes: 0 };
      let bytes = 0;
      for (let i = log.head; i < log.sizes.length; i++) bytes += log.sizes[i]!;
      return { messages: size(log), bytes };
    },

    stats(): MemoryBackendStats {
      return {
        topics: topics.size,
        messages: retainedMessages,
        bytes: retainedBytes,
      };
    },

    ...createPresenceStore(),
  };
}
