// Copyright 2026 the serverpush authors. MIT license.

import type { HubDataMessage } from "../message/message.ts";
import { sleep } from "../_internal/sleep.ts";
import { quote } from "../_internal/quote.ts";
import {
  type Connection,
  reconnectDelay,
  type RedisCommands,
  type RedisDriver,
} from "./_redis_commands.ts";
import { type RawEntry, text, toMessage } from "./_redis_entry.ts";
import { asError, type Report } from "./_redis_report.ts";
import { compareStreamIds } from "./_redis_stream_id.ts";
import { RedisTopic, type RedisWatcher } from "./_redis_topic.ts";

const RUN_ID_REGEXP = /run_id:([0-9a-f]+)/;
const IDLE_KEY_SUFFIX = "\0idle";
const UNBLOCK_RETRIES = 20;

/** Settings of {@linkcode RedisReadLoop}. */
export interface RedisReadLoopOptions {
  url: string;
  keyPrefix: string;
  blockMs: number;
  timeoutMs: number;
  batch: number;
  report: Report;
}

/**
 * The live delivery of one backend: a loop of `XREAD BLOCK` over every
 * watched topic, on a connection of its own, that hands each new message
 * to the topic's watchers once and reports gaps (a restarted Redis, trimmed
 * messages, a failed start) to their `onGap`.
 *
 * A new topic gets its start point on the command connection (so that
 * anything a later read of the backend observes is covered), then wakes
 * the XREAD in flight with `CLIENT UNBLOCK`.
 */
export class RedisReadLoop {
  #driver: RedisDriver;
  #commands: RedisCommands;
  #connection: Connection;
  #keyPrefix: string;
  #blockMs: string;
  #batch: number;
  #report: Report;
  #topics: Map<string, RedisTopic> = new Map();
  #closed = false;
  /** Bumped on every (re)connection of the loop's connection. */
  #epoch = 0;
  #verifiedEpoch = -1;
  #runId: string | undefined;
  #clientId: string | undefined;
  /** Bumped whenever a topic gets its start point. */
  #topicsVersion = 0;
  /** #topicsVersion the XREAD in flight was built from, if one is. */
  #inflightVersion: number | undefined;
  #unblockPending = false;
  #unblockTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborted on close: cuts the wait before the next try short. */
  #stop = new AbortController();
  /** Commands Redis refused to run (CLIENT, INFO): not tried again. */
  #refused: Set<string> = new Set();
  #done: Promise<void>;

  constructor(
    driver: RedisDriver,
    commands: RedisCommands,
    options: RedisReadLoopOptions,
  ) {
    this.#driver = driver;
    this.#commands = commands;
    this.#keyPrefix = options.keyPrefix;
    this.#blockMs = String(options.blockMs);
    this.#batch = options.batch;
    const report = options.report;
    this.#report = report;
    // A healthy connection answers within blockMs.
    const connection = driver.createConnection({
      url: options.url,
      reconnectStrategy: reconnectDelay,
      socketTimeout: options.blockMs + options.timeoutMs,
    });
    this.#connection = connection;
    connection.on("error", (error) => {
      const cause = asError(error);
      report(
        new Error(`Cannot reach Redis to read new messages: ${cause.message}`, {
          cause,
        }),
      );
    });
    // "connect" (not "ready"): replies to commands queued while offline can
    // arrive before "ready" is emitted.
    connection.on("connect", () => {
      this.#epoch++;
    });
    // Connection failures are retried and reported through "error" events.
    connection.connect().catch(() => undefined);
    this.#done = this.#loop();
  }

