// Copyright 2026 the serverpush authors. MIT license.

/**
 * The hub across processes and machines: a {@linkcode HubBackend} over Redis
 * Streams, so that every instance of a server shares one ordered, replayable
 * history per topic and a client can reconnect to any instance.
 *
 * This entry is separate from `@serverpush/serverpush/hub` because it loads
 * the one optional dependency of the package, node-redis's client (npm
 * `@redis/client`, the client of the npm `redis` package without its
 * modules); an application that never imports this entry never loads it.
 * It needs Redis 5 or later (Streams); 7.0 or later is recommended (see
 * {@linkcode createRedisBackend}).
 *
 * @example Two instances share one history
 * ```ts ignore
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createRedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const backendA = createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const backendB = createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const hubA = new Hub({ backend: backendA });
 * const hubB = new Hub({ backend: backendB });
 *
 * const seen = await hubA.publish("news", { data: "first" });
 * await hubA.publish("news", { data: "second" });
 * // The id is Redis's: another instance resumes after it.
 * const history = await hubB.history("news", { since: seen });
 * deepStrictEqual(history.messages.map((m) => m.data), ["second"]);
 *
 * await hubA.close();
 * await hubB.close();
 * await backendA.close();
 * await backendB.close();
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  createClient,
  ErrorReply,
  RESP_TYPES,
  SocketClosedUnexpectedlyError,
} from "npm:@redis/client@6.3.1";
import type { HubBackend, HubReadOptions, HubWatchOptions } from "./backend.ts";
import type { HubHistory } from "../message/source.ts";
import type { HubDataMessage, HubPublishMessage } from "../message/message.ts";
import { quote } from "./_validate.ts";

export type { HubBackend, HubReadOptions, HubWatchOptions } from "./backend.ts";
export type { HubHistory } from "../message/source.ts";
export type { HubDataMessage, HubPublishMessage } from "../message/message.ts";

/**
 * Options for {@linkcode createRedisBackend}.
 *
 * Every instance that shares a `keyPrefix` on one Redis must use the same
 * `maxLen`, and `batch` must not exceed it: the backend relies on Redis
 * keeping at least the newest `maxLen` messages of a topic to tell a gap in
 * live delivery from none.
 *
 * @example Keep 500 messages per topic, fail fast
 * ```ts
 * import { createRedisBackend, type RedisBackendOptions } from "@serverpush/serverpush/hub/redis";
 * import { rejects } from "node:assert/strict";
 *
 * const options: RedisBackendOptions = {
 *   url: "redis://127.0.0.1:1", // nothing listens here
 *   keyPrefix: "app:events:",
 *   maxLen: 500,
 *   timeoutMs: 100,
 *   onError: () => {},
 * };
 * const backend = createRedisBackend(options);
 * await rejects(backend.append("t", { data: "x" }), /Redis is unreachable/);
 * await backend.close();
 * ```
 */
