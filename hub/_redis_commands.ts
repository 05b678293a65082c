// Copyright 2026 the serverpush authors. MIT license.

import { Buffer } from "node:buffer";
import type { HubPublishMessage } from "../message/message.ts";
import { backoffDelay } from "../_internal/backoff.ts";
import { quote } from "../_internal/quote.ts";
import type { HubDataMessage } from "../message/message.ts";
import { type RawEntry, text, toMessage } from "./_redis_entry.ts";
import { asError, type Report } from "./_redis_report.ts";
import {
  APPEND_SCRIPT,
  packState,
  parseState,
  slotTagged,
  STATE_SCRIPT,
  stateKeyOf,
} from "./_redis_keyed.ts";
import { storedMessage, tooManyKeys } from "./_keyed.ts";

/** The part of a node-redis client the backend uses. */
export interface Connection {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (arg: unknown) => void): unknown;
  sendCommand(
    args: ReadonlyArray<string | Uint8Array>,
    options?: {
      abortSignal?: AbortSignal;
      /** On a cluster: the key whose node runs a keyless command. */
      routing?: string;
    },
  ): Promise<unknown>;
}

/** What a connection needs beyond the client's own settings. */
export interface ConnectionOptions {
  url: string;
  /** Milliseconds to wait before reconnection attempt `retries + 1`. */
  reconnectStrategy: (retries: number) => number;
  /** Commands that may wait at once; one more is refused. */
  commandsQueueMaxLength?: number;
  /** Milliseconds of silence after which the socket counts as broken. */
  socketTimeout?: number;
}

/** What a subscriber connection needs. */
export interface SubscriberOptions extends ConnectionOptions {
  /** Receives the connection's errors. */
  onError: (error: Error) => void;
  /**
   * Called whenever messages published meanwhile may not reach the
   * subscriber: its connection broke, or was made again.
   */
  onDisrupt: () => void;
}

/**
 * A Pub/Sub connection: it subscribes again by itself after a reconnect
 * (and says so through `onDisrupt`).
 */
export interface Subscriber {
  subscribe(
    channel: string,
    listener: (message: Uint8Array) => void,
  ): Promise<unknown>;
  destroy(): void;
}

/**
 * The Redis client, handed in by `redis.ts`, the one file that loads it:
 * connections replying with `Uint8Array` bulk strings, and its error
 * classes.
 */
export interface RedisDriver {
  /**
   * Whether the connections are to a Redis Cluster: commands go to the node
   * that holds their key, and a server's `run_id` says nothing about the
   * data of a topic.
   */
  readonly cluster: boolean;
  createConnection(options: ConnectionOptions): Connection;
  createSubscriber(options: SubscriberOptions): Subscriber;
  /** Whether `error` is Redis's answer (an error reply). */
  isErrorReply(error: unknown): error is Error;
  /** Whether `error` says the socket closed while a command was in flight. */
  isSocketClosed(error: unknown): error is Error;
}

/**
 * Milliseconds before reconnection attempt number `retries + 1`, and before
 * the read loop tries again after a failed read: from 50 ms, doubling, up
 * to 2 s, with equal jitter (each delay anywhere in its upper half).
 */
export function reconnectDelay(retries: number): number {
  return backoffDelay(retries, 100, 2000);
}

/** Fields of an `XINFO STREAM` reply that a history read needs. */
export interface StreamInfo {
  length: number;
  lastId: string;
  firstId: string | undefined;
  /** Whether entries were ever removed; `true` when Redis cannot tell. */
  removed: boolean;
}

const EMPTY_STREAM: StreamInfo = Object.freeze({
  length: 0,
  lastId: "0-0",
  firstId: undefined,
  removed: false,
});

/**
 * The Redis key of idempotency key `key` on the stream `streamKey`: in the
 * same Redis Cluster hash slot as the stream (the stream's own `{tag}` if
 * it has one, else the stream key wrapped in braces), and never a stream
 * key itself (`#` is not a topic character).
 */
