// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubBackend, HubHistory, HubReadOptions } from "./backend.ts";
import type { HubDataMessage, HubPublishMessage } from "./message.ts";

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
   * Clock in milliseconds, for `maxAgeMs`; tests pass a fake.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * What a {@linkcode MemoryBackend} holds right now.
 *
 * @example Count retained messages
 * ```ts
 * import { createMemoryBackend, type MemoryBackendStats } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const backend = createMemoryBackend();
 * await backend.append("a", { data: "1" });
 * const stats: MemoryBackendStats = backend.stats();
 * deepStrictEqual(stats, { topics: 1, messages: 1 });
 * ```
 */
export interface MemoryBackendStats {
  /** Topics that hold messages or are watched. */
  topics: number;
  /** Messages retained over all topics. */
  messages: number;
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
}

interface TopicLog {
  /** Retained messages from index `head`, oldest first. */
  messages: (HubDataMessage | undefined)[];
  seqs: number[];
  times: number[];
  head: number;
  /** Largest sequence number trimmed from (or unknown to) this log. */
  trimmedUpTo: number;
  watchers: Set<{ onMessage: (message: HubDataMessage) => void }>;
}

const DIGITS_REGEXP = /^[1-9][0-9]{0,15}$/;
const SWEEP_TOPICS = 4;

function randomEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function checkPositive(name: string, value: number, integer: boolean): void {
  const ok = integer ? Number.isSafeInteger(value) : !Number.isNaN(value);
  if (typeof value !== "number" || !ok || value <= 0) {
    throw new RangeError(
      `Cannot create memory backend: ${name} is ${value}, expected a positive ${
        integer ? "integer" : "number"
      }`,
    );
  }
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
 * `maxAgeMs`. A topic with no retained message and no watcher is forgotten;
 * a `since` that points before a forgotten topic's history is reported as
 * `"window-exceeded"` (conservatively, since the backend can no longer tell
 * whether anything was trimmed).
 *
 * @param options Window size, age limit and clock.
 * @returns A new backend.
 * @throws {RangeError} If `maxMessages` is not a positive integer or
 * `maxAgeMs` is not a positive number.
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
  const now = options.now ?? Date.now;
  checkPositive("maxMessages", maxMessages, true);
  checkPositive("maxAgeMs", maxAgeMs, false);
  const prefix = `${randomEpoch()}-`;
  /** Topics in order of their last append (watched-only ones anywhere). */
  const topics = new Map<string, TopicLog>();
  let seq = 0;

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
    log.head++;
    if (log.head >= 32 && log.head * 2 >= log.messages.length) {
      log.messages = log.messages.slice(log.head);
      log.seqs = log.seqs.slice(log.head);
      log.times = log.times.slice(log.head);
      log.head = 0;
    }
  }

  function trimAged(log: TopicLog): void {
    if (maxAgeMs === Infinity) return;
    const time = now();
    while (size(log) > 0 && time - log.times[log.head]! >= maxAgeMs) {
      trimOne(log);
    }
  }

  function forgetIfIdle(topic: string, log: TopicLog): boolean {
    if (size(log) > 0 || log.watchers.size > 0) return false;
    if (topics.get(topic) === log) topics.delete(topic);
    return true;
  }

  function logOf(topic: string): TopicLog {
    let log = topics.get(topic);
    if (log === undefined) {
      log = {
        messages: [],
        seqs: [],
        times: [],
        head: 0,
        trimmedUpTo: seq,
        watchers: new Set(),
      };
      topics.set(topic, log);
    }
    return log;
  }

  /** Forgets a few topics whose messages all expired; amortised O(1). */
  function sweep(skip: string): void {
    if (maxAgeMs === Infinity) return;
    let checked = 0;
    for (const [topic, log] of topics) {
      if (topic === skip || checked++ >= SWEEP_TOPICS) break;
      trimAged(log);
      if (forgetIfIdle(topic, log)) continue;
      if (size(log) > 0) break;
      // Watched but empty: move it out of the way of the age order.
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

  return {
    append(topic: string, message: HubPublishMessage): Promise<HubDataMessage> {
      const log = logOf(topic);
      trimAged(log);
      // Keep the map in order of last append, for the age sweep.
      topics.delete(topic);
      topics.set(topic, log);
      seq++;
      const stored: HubDataMessage = Object.freeze(
        message.event === undefined
          ? {
            kind: "message",
            topic,
            id: `${prefix}${seq}`,
            data: message.data,
          }
          : {
            kind: "message",
            topic,
            id: `${prefix}${seq}`,
            event: message.event,
            data: message.data,
          },
      );
      log.messages.push(stored);
      log.seqs.push(seq);
      log.times.push(now());
      if (size(log) > maxMessages) trimOne(log);
      sweep(topic);
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

    watch(
      topic: string,
      onMessage: (message: HubDataMessage) => void,
    ): () => void {
      const log = logOf(topic);
      const watcher = { onMessage };
      log.watchers.add(watcher);
      return () => {
        if (!log.watchers.delete(watcher)) return;
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

    stats(): MemoryBackendStats {
      let messages = 0;
      for (const log of topics.values()) messages += size(log);
      return { topics: topics.size, messages };
    },
  };
}