export interface RedisBackendOptions {
  /**
   * Redis URL, `redis[s]://[[user][:password]@]host[:port][/db]`.
   *
   * @default {"redis://127.0.0.1:6379"}
   */
  url?: string;
  /**
   * Prefix of the stream keys: topic `t` is stored in the stream
   * `<keyPrefix>t`.
   *
   * @default {"serverpush:"}
   */
  keyPrefix?: string;
  /**
   * Messages kept per topic for replay: each publish is
   * `XADD key MAXLEN ~ maxLen`, so Redis keeps at least this many (up to
   * about 100 more, since it trims whole nodes).
   *
   * @default {1000}
   */
  maxLen?: number;
  /**
   * Milliseconds a topic's stream lives after its last publish: each publish
   * runs `XADD` then `PEXPIRE key ttlMs` in one script (`EVAL`, which the
   * Redis user must be allowed to run), so a topic nobody publishes to
   * vanishes from Redis with its history (a client resuming on it later gets
   * a reset). An hour covers a client that reconnects after a deploy or a
   * sleep, and bounds how long the keys of abandoned (or made-up) topics
   * stay in Redis. `Infinity` sets no expiry.
   *
   * @default {3600000}
   */
  ttlMs?: number;
  /**
   * Longest a read of new messages blocks in Redis (`XREAD BLOCK`), in
   * milliseconds. A new topic does not wait for it (the backend wakes the
   * read with `CLIENT UNBLOCK`); it bounds how long a dead connection goes
   * unnoticed, together with `timeoutMs`.
   *
   * @default {1000}
   */
  blockMs?: number;
  /**
   * Largest number of new messages read per topic at once (`XREAD COUNT`);
   * at most `maxLen`.
   *
   * @default {100}
   */
  batch?: number;
  /**
   * How long a publish or a history read waits for Redis, in milliseconds,
   * while Redis is unreachable or does not answer. Then it rejects.
   *
   * @default {5000}
   */
  timeoutMs?: number;
  /**
   * Commands (publishes and reads) that may wait for Redis at once; one more
   * rejects at once.
   *
   * @default {10000}
   */
  maxPendingCommands?: number;
  /**
   * Receives errors that no caller is waiting for: a failed connection
   * attempt, a broken connection, a failed read of new messages, an error
   * thrown by a watcher. The backend keeps reconnecting (backoff from 50 ms
   * up to 2 s, without end) and resumes on its own. By default they are
   * dropped; publishes and history reads still reject with their own
   * errors.
   *
   * @default {undefined}
   */
  onError?: (error: Error) => void;
}

/**
 * A {@linkcode HubBackend} over Redis Streams, from
 * {@linkcode createRedisBackend}, with {@linkcode RedisBackend.close} to
 * drop its connections.
 *
 * @example Close a backend
 * ```ts
 * import { createRedisBackend, type RedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { rejects } from "node:assert/strict";
 *
 * const backend: RedisBackend = createRedisBackend({
 *   url: "redis://127.0.0.1:1",
 *   onError: () => {},
 * });
 * await backend.close();
 * await rejects(backend.append("t", { data: "x" }), /the Redis backend is closed/);
 * ```
 */
export interface RedisBackend extends HubBackend {
  /**
   * Drops both connections to Redis at once and stops reading new
   * messages. Publishes and reads still waiting reject (a publish in flight
   * may have been stored); later calls reject. Watchers get nothing more.
   * Close the {@linkcode Hub} first. Calling it again does nothing.
   *
   * @returns A promise that resolves once the read loop has stopped.
   */
  close(): Promise<void>;
}

/** The part of a node-redis client this file uses. */
interface Connection {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (arg: unknown) => void): unknown;
  sendCommand(
    args: ReadonlyArray<string | Buffer>,
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown>;
}

/** A stream entry as Redis sends it: id and flat field / value list. */
type RawEntry = [Buffer, Buffer[]];

interface Watcher {
  onMessage: (message: HubDataMessage) => void;
  onGap: ((after: string) => void) | undefined;
}

interface TopicState {
  topic: string;
  key: string;
  watchers: Set<Watcher>;
  /** Last id delivered (or the start point); undefined until known. */
  cursor: string | undefined;
  /** Whether the command that finds the start point is in flight. */
  starting: boolean;
  /** Whether a start failed, so the next one must report a gap. */
  failed: boolean;
}

const ID_REGEXP = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;
const MAX_ID_PART = "18446744073709551615";
const RUN_ID_REGEXP = /run_id:([0-9a-f]+)/;
const IDLE_KEY_SUFFIX = "\0idle";
const UNBLOCK_RETRIES = 20;
/** XADD with MAXLEN ~ ARGV[1] and the fields ARGV[3..], then PEXPIRE ARGV[2]. */
const ADD_WITH_TTL_SCRIPT =
  "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3)) " +
  "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return id";
const decoder = new TextDecoder();