export function idempotencyKeyOf(streamKey: string, key: string): string {
  return `${slotTagged(streamKey)}#idem:${key}`;
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

/** Settings of {@linkcode RedisCommands}. */
export interface RedisCommandsOptions {
  url: string;
  keyPrefix: string;
  /** The channel every publish notifies: `<id> <topic>`. */
  channel: string;
  maxLen: number;
  ttlMs: number;
  /** Replicas that must have a publish before it resolves (`WAIT`). */
  waitForReplicas: number;
  /** Milliseconds an idempotency key is remembered. */
  idempotencyWindowMs: number;
  /** Keys the state hash of a topic may hold. */
  maxKeysPerTopic: number;
  timeoutMs: number;
  maxPendingCommands: number;
  report: Report;
}

/**
 * The command connection: publishes, history reads, watch start points and
 * wake-ups of the read loop. A publish or read waits at most `timeoutMs`,
 * at most `maxPendingCommands` wait at once, and its errors say what failed
 * in the voice `Cannot <action> topic "t": <state>`. The connection
 * reconnects on its own with {@linkcode reconnectDelay}.
 */
export class RedisCommands {
  #driver: RedisDriver;
  #connection: Connection;
  #keyPrefix: string;
  #channel: string;
  #maxLen: string;
  #ttl: string;
  #waitForReplicas: number;
  #idempotencyWindowMs: string;
  #maxKeysPerTopic: number;
  #timeoutMs: number;
  #maxPendingCommands: number;
  #closed = false;
  #lastError: Error | undefined;

  constructor(driver: RedisDriver, options: RedisCommandsOptions) {
    this.#driver = driver;
    this.#keyPrefix = options.keyPrefix;
    this.#channel = options.channel;
    this.#maxLen = String(options.maxLen);
    this.#ttl = options.ttlMs === Infinity ? "" : String(options.ttlMs);
    this.#waitForReplicas = options.waitForReplicas;
    this.#idempotencyWindowMs = String(options.idempotencyWindowMs);
    this.#maxKeysPerTopic = options.maxKeysPerTopic;
    this.#timeoutMs = options.timeoutMs;
    this.#maxPendingCommands = options.maxPendingCommands;
    const report = options.report;
    const connection = driver.createConnection({
      url: options.url,
      reconnectStrategy: reconnectDelay,
      commandsQueueMaxLength: options.maxPendingCommands,
    });
    this.#connection = connection;
    connection.on("error", (error) => {
      const lastError = asError(error);
      this.#lastError = lastError;
      report(
        new Error(`Cannot reach Redis: ${lastError.message}`, { cause: error }),
      );
    });
    connection.on("ready", () => {
      this.#lastError = undefined;
    });
    // Connection failures are retried and reported through "error" events.
    connection.connect().catch(() => undefined);
  }

  /** The stream key of `topic`. */
  keyOf(topic: string): string {
    return this.#keyPrefix + topic;
  }

  /**
   * Appends a message to the topic's stream (trimmed to about `maxLen`,
   * its expiry renewed unless `ttlMs` is `Infinity`), tells every instance
   * on the notification channel, and returns its id. With an idempotency
   * key, the same script first looks the key up: when it was used on the
   * topic within the window, nothing is stored and the first message comes
   * back as `first` (with this message's payload if it was trimmed since).
   */
  async add(
    topic: string,
    message: HubPublishMessage,
    idempotencyKey?: string,
  ): Promise<{ id: string; first?: HubDataMessage }> {
    // One script runs XADD, the state hash, PEXPIRE and PUBLISH atomically:
    // one command (one round trip, one queue slot), no key without TTL, and
    // no message stored without its notification.
    const stream = this.keyOf(topic);
    const args: (string | Uint8Array)[] = idempotencyKey === undefined
      ? ["EVAL", APPEND_SCRIPT, "2", stream, stateKeyOf(stream)]
      : [
        "EVAL",
        APPEND_SCRIPT,
        "3",
        stream,
        stateKeyOf(stream),
        idempotencyKeyOf(stream, idempotencyKey),
      ];
    const { key } = message;
    const remove = key !== undefined && message.delete === true;
    args.push(
      this.#maxLen,
      this.#ttl,
      this.#channel,
      topic,
      this.#idempotencyWindowMs,
      key ?? "",
      remove ? "1" : "",
      String(this.#maxKeysPerTopic),
      key === undefined || remove ? "" : packState(message),
    );
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
    if (key !== undefined) args.push("key", key);
    if (remove) args.push("deleted", "1");
    if (message.from !== undefined) args.push("from", message.from);
    const reply = await this.send("publish to", topic, args, true);
    if (Array.isArray(reply) && typeof reply[0] === "number") {
      throw tooManyKeys(topic, Number(reply[1]), this.#maxKeysPerTopic);
    }
    // A repeated idempotency key answers [first id, XRANGE of it].
    const id = text(Array.isArray(reply) ? reply[0] : reply);
    const wanted = this.#waitForReplicas;
    if (wanted > 0) {
      // On the connection (and node) that ran the script; half of
      // timeoutMs, so that Redis answers before the command times out.
      const waitMs = Math.max(1, Math.floor(this.#timeoutMs / 2));
      const acknowledged = Number(
        await this.send(
          "publish to",
          topic,
          ["WAIT", String(wanted), String(waitMs)],
          true,
          this.keyOf(topic),
        ),
      );
      if (acknowledged < wanted) {
        throw new Error(
          `Cannot publish to topic ${
            quote(topic)
          }: ${acknowledged} of ${wanted} replicas acknowledged it within ${waitMs} ms; the message may have been stored`,
        );
      }
    }
    if (!Array.isArray(reply)) return { id };
    const entry = (reply[1] as RawEntry[] | undefined)?.[0];
    return {
      id,
      first: entry === undefined
        ? storedMessage(topic, id, message)
        : toMessage(topic, entry),
    };
  }

  /** The state of a keyed topic, read atomically with its newest id. */
  async state(
    topic: string,
  ): Promise<{ messages: HubDataMessage[]; last: string | undefined }> {
    const stream = this.keyOf(topic);
    const reply = await this.send("read state of", topic, [
      "EVAL",
      STATE_SCRIPT,
      "2",
      stream,
      stateKeyOf(stream),
    ], false);
    return parseState(topic, reply);
  }

  /** `XRANGE key start + COUNT count`. */
  async range(
    topic: string,
    start: string,
    count: number,
  ): Promise<RawEntry[]> {
    const reply = await this.send("read", topic, [
      "XRANGE",
      this.keyOf(topic),
      start,
      "+",
      "COUNT",
      String(count),
    ], false);
    return reply as RawEntry[];
  }

  /** `XREVRANGE key + - COUNT count`: the newest entries, newest first. */
  async revrange(topic: string, count: number): Promise<RawEntry[]> {
    const reply = await this.send("read", topic, [
      "XREVRANGE",
      this.keyOf(topic),
      "+",
      "-",
      "COUNT",
      String(count),
    ], false);
    return reply as RawEntry[];
  }

  /** `XINFO STREAM key`; a missing key is an empty stream. */
  async info(topic: string): Promise<StreamInfo> {
    try {
      return parseInfo(
        await this.send(
          "read",
          topic,
          ["XINFO", "STREAM", this.keyOf(topic)],
          false,
        ),
      );
    } catch (error) {
      if (
        error instanceof Error && this.#driver.isErrorReply(error.cause) &&
        /no such key/i.test(error.cause.message)
      ) {
        return EMPTY_STREAM;
      }
      throw error;
    }
  }

  /**
   * The id of the newest entry of the stream `key`, `"0-0"` if it has none
   * (`XREVRANGE key + - COUNT 1`), with no timeout: it waits for Redis.
   */
  async newestId(key: string): Promise<string> {
    const reply = await this.#connection.sendCommand([
      "XREVRANGE",
      key,
      "+",
      "-",
      "COUNT",
      "1",
    ]);
    const last = (reply as RawEntry[])[0];
    return last === undefined ? "0-0" : text(last[0]);
  }

  /** Drops the connection; commands waiting reject, later ones too. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.destroy();
  }

  #unreachable(): string {
    return `Redis is unreachable (${
      this.#lastError?.message ?? "not connected"
    })`;
  }

  /**
   * Sends a command, bounded by timeoutMs, with errors in the voice of
   * `action`; `publish` adds that the message may have been stored when
   * that cannot be ruled out.
   */
  send(
    action: string,
    topic: string,
    args: (string | Uint8Array)[],
    publish: boolean,
    routing?: string,
  ): Promise<unknown> {
    const fail = (state: string, cause?: unknown): Error =>
      new Error(`Cannot ${action} topic ${quote(topic)}: ${state}`, { cause });
    const unsure = publish ? "; the message may have been stored" : "";
    if (this.#closed) {
      return Promise.reject(fail("the Redis backend is closed"));
    }
    const connection = this.#connection;
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const abort = new AbortController();
      const timer = setTimeout(() => {
        // Takes the command out of the queue if it was not sent yet.
        abort.abort();
        reject(
          this.#closed
            ? fail("the Redis backend is closed")
            : connection.isReady
            ? fail(`Redis did not answer within ${timeoutMs} ms${unsure}`)
            : fail(this.#unreachable()),
        );
      }, timeoutMs);
      connection.sendCommand(
        args,
        routing === undefined || !this.#driver.cluster
          ? { abortSignal: abort.signal }
          : { abortSignal: abort.signal, routing },
      ).then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error) => {
          clearTimeout(timer);
          if (this.#closed) {
            reject(fail("the Redis backend is closed", error));
          } else if (this.#driver.isErrorReply(error)) {
            reject(fail(`Redis answered ${quote(error.message)}`, error));
          } else if (
            error instanceof Error && error.message === "The queue is full"
          ) {
            reject(
              fail(
                `${this.#maxPendingCommands} commands are already waiting for Redis`,
                error,
              ),
            );
          } else if (this.#driver.isSocketClosed(error)) {
            reject(fail(`Redis is unreachable (${error.message})${unsure}`));
          } else reject(fail(this.#unreachable(), error));
        },
      );
    });
  }
}
