// Copyright 2026 the serverpush authors. MIT license.

import type { HubDataMessage } from "../message/message.ts";
import { quote } from "../_internal/quote.ts";
import { sleep } from "../_internal/sleep.ts";
import {
  type Connection,
  reconnectDelay,
  type RedisCommands,
  type RedisDriver,
  type Subscriber,
  type SubscriberOptions,
} from "./_redis_commands.ts";
import { type RawEntry, text, toMessage } from "./_redis_entry.ts";
import { asError, type Report } from "./_redis_report.ts";
import { compareStreamIds, isStreamId } from "./_redis_stream_id.ts";
import { RedisTopic, type RedisWatcher } from "./_redis_topic.ts";

const RUN_ID_REGEXP = /run_id:([0-9a-f]+)/;
/** Reads of topics in flight at once. */
const MAX_READS = 256;
/**
 * Reads of a catch-up (of every topic) in flight at once: the rest of
 * MAX_READS stays free for the topics notifications name, so live
 * delivery does not wait behind a catch-up of many topics.
 */
const MAX_CATCH_UP_READS = 128;
/** Milliseconds between heartbeats while the subscription is unconfirmed. */
const SYNC_BEAT_MS = 50;

/** Settings of {@linkcode RedisLive}. */
export interface RedisLiveOptions {
  url: string;
  /** The channel publishes notify, `<id> <topic>`. */
  channel: string;
  /** Milliseconds between heartbeats once the subscription is confirmed. */
  beatMs: number;
  timeoutMs: number;
  batch: number;
  /** Milliseconds between catch-ups of every topic; `Infinity` for none. */
  catchUpMs: number;
  report: Report;
}

/**
 * The live delivery of one backend. Every publish also notifies a Pub/Sub
 * channel with `<id> <topic>`; one subscriber connection per backend hears
 * it, and the reader connection then reads that one stream from the last id
 * delivered (`XREAD STREAMS key cursor`), so a message costs the same
 * however many topics are watched. Streams stay the source of truth: Pub/Sub
 * only says which stream to read.
 *
 * Pub/Sub is lossy when a connection breaks, so the backend sends itself a
 * heartbeat on a channel of its own every `beatMs`. After anything that may
 * have lost notifications (the subscriber's connection broke or was made
 * again, a heartbeat went missing), the next heartbeat that arrives proves
 * the subscription is back; the backend then checks whether Redis restarted
 * (a gap for every topic if so) and reads every watched topic from its last
 * id: O(topics), but only then, and every `catchUpMs`.
 */
export class RedisLive {
  #driver: RedisDriver;
  #commands: RedisCommands;
  #reader: Connection;
  #subscriber: Subscriber;
  #beatChannel: string;
  #beatMs: number;
  #batch: number;
  #report: Report;
  #topics: Map<string, RedisTopic> = new Map();
  /** Topics a notification named, waiting for a read slot. */
  #queue: Set<RedisTopic> = new Set();
  /** Topics a catch-up reads, waiting for a read slot after #queue. */
  #catchUpQueue: Set<RedisTopic> = new Set();
  #reads: Set<Promise<void>> = new Set();
  #catchUpReads = 0;
  /** Topics whose start or read failed, tried again after a backoff. */
  #retry: Set<RedisTopic> = new Set();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #closed = false;
  /** Whether no notification can have been missed since the last catch-up. */
  #synced = false;
  #syncing = false;
  #beatsSent = 0;
  #beatsSeen = 0;
  #beatTimer: ReturnType<typeof setTimeout> | undefined;
  #catchUpTimer: ReturnType<typeof setInterval> | undefined;
  #runId: string | undefined;
  #subscriberOptions: SubscriberOptions;
  /** The notification channel. */
  #channel: string;
  /** Bumped each time the Pub/Sub connection is replaced. */
  #generation = 0;
  /** When the last heartbeat arrived, or the Pub/Sub connection was made. */
  #lastHeard = 0;
  /** Silence after which a Pub/Sub connection is deemed deaf. */
  #deafAfterMs: number;
  /** Consecutive Pub/Sub connections whose SUBSCRIBE failed. */
  #subscribeFailures = 0;
  /** Aborted by close: ends the wait before a new Pub/Sub connection. */
  #stopped = new AbortController();
  /** Bumped on every (re)connection of the reader connection. */
  #epoch = 0;
  #verifiedEpoch = -1;
  #verifying: Promise<void> | undefined;
  /** Commands Redis refused to run (INFO): not tried again. */
  #refused: Set<string> = new Set();