function comparePart(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two well-formed `ms-seq` ids. */
function compareIds(a: string, b: string): number {
  const i = a.indexOf("-");
  const j = b.indexOf("-");
  return comparePart(a.slice(0, i), b.slice(0, j)) ||
    comparePart(a.slice(i + 1), b.slice(j + 1));
}

/** Whether `id` is a canonical Redis stream id, `ms-seq`. */
function isId(id: unknown): id is string {
  if (typeof id !== "string") return false;
  const match = ID_REGEXP.exec(id);
  return match !== null && comparePart(match[1]!, MAX_ID_PART) <= 0 &&
    comparePart(match[2]!, MAX_ID_PART) <= 0;
}

function text(value: unknown): string {
  if (value instanceof Uint8Array) return decoder.decode(value);
  return String(value);
}

function toMessage(topic: string, entry: RawEntry): HubDataMessage {
  const id = text(entry[0]);
  const fields = entry[1];
  let data: Uint8Array | undefined;
  let event: string | undefined;
  let bytes = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = text(fields[i]);
    const value = fields[i + 1]!;
    if (name === "data") data = value;
    else if (name === "event") event = decoder.decode(value);
    else if (name === "type") bytes = text(value) === "bytes";
  }
  const payload = data === undefined
    ? ""
    : bytes
    ? new Uint8Array(data)
    : decoder.decode(data);
  return Object.freeze(
    event === undefined
      ? { kind: "message", topic, id, data: payload }
      : { kind: "message", topic, id, event, data: payload },
  );
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create Redis backend: ${name} is ${value}, expected an integer of at least ${min}`,
    );
  }
}

function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** Fields of an `XINFO STREAM` reply that `read` needs. */
interface StreamInfo {
  length: number;
  lastId: string;
  firstId: string | undefined;
  /** Whether entries were ever removed; `true` when Redis cannot tell. */
  removed: boolean;
}

function parseInfo(reply: unknown): StreamInfo {
  const fields = new Map<string, unknown>();
  const list = Array.isArray(reply) ? reply : [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    fields.set(text(list[i]), list[i + 1]);
  }
  const length = Number(fields.get("length") ?? 0);
  const added = fields.get("entries-added");
  const firstEntry = fields.get("first-entry");
  let firstId: string | undefined;
  if (length > 0) {
    firstId = fields.has("recorded-first-entry-id")
      ? text(fields.get("recorded-first-entry-id"))
      : Array.isArray(firstEntry)
      ? text(firstEntry[0])
      : undefined;
  }
  return {
    length,
    lastId: text(fields.get("last-generated-id") ?? "0-0"),
    firstId,
    removed: added === undefined ? true : Number(added) > length,
  };
}

/**
 * Creates a {@linkcode HubBackend} over Redis Streams, for a
 * {@linkcode Hub} that runs in several processes or on several machines.
 *
 * **Storage.** Each topic is one stream, `<keyPrefix><topic>`. A publish is
 * `XADD key MAXLEN ~ maxLen * data <payload> [event <type>] [type bytes]`,
 * followed by `PEXPIRE key ttlMs` in the same script (`EVAL`, atomic) so
 * that the stream of a topic nobody publishes to any more expires:
 * Redis assigns the id (`<ms>-<seq>`), and that id is the message's id on
 * every instance, so `Last-Event-ID`, cursors and `since` work whichever
 * instance a client comes back to. Text is stored as UTF-8 (a lone
 * surrogate becomes U+FFFD); a `Uint8Array` is stored as raw bytes with the
 * field `type` set to `bytes`, and comes back as an equal `Uint8Array`. An
 * entry written by another program with a `data` field and no `type` reads
 * as text.
 *
 * **Replay.** `read` is `XRANGE key since + COUNT limit+1`: when `since` is
 * still in the stream, what follows it is exact. When it is not, the backend
 * asks `XINFO STREAM`: an id newer than the stream's last id, a malformed
 * one, or one from before the stream's history began (for example from
 * before Redis restarted without persistence) is `"unknown-id"`; an id
 * older than the oldest retained entry of a trimmed stream is
 * `"window-exceeded"` (also when `since` was exactly the newest trimmed
 * entry, which Redis cannot tell apart). Redis 7.0 or later is needed to
 * tell an id from before the stream's history began; Redis 5 and 6 report
 * it as `"window-exceeded"`.
 *
 * **Live delivery.** One loop per backend runs `XREAD BLOCK blockMs COUNT
 * batch STREAMS k1 k2 ... id1 id2 ...` over every topic that has watchers,
 * on a connection of its own (blocking commands need one), and hands each
 * message to the local fan-out once; subscribers never open connections of
 * their own. The first watch of a topic sends `XREVRANGE key + - COUNT 1` on
 * the command connection to fix its start point, so anything a later
 * `read` of this backend observes is covered; a live subscriber on one
 * instance therefore receives what another instance publishes after any
 * later command of this backend (such as `hub.history`) has completed. When
 * the set of topics changes, the loop is woken at once with
 * `CLIENT UNBLOCK` from the command connection.
 *
 * **Faults.** A publish or read waits at most `timeoutMs` and at most
 * `maxPendingCommands` wait at once; then it rejects with an `Error` such as
 * `Cannot publish to topic "t": Redis is unreachable (connect ECONNREFUSED
 * 127.0.0.1:6379)`. When the connection broke while a publish was in flight,
 * or Redis accepted it but did not answer in time, the message ends with
 * `; the message may have been stored`: retrying it may store it twice.
 * Subscribers stay connected through an outage. Both connections reconnect
 * with a backoff from 50 ms up to 2 s, without end, and report each failure
 * to `onError`. The loop resumes from the last id it delivered on each
 * topic, so nothing Redis kept is lost and nothing is delivered twice. When
 * it finds that Redis restarted (its `run_id` changed) or that messages it
 * had not read yet were trimmed, it reports a gap
 * ({@linkcode HubWatchOptions.onGap}): each subscriber then replays from the
 * last message it received and gets a {@linkcode HubResetMessage} only if
 * messages are really gone.
 *
 * **Limits.** Redis Cluster is not supported (one `XREAD` spans every
 * topic's key). The loop looks for trimmed messages only when a read
 * returns a full `batch` (with fewer new messages than that, none can have
 * been trimmed while at least `maxLen` are kept), and then conservatively:
 * if the last id it delivered is gone too, it reports a gap even when the
 * next message happens to follow it. It does not notice a stream deleted by
 * hand (`DEL`, `FLUSHALL`) without a restart of Redis, nor a Redis whose
 * clock went back across a restart (new ids lower than delivered ones).
 *
 * @param options Connection, key prefix, window size, loop and fault
 * settings.
 * @returns A backend that is connecting; commands wait for the connection
 * up to `timeoutMs`.
 * @throws {RangeError} If a number option is out of range or `batch`
 * exceeds `maxLen`.
 * @throws {TypeError} If `keyPrefix` is not a string.
 *
 * @example A publish fails clearly when Redis is unreachable
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createRedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { ok, rejects } from "node:assert/strict";
 *
 * const errors: Error[] = [];
 * const backend = createRedisBackend({
 *   url: "redis://127.0.0.1:1", // nothing listens here
 *   timeoutMs: 200,
 *   onError: (error) => errors.push(error),
 * });
 * const hub = new Hub({ backend });
 * await rejects(
 *   hub.publish("news", { data: "x" }),
 *   /^Error: Cannot publish to topic "news": Redis is unreachable \(/,
 * );
 * ok(errors.length > 0);
 * await hub.close();
 * await backend.close();
 * ```
 *
 * @example Resume on another instance after a message id
 * ```ts ignore
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createRedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { strictEqual } from "node:assert/strict";
 *
 * const a = createRedisBackend();
 * const b = createRedisBackend();
 * const hubA = new Hub({ backend: a });
 * const hubB = new Hub({ backend: b });
 * const seen = await hubA.publish("chat", { data: "hello" });
 * const missed = await hubA.publish("chat", { data: "again" });
 * const reader = hubB.subscribe("chat", { since: seen }).getReader();
 * const { value } = await reader.read();
 * strictEqual(value?.kind === "message" && value.id, missed);
 * await hubA.close();
 * await hubB.close();
 * await a.close();
 * await b.close();
 * ```
 */
export function createRedisBackend(
  options: RedisBackendOptions = {},
): RedisBackend {
  const url = options.url ?? "redis://127.0.0.1:6379";
  const keyPrefix = options.keyPrefix ?? "serverpush:";
  const maxLen = options.maxLen ?? 1000;
  const ttlMs = options.ttlMs ?? 3_600_000;
  const blockMs = options.blockMs ?? 1000;
  const batch = options.batch ?? 100;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxPendingCommands = options.maxPendingCommands ?? 10_000;
  const onError = options.onError;
  if (typeof keyPrefix !== "string") {
    throw new TypeError(
      "Cannot create Redis backend: keyPrefix is not a string",
    );
  }
  checkInteger("maxLen", maxLen, 1);
  if (ttlMs !== Infinity) checkInteger("ttlMs", ttlMs, 1);
  checkInteger("blockMs", blockMs, 1);
  checkInteger("batch", batch, 1);
  checkInteger("timeoutMs", timeoutMs, 1);
  checkInteger("maxPendingCommands", maxPendingCommands, 1);
  if (batch > maxLen) {
    throw new RangeError(
      `Cannot create Redis backend: batch is ${batch}, which exceeds maxLen of ${maxLen}`,
    );
  }

  function reconnectStrategy(retries: number): number {
    return Math.min(50 * 2 ** Math.min(retries, 10), 2000) +
      Math.floor(Math.random() * 50);
  }
  const clientOptions = {
    url,
    RESP: 2 as const,
    commandOptions: {
      typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer },
    },
  };
  /** Publishes, reads, start points and wake-ups. */
  const client = createClient({
    ...clientOptions,
    commandsQueueMaxLength: maxPendingCommands,
    socket: { reconnectStrategy },
  }) as unknown as Connection;
  /** The blocking read loop; a healthy one answers within blockMs. */
  const loopClient = createClient({
    ...clientOptions,
    socket: { reconnectStrategy, socketTimeout: blockMs + timeoutMs },
  }) as unknown as Connection;

  const topics = new Map<string, TopicState>();
  let closed = false;
  let lastError: Error | undefined;
  /** Bumped on every (re)connection of the loop's connection. */
  let loopEpoch = 0;
  let verifiedEpoch = -1;
  let runId: string | undefined;
  let loopClientId: string | undefined;
  /** Bumped whenever a topic gets its start point. */
  let topicsVersion = 0;
  /** topicsVersion the XREAD in flight was built from, if one is. */
  let inflightVersion: number | undefined;
  let unblockPending = false;
  let unblockTimer: ReturnType<typeof setTimeout> | undefined;
  let backoffTimer: ReturnType<typeof setTimeout> | undefined;
  let backoffDone: (() => void) | undefined;
  /** Commands Redis refused to run (CLIENT, INFO): not tried again. */
  const refused = new Set<string>();

  function report(error: Error): void {
    if (closed || onError === undefined) return;
    try {
      onError(error);
    } catch (thrown) {
      reportLater(thrown);
    }
  }

  function asError(error: unknown): Error {
    return error instanceof Error ? error : new Error(String(error));
  }

  client.on("error", (error) => {
    lastError = asError(error);
    report(
      new Error(`Cannot reach Redis: ${lastError.message}`, { cause: error }),
    );
  });
  client.on("ready", () => {
    lastError = undefined;
  });
  loopClient.on("error", (error) => {
    const cause = asError(error);
    report(
      new Error(`Cannot reach Redis to read new messages: ${cause.message}`, {
        cause,
      }),
    );
  });
  // "connect" (not "ready"): replies to commands queued while offline can
  // arrive before "ready" is emitted.
  loopClient.on("connect", () => {
    loopEpoch++;
  });
  // Connection failures are retried and reported through "error" events.
  client.connect().catch(() => undefined);
  loopClient.connect().catch(() => undefined);

  function keyOf(topic: string): string {
    return keyPrefix + topic;
  }

  function unreachable(): string {
    return `Redis is unreachable (${lastError?.message ?? "not connected"})`;
  }

  /**
   * Sends a command on the command connection, bounded by timeoutMs, with
   * errors in the voice of `action`.
   */
  function send(
    action: string,
    topic: string,
    args: (string | Buffer)[],
    publish: boolean,
  ): Promise<unknown> {
    const fail = (state: string, cause?: unknown): Error =>
      new Error(`Cannot ${action} topic ${quote(topic)}: ${state}`, { cause });
    const unsure = publish ? "; the message may have been stored" : "";
    if (closed) {
      return Promise.reject(fail("the Redis backend is closed"));
    }
    return new Promise((resolve, reject) => {
      const abort = new AbortController();
      const timer = setTimeout(() => {
        // Takes the command out of the queue if it was not sent yet.
        abort.abort();
        reject(
          closed
            ? fail("the Redis backend is closed")
            : client.isReady
            ? fail(`Redis did not answer within ${timeoutMs} ms${unsure}`)
            : fail(unreachable()),
        );
      }, timeoutMs);
      client.sendCommand(args, { abortSignal: abort.signal }).then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error) => {
          clearTimeout(timer);
          if (closed) reject(fail("the Redis backend is closed", error));
          else if (error instanceof ErrorReply) {
            reject(fail(`Redis answered ${quote(error.message)}`, error));
          } else if (
            error instanceof Error && error.message === "The queue is full"
          ) {
            reject(
              fail(
                `${maxPendingCommands} commands are already waiting for Redis`,
                error,
              ),
            );
          } else if (error instanceof SocketClosedUnexpectedlyError) {
            reject(fail(`Redis is unreachable (${error.message})${unsure}`));
          } else reject(fail(unreachable(), error));
        },
      );
    });
  }

  async function range(
    topic: string,
    start: string,
    count: number,
  ): Promise<RawEntry[]> {
    const reply = await send("read", topic, [
      "XRANGE",
      keyOf(topic),
      start,
      "+",
      "COUNT",
      String(count),
    ], false);
    return reply as RawEntry[];
  }

  async function info(topic: string): Promise<StreamInfo> {
    try {
      return parseInfo(
        await send("read", topic, ["XINFO", "STREAM", keyOf(topic)], false),
      );
    } catch (error) {
      if (
        error instanceof Error && error.cause instanceof ErrorReply &&
        /no such key/i.test(error.cause.message)
      ) {
        return { length: 0, lastId: "0-0", firstId: undefined, removed: false };
      }
      throw error;
    }
  }

  function toMessages(topic: string, entries: RawEntry[]): HubDataMessage[] {
    return entries.map((entry) => toMessage(topic, entry));
  }

  // ---- live delivery --------------------------------------------------

  function deliverGap(state: TopicState, after: string): void {
    for (const watcher of state.watchers) {
      try {
        watcher.onGap?.(after);
      } catch (error) {
        report(asError(error));
      }
    }
  }

  function start(state: TopicState): void {
    state.starting = true;
    const retry = state.failed;
    client.sendCommand(["XREVRANGE", state.key, "+", "-", "COUNT", "1"]).then(
      (reply) => {
        state.starting = false;
        if (topics.get(state.topic) !== state) return;
        const last = (reply as RawEntry[])[0];
        state.cursor = last === undefined ? "0-0" : text(last[0]);
        state.failed = false;
        // Reads issued since the watch began may be ahead of this start.
        if (retry) deliverGap(state, state.cursor);
        wake();
      },
      (error) => {
        state.starting = false;
        state.failed = true;
        report(
          new Error(
            `Cannot watch topic ${quote(state.topic)}: ${
              asError(error).message
            }`,
            { cause: error },
          ),
        );
      },
    );
  }

  function wake(): void {
    topicsVersion++;
    unblock(0);
  }

  /** Interrupts an XREAD that misses a topic, retrying a few times. */
  function unblock(attempt: number): void {
    if (
      closed || unblockPending || unblockTimer !== undefined ||
      inflightVersion === undefined || inflightVersion === topicsVersion ||
      loopClientId === undefined
    ) {
      return;
    }
    unblockPending = true;
    client.sendCommand(["CLIENT", "UNBLOCK", loopClientId]).then(
      (unblocked) => {
        unblockPending = false;
        // 0: the XREAD has not reached Redis yet (or the id is stale).
        if (unblocked === 0 && attempt < UNBLOCK_RETRIES && !closed) {
          unblockTimer = setTimeout(() => {
            unblockTimer = undefined;
            unblock(attempt + 1);
          }, 10);
        }
      },
      (error) => {
        unblockPending = false;
        // The loop still wakes after blockMs; stop trying if refused.
        if (error instanceof ErrorReply) loopClientId = undefined;
        report(
          new Error(
            `Cannot wake the Redis read loop: ${asError(error).message}`,
            {
              cause: error,
            },
          ),
        );
      },
    );
  }

  /**
   * Sends a command of the loop connection that Redis may refuse (an ACL
   * without CLIENT or INFO): resolves with `undefined` then, once reported.
   */
  async function optional(args: string[]): Promise<unknown> {
    try {
      return await loopClient.sendCommand(args);
    } catch (error) {
      if (!(error instanceof ErrorReply)) throw error;
      if (!refused.has(args[0]!)) {
        refused.add(args[0]!);
        report(
          new Error(
            `Cannot use ${args.join(" ")} on Redis: ${error.message}`,
            { cause: error },
          ),
        );
      }
      return undefined;
    }
  }

  /** Learns the loop connection's id and whether Redis restarted. */
  async function verify(): Promise<void> {
    const epoch = loopEpoch;
    const [id, serverInfo] = await Promise.all([
      optional(["CLIENT", "ID"]),
      optional(["INFO", "server"]),
    ]);
    // Without an id, a new topic waits for the XREAD in flight to time out.
    loopClientId = id === undefined ? undefined : String(id);
    const current = serverInfo === undefined
      ? runId
      : RUN_ID_REGEXP.exec(text(serverInfo))?.[1];
    if (runId !== undefined && current !== runId) {
      // A restarted Redis may have lost what the loop had not read yet.
      for (const state of topics.values()) {
        if (state.cursor !== undefined) deliverGap(state, state.cursor);
      }
    }
    runId = current;
    verifiedEpoch = epoch;
  }

  async function deliver(reply: [Buffer, RawEntry[]][]): Promise<void> {
    for (const [rawKey, entries] of reply) {
      const topic = text(rawKey).slice(keyPrefix.length);
      let state = topics.get(topic);
      if (state?.cursor === undefined) continue;
      let from = 0;
      while (
        from < entries.length &&
        compareIds(text(entries[from]![0]), state.cursor!) <= 0
      ) from++;
      if (from === entries.length) continue;
      if (entries.length === batch) {
        // A full batch: more than maxLen may have been appended since the
        // cursor, and trimmed before this read. Fewer cannot have been.
        const cursor = state.cursor!;
        const found = await loopClient.sendCommand([
          "XRANGE",
          state.key,
          cursor,
          cursor,
        ]) as RawEntry[];
        if (topics.get(topic) !== state || state.cursor !== cursor) {
          state = undefined;
        } else if (found.length === 0) deliverGap(state, cursor);
        if (state === undefined) continue;
      }
      for (let i = from; i < entries.length; i++) {
        const message = toMessage(topic, entries[i]!);
        state.cursor = message.id;
        for (const watcher of state.watchers) {
          try {
            watcher.onMessage(message);
          } catch (error) {
            report(asError(error));
          }
        }
      }
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      backoffDone = resolve;
      backoffTimer = setTimeout(() => {
        backoffTimer = undefined;
        backoffDone = undefined;
        resolve();
      }, ms);
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!closed) {
      try {
        if (verifiedEpoch !== loopEpoch) await verify();
        const keys: string[] = [];
        const ids: string[] = [];
        for (const state of topics.values()) {
          if (state.cursor !== undefined) {
            keys.push(state.key);
            ids.push(state.cursor);
          } else if (!state.starting) start(state);
        }
        if (keys.length === 0) {
          // Nothing to watch: block on a key nobody writes, as a heartbeat.
          keys.push(keyPrefix + IDLE_KEY_SUFFIX);
          ids.push("$");
        }
        inflightVersion = topicsVersion;
        const reply = await loopClient.sendCommand([
          "XREAD",
          "COUNT",
          String(batch),
          "BLOCK",
          String(blockMs),
          "STREAMS",
          ...keys,
          ...ids,
        ]);
        inflightVersion = undefined;
        if (closed) return;
        // A reply from a restarted Redis comes after a gap: check first.
        if (verifiedEpoch !== loopEpoch) await verify();
        if (reply !== null) await deliver(reply as [Buffer, RawEntry[]][]);
        failures = 0;
      } catch (error) {
        inflightVersion = undefined;
        if (closed) return;
        // Connection failures also come as "error" events; report the rest.
        if (!(error instanceof SocketClosedUnexpectedlyError)) {
          report(
            new Error(
              `Cannot read new messages from Redis: ${asError(error).message}`,
              { cause: error },
            ),
          );
        }
        await sleep(reconnectStrategy(failures++));
      }
    }
  }

  const loopDone = loop();

  return {
    append(topic: string, message: HubPublishMessage): Promise<HubDataMessage> {
      const key = keyOf(topic);
      // With a TTL, one script runs XADD then PEXPIRE atomically: one
      // command (one round trip, one queue slot), and no key without TTL.
      const args: (string | Buffer)[] = ttlMs === Infinity
        ? ["XADD", key, "MAXLEN", "~", String(maxLen), "*"]
        : [
          "EVAL",
          ADD_WITH_TTL_SCRIPT,
          "1",
          key,
          String(maxLen),
          String(ttlMs),
        ];
      const { data, event } = message;
      if (typeof data === "string") args.push("data", data);
      else {
        args.push(
          "data",
          Buffer.from(data.buffer, data.byteOffset, data.byteLength),
          "type",
          "bytes",
        );
      }
      if (event !== undefined) args.push("event", event);
      return send("publish to", topic, args, true).then((reply) => {
        const id = text(reply);
        return Object.freeze(
          event === undefined
            ? { kind: "message", topic, id, data }
            : { kind: "message", topic, id, event, data },
        );
      });
    },

    async read(topic: string, options: HubReadOptions): Promise<HubHistory> {
      const { since, limit } = options;
      if (since === undefined) {
        return { messages: toMessages(topic, await range(topic, "-", limit)) };
      }
      let reset: HubHistory["reset"];
      if (!isId(since)) reset = "unknown-id";
      else {
        const entries = await range(topic, since, limit + 1);
        const first = entries[0];
        if (first !== undefined && text(first[0]) === since) {
          return { messages: toMessages(topic, entries.slice(1)) };
        }
        // `since` is not in the stream: trimmed, or never issued by it.
        const stream = await info(topic);
        if (compareIds(since, stream.lastId) > 0) reset = "unknown-id";
        else if (
          stream.firstId === undefined || compareIds(since, stream.firstId) < 0
        ) {
          reset = stream.removed ? "window-exceeded" : "unknown-id";
          // Everything retained follows `since`: the window from its start.
          if (first === undefined || stream.firstId === text(first[0])) {
            return {
              messages: toMessages(topic, entries.slice(0, limit)),
              reset,
            };
          }
        } else reset = "unknown-id";
      }
      return {
        messages: toMessages(topic, await range(topic, "-", limit)),
        reset,
      };
    },

    watch(
      topic: string,
      onMessage: (message: HubDataMessage) => void,
      options: HubWatchOptions = {},
    ): () => void {
      if (closed) {
        throw new Error(
          `Cannot watch topic ${quote(topic)}: the Redis backend is closed`,
        );
      }
      let state = topics.get(topic);
      if (state === undefined) {
        state = {
          topic,
          key: keyOf(topic),
          watchers: new Set(),
          cursor: undefined,
          starting: false,
          failed: false,
        };
        topics.set(topic, state);
        // Sent now, so it precedes any read issued after watch returns.
        start(state);
      }
      const watcher: Watcher = { onMessage, onGap: options.onGap };
      const watched = state;
      watched.watchers.add(watcher);
      return () => {
        if (!watched.watchers.delete(watcher)) return;
        // The loop leaves the topic out from its next read on.
        if (watched.watchers.size === 0 && topics.get(topic) === watched) {
          topics.delete(topic);
        }
      };
    },

    compare(a: string, b: string): number {
      for (const id of [a, b]) {
        if (!isId(id)) {
          throw new TypeError(
            `Cannot compare ids: ${quote(id)} is not a Redis stream id`,
          );
        }
      }
      return compareIds(a, b);
    },

    async close(): Promise<void> {
      if (!closed) {
        closed = true;
        clearTimeout(unblockTimer);
        clearTimeout(backoffTimer);
        backoffDone?.();
        client.destroy();
        loopClient.destroy();
      }
      await loopDone;
    },
  };
}