  /**
   * Adds a watcher of `topic`; the returned function removes it. The first
   * watcher of a topic fixes its start point at once.
   */
  watch(
    topic: string,
    onMessage: (message: HubDataMessage) => void,
    onGap: ((after: string) => void) | undefined,
  ): () => void {
    let state = this.#topics.get(topic);
    if (state === undefined) {
      state = new RedisTopic(topic, this.#commands.keyOf(topic));
      this.#topics.set(topic, state);
      // Sent now, so it precedes any read issued after watch returns.
      this.#start(state);
    }
    const watcher: RedisWatcher = { onMessage, onGap };
    const watched = state;
    watched.watchers.add(watcher);
    return () => {
      if (!watched.watchers.delete(watcher)) return;
      // The loop leaves the topic out from its next read on.
      if (watched.watchers.size === 0 && this.#topics.get(topic) === watched) {
        this.#topics.delete(topic);
      }
    };
  }

  /**
   * Drops the loop's connection and stops the loop.
   *
   * @returns A promise that resolves once the loop has stopped.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#unblockTimer);
      this.#stop.abort();
      this.#connection.destroy();
    }
    return this.#done;
  }

  #start(state: RedisTopic): void {
    state.starting = true;
    const retry = state.failed;
    this.#commands.newestId(state.key).then(
      (id) => {
        state.starting = false;
        if (this.#topics.get(state.topic) !== state) return;
        state.cursor = id;
        state.failed = false;
        // Reads issued since the watch began may be ahead of this start.
        if (retry) state.gap(id, this.#report);
        this.#wake();
      },
      (error) => {
        state.starting = false;
        state.failed = true;
        this.#report(
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

  #wake(): void {
    this.#topicsVersion++;
    this.#unblock(0);
  }

  /** Interrupts an XREAD that misses a topic, retrying a few times. */
  #unblock(attempt: number): void {
    const clientId = this.#clientId;
    if (
      this.#closed || this.#unblockPending ||
      this.#unblockTimer !== undefined ||
      this.#inflightVersion === undefined ||
      this.#inflightVersion === this.#topicsVersion ||
      clientId === undefined
    ) {
      return;
    }
    this.#unblockPending = true;
    this.#commands.unblock(clientId).then(
      (unblocked) => {
        this.#unblockPending = false;
        // Not unblocked: the XREAD has not reached Redis yet (or the id is
        // stale).
        if (!unblocked && attempt < UNBLOCK_RETRIES && !this.#closed) {
          this.#unblockTimer = setTimeout(() => {
            this.#unblockTimer = undefined;
            this.#unblock(attempt + 1);
          }, 10);
        }
      },
      (error) => {
        this.#unblockPending = false;
        // The loop still wakes after blockMs; stop trying if refused.
        if (this.#driver.isErrorReply(error)) this.#clientId = undefined;
        this.#report(
          new Error(
            `Cannot wake the Redis read loop: ${asError(error).message}`,
            { cause: error },
          ),
        );
      },
    );
  }

  /**
   * Sends a command of the loop connection that Redis may refuse (an ACL
   * without CLIENT or INFO): resolves with `undefined` then, once reported.
   */
  async #optional(args: string[]): Promise<unknown> {
    try {
      return await this.#connection.sendCommand(args);
    } catch (error) {
      if (!this.#driver.isErrorReply(error)) throw error;
      if (!this.#refused.has(args[0]!)) {
        this.#refused.add(args[0]!);
        this.#report(
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
  async #verify(): Promise<void> {
    const epoch = this.#epoch;
    const [id, serverInfo] = await Promise.all([
      this.#optional(["CLIENT", "ID"]),
      this.#optional(["INFO", "server"]),
    ]);
    // Without an id, a new topic waits for the XREAD in flight to time out.
    this.#clientId = id === undefined ? undefined : String(id);
    const current = serverInfo === undefined
      ? this.#runId
      : RUN_ID_REGEXP.exec(text(serverInfo))?.[1];
    if (this.#runId !== undefined && current !== this.#runId) {
      // A restarted Redis may have lost what the loop had not read yet.
      for (const state of this.#topics.values()) {
        if (state.cursor !== undefined) state.gap(state.cursor, this.#report);
      }
    }
    this.#runId = current;
    this.#verifiedEpoch = epoch;
  }

  async #deliver(reply: [Uint8Array, RawEntry[]][]): Promise<void> {
    const prefixLength = this.#keyPrefix.length;
    for (const [rawKey, entries] of reply) {
      const topic = text(rawKey).slice(prefixLength);
      let state = this.#topics.get(topic);
      if (state?.cursor === undefined) continue;
      let from = 0;
      while (
        from < entries.length &&
        compareStreamIds(text(entries[from]![0]), state.cursor!) <= 0
      ) from++;
      if (from === entries.length) continue;
      if (entries.length === this.#batch) {
        // A full batch: more than maxLen may have been appended since the
        // cursor, and trimmed before this read. Fewer cannot have been.
        const cursor = state.cursor!;
        const found = await this.#connection.sendCommand([
          "XRANGE",
          state.key,
          cursor,
          cursor,
        ]) as RawEntry[];
        if (this.#topics.get(topic) !== state || state.cursor !== cursor) {
          state = undefined;
        } else if (found.length === 0) state.gap(cursor, this.#report);
        if (state === undefined) continue;
      }
      for (let i = from; i < entries.length; i++) {
        state.deliver(toMessage(topic, entries[i]!), this.#report);
      }
    }
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      try {
        if (this.#verifiedEpoch !== this.#epoch) await this.#verify();
        const keys: string[] = [];
        const ids: string[] = [];
        for (const state of this.#topics.values()) {
          if (state.cursor !== undefined) {
            keys.push(state.key);
            ids.push(state.cursor);
          } else if (!state.starting) this.#start(state);
        }
        if (keys.length === 0) {
          // Nothing to watch: block on a key nobody writes, as a heartbeat.
          keys.push(this.#keyPrefix + IDLE_KEY_SUFFIX);
          ids.push("$");
        }
        this.#inflightVersion = this.#topicsVersion;
        const reply = await this.#connection.sendCommand([
          "XREAD",
          "COUNT",
          String(this.#batch),
          "BLOCK",
          this.#blockMs,
          "STREAMS",
          ...keys,
          ...ids,
        ]);
        this.#inflightVersion = undefined;
        if (this.#closed) return;
        // A reply from a restarted Redis comes after a gap: check first.
        if (this.#verifiedEpoch !== this.#epoch) await this.#verify();
        if (reply !== null) {
          await this.#deliver(reply as [Uint8Array, RawEntry[]][]);
        }
        failures = 0;
      } catch (error) {
        this.#inflightVersion = undefined;
        if (this.#closed) return;
        // Connection failures also come as "error" events; report the rest.
        if (!this.#driver.isSocketClosed(error)) {
          this.#report(
            new Error(
              `Cannot read new messages from Redis: ${asError(error).message}`,
              { cause: error },
            ),
          );
        }
        await sleep(reconnectDelay(failures++), this.#stop.signal);
      }
    }
  }
}