  constructor(
    driver: RedisDriver,
    commands: RedisCommands,
    options: RedisLiveOptions,
  ) {
    this.#driver = driver;
    this.#commands = commands;
    this.#beatMs = options.beatMs;
    this.#batch = options.batch;
    this.#beatChannel = `${options.channel}#beat:${crypto.randomUUID()}`;
    const report = options.report;
    this.#report = report;
    // Heartbeats keep both connections busy: a healthy one answers within
    // beatMs + timeoutMs.
    const socketTimeout = options.beatMs + options.timeoutMs;
    this.#deafAfterMs = socketTimeout;
    const reader = driver.createConnection({
      url: options.url,
      reconnectStrategy: reconnectDelay,
      socketTimeout,
    });
    this.#reader = reader;
    reader.on("error", (error) => {
      const cause = asError(error);
      report(
        new Error(`Cannot reach Redis to read new messages: ${cause.message}`, {
          cause,
        }),
      );
    });
    // "connect" (not "ready"): replies to commands queued while offline can
    // arrive before "ready" is emitted.
    reader.on("connect", () => {
      this.#epoch++;
    });
    // Connection failures are retried and reported through "error" events.
    reader.connect().catch(() => undefined);
    this.#subscriberOptions = {
      url: options.url,
      reconnectStrategy: reconnectDelay,
      socketTimeout,
      onError: (error) =>
        report(
          new Error(
            `Cannot reach Redis to hear of new messages: ${error.message}`,
            { cause: error },
          ),
        ),
      onDisrupt: () => this.#disrupted(),
    };
    this.#channel = options.channel;
    this.#subscriber = this.#openSubscriber();
    this.#sendBeat();
    if (options.catchUpMs !== Infinity) {
      this.#catchUpTimer = setInterval(() => {
        if (this.#synced) this.#catchUp();
      }, options.catchUpMs);
    }
  }

  /** Subscribes `listener` to `channel` on the subscriber connection. */
  subscribe(
    channel: string,
    listener: (message: Uint8Array) => void,
  ): Promise<void> {
    return this.#subscriber.subscribe(channel, listener).then(
      () => {},
      (error) => {
        if (!this.#closed) {
          this.#report(
            new Error(`Cannot subscribe on Redis: ${asError(error).message}`, {
              cause: error,
            }),
          );
        }
      },
    );
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
      if (watched.watchers.size === 0 && this.#topics.get(topic) === watched) {
        this.#topics.delete(topic);
        this.#queue.delete(watched);
        this.#catchUpQueue.delete(watched);
        this.#retry.delete(watched);
      }
    };
  }

  /**
   * Drops both connections and stops reading.
   *
   * @returns A promise that resolves once no read is in flight.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stopped.abort();
      clearTimeout(this.#beatTimer);
      clearTimeout(this.#retryTimer);
      clearInterval(this.#catchUpTimer);
      this.#queue.clear();
      this.#catchUpQueue.clear();
      this.#retry.clear();
      this.#reader.destroy();
      this.#subscriber.destroy();
    }
    while (this.#reads.size > 0) await Promise.allSettled([...this.#reads]);
  }

  /**
   * Makes the Pub/Sub connection and subscribes it to the notification and
   * heartbeat channels. When a SUBSCRIBE fails (Redis paused, restarting or
   * refusing while it was in flight), the connection is dropped and made
   * anew after a backoff, until both succeed: the client subscribes again
   * by itself after a reconnection, but only to channels whose SUBSCRIBE
   * succeeded. Without this, the backend would hear no notification or
   * heartbeat for good, and its subscribers would get nothing more, with no
   * gap reported.
   */
  #openSubscriber(): Subscriber {
    const generation = ++this.#generation;
    // Give the new connection the time a healthy one takes to hear.
    this.#lastHeard = performance.now();
    const subscriber = this.#driver.createSubscriber(this.#subscriberOptions);
    const failed = async (error: unknown): Promise<void> => {
      // The first failure of this connection replaces it; the other
      // channel's failure, or one after close, does nothing.
      if (this.#closed || generation !== this.#generation) return;
      const replaced = ++this.#generation;
      this.#report(
        new Error(`Cannot subscribe on Redis: ${asError(error).message}`, {
          cause: error,
        }),
      );
      subscriber.destroy();
      await sleep(
        reconnectDelay(this.#subscribeFailures++),
        this.#stopped.signal,
      );
      // Unless closed, or replaced meanwhile by #checkHearing.
      if (this.#closed || this.#generation !== replaced) return;
      this.#subscriber = this.#openSubscriber();
      // Notifications published meanwhile were missed.
      this.#disrupted();
    };
    Promise.all([
      subscriber.subscribe(this.#channel, (message) => this.#notified(message)),
      subscriber.subscribe(this.#beatChannel, (message) => this.#beat(message)),
    ]).then(() => {
      if (generation === this.#generation) this.#subscribeFailures = 0;
    }, failed);
    return subscriber;
  }

  /** A notification `<id> <topic>`: reads the topic if it is watched. */
  #notified(message: Uint8Array): void {
    const value = text(message);
    const space = value.indexOf(" ");
    const state = this.#topics.get(value.slice(space + 1));
    if (state === undefined) return;
    const id = value.slice(0, space);
    // Already delivered by a read that the notification of an earlier
    // message started.
    if (
      state.cursor !== undefined && isStreamId(id) &&
      compareStreamIds(id, state.cursor) <= 0
    ) {
      return;
    }
    this.#request(state);
  }

  /** Notifications may have been lost: confirm the subscription soon. */
  #disrupted(): void {
    if (this.#closed) return;
    this.#synced = false;
    clearTimeout(this.#beatTimer);
    this.#beatTimer = setTimeout(() => this.#sendBeat(), SYNC_BEAT_MS);
  }

  /** Publishes the next heartbeat, and schedules the one after. */
  #sendBeat(): void {
    if (this.#closed) return;
    this.#beatTimer = setTimeout(
      () => this.#sendBeat(),
      this.#synced ? this.#beatMs : SYNC_BEAT_MS,
    );
    const beat = String(++this.#beatsSent);
    // A lost heartbeat is noticed when the next one arrives; connection
    // failures are reported through "error" events.
    this.#reader.sendCommand(["PUBLISH", this.#beatChannel, beat]).then(
      () => this.#checkHearing(),
      () => undefined,
    );
  }

  /**
   * Called when Redis took a heartbeat: if none was heard for longer than a
   * healthy Pub/Sub connection takes, that connection is deaf (its client
   * lost the subscriptions, or misreads what arrives, as node-redis can
   * after Redis paused and restarted while it reconnected), and waiting
   * for the next heartbeat would wait for good: make it anew.
   */
  #checkHearing(): void {
    if (this.#closed) return;
    const silent = performance.now() - this.#lastHeard;
    if (silent <= this.#deafAfterMs) return;
    this.#report(
      new Error(
        `Cannot hear Redis: no heartbeat for ${
          Math.round(silent)
        } ms while Redis took them; making the Pub/Sub connection again`,
      ),
    );
    this.#generation++;
    this.#subscriber.destroy();
    this.#subscriber = this.#openSubscriber();
    this.#disrupted();
  }

  /** A heartbeat arrived: the subscription works since it was published. */
  #beat(message: Uint8Array): void {
    const beat = Number(text(message));
    this.#lastHeard = performance.now();
    if (beat !== this.#beatsSeen + 1) this.#disrupted();
    this.#beatsSeen = beat;
    if (!this.#synced) this.#sync();
  }

  /**
   * Once the subscription is known to work: whether Redis restarted, then a
   * read of every topic from its last id. Anything published after the
   * heartbeat that started it is notified; anything before, read.
   */
  async #sync(): Promise<void> {
    if (this.#syncing || this.#closed) return;
    this.#syncing = true;
    // A disruption while this runs clears it again.
    this.#synced = true;
    try {
      await this.#verified();
      this.#catchUp();
    } catch (error) {
      this.#synced = false;
      if (!this.#closed && !this.#driver.isSocketClosed(error)) {
        this.#report(
          new Error(
            `Cannot catch up with Redis: ${asError(error).message}`,
            { cause: error },
          ),
        );
      }
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * Resolves once Redis's `run_id` was checked since the reader connection
   * last connected: a reply from a restarted Redis comes after a gap.
   */
  async #verified(): Promise<void> {
    if (this.#driver.cluster) return;
    while (this.#verifiedEpoch !== this.#epoch) {
      this.#verifying ??= this.#checkRestart().finally(() => {
        this.#verifying = undefined;
      });
      await this.#verifying;
    }
  }

  /** Reports a gap on every topic when Redis's `run_id` changed. */
  async #checkRestart(): Promise<void> {
    const epoch = this.#epoch;
    if (this.#refused.has("INFO")) {
      this.#verifiedEpoch = epoch;
      return;
    }
    let serverInfo: unknown;
    try {
      serverInfo = await this.#reader.sendCommand(["INFO", "server"]);
    } catch (error) {
      if (!this.#driver.isErrorReply(error)) throw error;
      this.#refused.add("INFO");
      this.#report(
        new Error(`Cannot use INFO server on Redis: ${error.message}`, {
          cause: error,
        }),
      );
      this.#verifiedEpoch = epoch;
      return;
    }
    const current = RUN_ID_REGEXP.exec(text(serverInfo))?.[1];
    if (this.#runId !== undefined && current !== this.#runId) {
      // A restarted Redis may have lost what was not read yet.
      for (const state of this.#topics.values()) {
        if (state.cursor !== undefined) state.gap(state.cursor, this.#report);
      }
    }
    this.#runId = current;
    this.#verifiedEpoch = epoch;
  }

  /** Reads every watched topic from its last id. */
  #catchUp(): void {
    for (const state of this.#topics.values()) this.#request(state, true);
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
        if (state.pending || retry) {
          state.pending = false;
          this.#request(state);
        }
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
        this.#retryLater(state);
      },
    );
  }

  /**
   * Reads `state` from its cursor as soon as a read slot is free; a
   * catch-up's read after those that notifications asked for.
   */
  #request(state: RedisTopic, catchUp = false): void {
    if (this.#closed) return;
    if (state.cursor === undefined) state.pending = true;
    else if (state.reading) state.again = true;
    else if (!catchUp) {
      this.#catchUpQueue.delete(state);
      this.#queue.add(state);
      this.#pump();
    } else if (!this.#queue.has(state)) {
      this.#catchUpQueue.add(state);
      this.#pump();
    }
  }

  #pump(): void {
    while (this.#reads.size < MAX_READS) {
      let catchUp = false;
      let state = this.#queue.values().next().value;
      if (state !== undefined) this.#queue.delete(state);
      else if (this.#catchUpReads < MAX_CATCH_UP_READS) {
        state = this.#catchUpQueue.values().next().value;
        if (state === undefined) return;
        this.#catchUpQueue.delete(state);
        catchUp = true;
      } else return;
      if (this.#topics.get(state.topic) !== state || state.reading) continue;
      state.reading = true;
      if (catchUp) this.#catchUpReads++;
      const read: Promise<void> = this.#read(state).finally(() => {
        this.#reads.delete(read);
        if (catchUp) this.#catchUpReads--;
        state.reading = false;
        if (state.again) {
          state.again = false;
          this.#request(state);
        }
        this.#pump();
      });
      this.#reads.add(read);
    }
  }

  /** Delivers what follows the cursor of `state`, batch by batch. */
  async #read(state: RedisTopic): Promise<void> {
    try {
      for (;;) {
        const cursor = state.cursor!;
        const reply = await this.#reader.sendCommand([
          "XREAD",
          "COUNT",
          String(this.#batch),
          "STREAMS",
          state.key,
          cursor,
        ]) as [Uint8Array, RawEntry[]][] | null;
        await this.#verified();
        if (this.#closed || this.#topics.get(state.topic) !== state) return;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === this.#batch) {
          // A full batch: more than maxLen may have been appended since the
          // cursor, and trimmed before this read. Fewer cannot have been.
          const found = await this.#reader.sendCommand([
            "XRANGE",
            state.key,
            cursor,
            cursor,
          ]) as RawEntry[];
          if (this.#closed || this.#topics.get(state.topic) !== state) return;
          if (found.length === 0) state.gap(cursor, this.#report);
        }
        for (const entry of entries) {
          state.deliver(toMessage(state.topic, entry), this.#report);
        }
        if (entries.length < this.#batch) break;
      }
      this.#failures = 0;
    } catch (error) {
      if (this.#closed) return;
      // Connection failures also come as "error" events; report the rest.
      if (!this.#driver.isSocketClosed(error)) {
        this.#report(
          new Error(
            `Cannot read new messages of topic ${
              quote(state.topic)
            } from Redis: ${asError(error).message}`,
            { cause: error },
          ),
        );
      }
      this.#retryLater(state);
    }
  }

  /** Starts or reads `state` again after a backoff. */
  #retryLater(state: RedisTopic): void {
    if (this.#closed) return;
    this.#retry.add(state);
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const states = [...this.#retry];
      this.#retry.clear();
      for (const retried of states) {
        if (this.#topics.get(retried.topic) !== retried) continue;
        if (retried.cursor !== undefined) this.#request(retried);
        else if (!retried.starting) this.#start(retried);
      }
    }, reconnectDelay(this.#failures++));
  }
}
