// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubBackend } from "./backend.ts";
import { createMemoryBackend } from "./memory_backend.ts";
import type {
  HubKeyDelete,
  HubMessage,
  HubPresenceMember,
  HubPublishMessage,
} from "../message/message.ts";
import type {
  HubHistory,
  HubHistoryOptions,
  HubPublishOptions,
  HubState,
  HubSubscribeOptions,
  MessageFeed,
  MessageOpenOptions,
  MessageSink,
  MessageSource,
} from "../message/source.ts";
import {
  createSubscriber,
  type Subscriber,
  type SubscriberSink,
} from "./_subscriber.ts";
import {
  checkIdempotencyKey,
  checkPublishMessage,
  checkTopic,
  quote,
} from "./_validate.ts";
import { checkPositiveInteger } from "../_internal/check.ts";
import { HubCounters, type HubTopicActivity } from "./counters.ts";
import { HubLimitError } from "./limit_error.ts";
import { checkMember, hasPresence, Presence } from "./_presence.ts";
import type { PresenceIdentity } from "../message/source.ts";
import { batchWrites } from "../_internal/write_batch.ts";

/** A backend that can tell what it retains of one topic. */
interface RetainedBackend {
  retained(topic: string): { messages: number; bytes: number };
}

function canTellRetained(
  backend: HubBackend,
): backend is HubBackend & RetainedBackend {
  return typeof (backend as Partial<RetainedBackend>).retained === "function";
}

/**
 * What happens when a subscriber's queue is full: `"close"` errors its
 * stream with a `RangeError`; `"drop-oldest"` discards the oldest queued
 * message and delivers a {@linkcode HubResetMessage} with reason
 * `"dropped"` before the next one.
 *
 * @example Choose a policy
 * ```ts
 * import { Hub, type HubQueuePolicy } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const queuePolicy: HubQueuePolicy = "drop-oldest";
 * const hub = new Hub({ queuePolicy });
 * strictEqual(hub.stats().subscribers, 0);
 * await hub.close();
 * ```
 */
export type HubQueuePolicy = "close" | "drop-oldest";

/**
 * Replay window of the default in-memory backend.
 *
 * @example Keep 50 messages per topic for 10 seconds
 * ```ts
 * import { Hub, type HubReplayOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const replay: HubReplayOptions = { maxMessages: 50, maxAgeMs: 10_000 };
 * const hub = new Hub({ replay });
 * await hub.publish("t", { data: "x" });
 * strictEqual((await hub.history("t")).messages.length, 1);
 * await hub.close();
 * ```
 */
export interface HubReplayOptions {
  /** Messages kept per topic. @default {1000} */
  maxMessages?: number;
  /** Milliseconds a message is kept. @default {Infinity} */
  maxAgeMs?: number;
  /**
   * Milliseconds after its last publish that a topic with no subscriber is
   * forgotten, with its messages (see `MemoryBackendOptions`).
   *
   * @default {600000}
   */
  maxIdleMs?: number;
  /**
   * Topics that may hold messages at once; a publish to one more rejects
   * with a {@linkcode HubLimitError} `"too-many-topics"`.
   *
   * @default {10000}
   */
  maxTopics?: number;
  /**
   * Bytes of retained messages over all topics (payloads plus 128 per
   * message); past it the oldest messages of any topic are evicted.
   *
   * @default {268435456}
   */
  maxRetainedBytes?: number;
}

/**
 * Options for {@linkcode Hub}.
 *
 * @example Cut off subscribers that fall 100 messages behind
 * ```ts
 * import { Hub, type HubOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: HubOptions = { maxQueuedMessages: 100, queuePolicy: "close" };
 * const hub = new Hub(options);
 * strictEqual(hub.stats().topics.length, 0);
 * await hub.close();
 * ```
 */
export interface HubOptions {
  /**
   * Where messages are stored. When given, configure its window on the
   * backend itself; `replay` and `now` are then not allowed. Without it, the
   * hub creates an in-memory backend ({@linkcode createMemoryBackend}) from
   * `replay` and `now`.
   */
  backend?: HubBackend;
  /** Replay window of the default in-memory backend. */
  replay?: HubReplayOptions;
  /** Clock of the default in-memory backend; tests pass a fake. @default {Date.now} */
  now?: () => number;
  /**
   * Live messages queued per subscriber before `queuePolicy` applies.
   *
   * @default {1000}
   */
  maxQueuedMessages?: number;
  /**
   * Payload bytes (UTF-8 for text) of the live messages queued per
   * subscriber before `queuePolicy` applies, whichever of this and
   * `maxQueuedMessages` is reached first: a client that stops reading a
   * topic of large messages holds at most about this much (`"close"` cuts
   * it off; `"drop-oldest"` drops down to it, but keeps the newest message
   * even when it is larger).
   * @default {8388608}
   */
  maxQueuedBytes?: number;
  /** What happens when a subscriber's queue is full. @default {"close"} */
  queuePolicy?: HubQueuePolicy;
  /**
   * Largest payload accepted by {@linkcode Hub.publish}, in bytes (UTF-8
   * for strings).
   *
   * @default {1048576}
   */
  maxMessageBytes?: number;
  /**
   * Which topics keep track of who is on them: `true` for all, or a
   * function that says for a topic name. On such a topic, a subscription
   * opened with a `member` makes that client a member
   * ({@linkcode Hub.presence}), and subscriptions that ask for `presence`
   * receive join and leave events. The backend needs the presence methods
   * of {@linkcode HubBackend} (memory, Redis and Deno KV have them).
   *
   * @default {false}
   */
  presence?: boolean | ((topic: string) => boolean);
  /**
   * Distinct clients a topic with presence may hold, over all instances
   * sharing the backend; a subscription that would add one more fails
   * with a {@linkcode HubLimitError} `"too-many-members"`.
   *
   * @default {1000}
   */
  maxPresencePerTopic?: number;
  /**
   * Largest `info` of a member, in bytes of its JSON; a larger one is a
   * `RangeError` when the subscription opens.
   *
   * @default {1024}
   */
  maxPresenceInfoBytes?: number;
}

/**
 * Subscriptions of one topic, from {@linkcode Hub.stats}.
 *
 * @example Read one topic's counts
 * ```ts
 * import { Hub, type HubTopicStats } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * hub.subscribe("t");
 * await hub.publish("t", { data: "abc" });
 * const stats: HubTopicStats = hub.stats().topics[0]!;
 * deepStrictEqual(stats, {
 *   topic: "t",
 *   subscribers: 1,
 *   queuedMessages: 1,
 *   queuedBytes: 3,
 *   largestQueue: 1,
 * });
 * await hub.close();
 * ```
 */
export interface HubTopicStats {
  /** The topic name. */
  topic: string;
  /** Open subscription streams. */
  subscribers: number;
  /** Live messages waiting in all its subscribers' queues. */
  queuedMessages: number;
  /** Payload bytes of those messages (a message queued twice counts twice). */
  queuedBytes: number;
  /** Length of the longest single subscriber queue. */
  largestQueue: number;
}

/**
 * A snapshot of a {@linkcode Hub}'s subscriptions and queues.
 *
 * Queues count live messages only; a subscriber that is replaying also holds
 * up to one page (128 messages) read from the backend. Topics appear while
 * they have subscribers; what the backend retains is its own business.
 *
 * @example Count subscribers
 * ```ts
 * import { Hub, type HubStats } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * hub.subscribe("a");
 * hub.subscribe("a");
 * hub.subscribe("b");
 * const stats: HubStats = hub.stats();
 * strictEqual(stats.subscribers, 3);
 * strictEqual(stats.topics.length, 2);
 * await hub.close();
 * ```
 */
export interface HubStats {
  /** One entry per topic with subscribers, sorted by name. */
  topics: HubTopicStats[];
  /** Open subscription streams over all topics. */
  subscribers: number;
  /** Live messages queued over all subscribers. */
  queuedMessages: number;
  /** Payload bytes queued over all subscribers. */
  queuedBytes: number;
}

/** The presence part of a subscription, checked. */
interface SubscriptionPresence {
  /** Deliver join and leave events. */
  events: boolean;
  /** Join as this client, with its stored info. */
  member: { clientId: string; info: unknown } | undefined;
}

interface TopicState {
  subscribers: Set<Subscriber>;
  unwatch: () => void;
  /** Messages fanned out since the topic was first subscribed. */
  messages: number;
}

/**
 * Topics, publish / subscribe, message ids and a replay window, fanned out
 * to bounded subscriber queues.
 *
 * A message published to a topic gets an id from the backend and reaches
 * every subscriber of the topic as the same frozen object (so transports can
 * serialize it once, see {@linkcode hubMessageToSse}). Subscribing with
 * `since` replays what the window still holds after that id, then continues
 * live, with no gap and no duplicate. When the window cannot cover `since`,
 * the stream starts with a {@linkcode HubResetMessage} and then replays the
 * whole window: the hub never skips silently.
 *
 * Each subscriber has its own queue bounded by `maxQueuedMessages` and
 * `maxQueuedBytes`, so a slow reader never slows the others or grows memory
 * without bound.
 *
 * Topic names are 1 to 128 characters of `A-Z a-z 0-9 . _ ~ : / -`.
 *
 * @example Publish and subscribe
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const reader = hub.subscribe("news").getReader();
 * const id = await hub.publish("news", { data: "hello" });
 * const { value } = await reader.read();
 * strictEqual(value?.kind === "message" && value.id, id);
 * await hub.close();
 * ```
 *
 * @example Resume after a reconnect
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const lastSeen = await hub.publish("news", { data: "1" });
 * await hub.publish("news", { data: "2" });
 * await hub.publish("news", { data: "3" });
 * const reader = hub.subscribe("news", { since: lastSeen }).getReader();
 * const data = [];
 * for (let i = 0; i < 2; i++) {
 *   const { value } = await reader.read();
 *   if (value?.kind === "message") data.push(value.data);
 * }
 * deepStrictEqual(data, ["2", "3"]);
 * await hub.close();
 * ```
 */
export class Hub implements MessageSource {
  #backend: HubBackend;
  #maxQueuedMessages: number;
  #maxQueuedBytes: number;
  #queuePolicy: HubQueuePolicy;
  #maxMessageBytes: number;
  #topics: Map<string, TopicState> = new Map();
  /**
   * The end of a subscriber that needs nothing else done (no `onEnd` of
   * its caller, no presence): one function for all of them, rather than a
   * closure each.
   */
  #leave = (subscriber: Subscriber, topic: string): void => {
    const state = this.#topics.get(topic);
    if (state === undefined || !state.subscribers.delete(subscriber)) return;
    if (state.subscribers.size === 0) {
      this.#topics.delete(topic);
      state.unwatch();
    }
  };
  #closed = false;
  #presenceOn: (topic: string) => boolean;
  #presence: Presence | undefined;
  #maxPresenceInfoBytes: number;
  /**
   * Running counts of this hub and of the handlers that serve it, for
   * metrics and the inspector (see {@linkcode HubCounters}).
   *
   * @example Count publishes
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { strictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * await hub.publish("t", { data: "x" });
   * strictEqual(hub.counters.published, 1);
   * await hub.close();
   * ```
   */
  readonly counters: HubCounters = new HubCounters({
    topics: () => this.#activity(),
  });

  /**
   * Creates a hub.
   *
   * @param options Backend, replay window and queue limits.
   * @throws {TypeError} If `backend` is given together with `replay` or
   * `now`, or `queuePolicy` is unknown.
   * @throws {RangeError} If a limit is not a positive integer.
   */
  constructor(options: HubOptions = {}) {
    const {
      backend,
      replay,
      now,
      maxQueuedMessages = 1000,
      maxQueuedBytes = 8_388_608,
      queuePolicy = "close",
      maxMessageBytes = 1_048_576,
      presence = false,
      maxPresencePerTopic = 1000,
      maxPresenceInfoBytes = 1024,
    } = options;
    if (backend !== undefined && (replay !== undefined || now !== undefined)) {
      throw new TypeError(
        "Cannot create hub: replay and now configure the default backend, set them on the given backend instead",
      );
    }
    if (queuePolicy !== "close" && queuePolicy !== "drop-oldest") {
      throw new TypeError(
        `Cannot create hub: queuePolicy is ${
          quote(queuePolicy)
        }, expected "close" or "drop-oldest"`,
      );
    }
    checkPositiveInteger("create hub", "maxQueuedMessages", maxQueuedMessages);
    checkPositiveInteger("create hub", "maxQueuedBytes", maxQueuedBytes);
    checkPositiveInteger("create hub", "maxMessageBytes", maxMessageBytes);
    checkPositiveInteger(
      "create hub",
      "maxPresencePerTopic",
      maxPresencePerTopic,
    );
    checkPositiveInteger(
      "create hub",
      "maxPresenceInfoBytes",
      maxPresenceInfoBytes,
    );
    if (typeof presence !== "boolean" && typeof presence !== "function") {
      throw new TypeError(
        "Cannot create hub: presence is not a boolean or a function",
      );
    }
    this.#backend = backend ?? createMemoryBackend({
      ...replay,
      ...(now === undefined ? {} : { now }),
    });
    this.#presenceOn = typeof presence === "function"
      ? (topic) => presence(topic) === true
      : () => presence;
    this.#maxPresenceInfoBytes = maxPresenceInfoBytes;
    if (presence !== false) {
      if (!hasPresence(this.#backend)) {
        throw new TypeError(
          "Cannot create hub: presence is on but the backend has no presenceJoin, presenceLeave, presenceList and watchPresence",
        );
      }
      this.#presence = new Presence(
        this.#backend,
        maxPresencePerTopic,
        (what, error) => {
          this.counters.backendErrors++;
          this.counters.event("error", "backend", `${what}: ${String(error)}`);
        },
      );
    }
    this.#maxQueuedMessages = maxQueuedMessages;
    this.#maxQueuedBytes = maxQueuedBytes;
    this.#queuePolicy = queuePolicy;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /**
   * Publishes a message to a topic and resolves with its id once the backend
   * stored it. With the in-memory backend, every subscriber of this hub has
   * it queued by then; other backends deliver through their watch.
   *
   * Calls are ordered as made: messages published without awaiting in
   * between get increasing ids in call order. `Uint8Array` data is copied.
   *
   * With `options.idempotencyKey`, a publish that repeats a key already used
   * on the topic within the backend's idempotency window (ten minutes by
   * default) stores and delivers nothing and resolves with the first
   * publish's id, so a publisher can retry after a failure (a timeout, a
   * `503`) without subscribers seeing the message twice.
   *
   * With `message.key`, the message also becomes the latest state of that
   * key in the topic (see {@linkcode HubSubscribeOptions.state}); with
   * `delete: true` too, the key is removed from the state, and the delete
   * is delivered as a message with `deleted: true` and empty data.
   *
   * @param topic The topic name.
   * @param message The event type and payload, and the state key.
   * @param options The idempotency key.
   * @returns The message's id (the first one's, for a repeated key).
   * @throws {TypeError} (as a rejection) If the topic name, the message or
   * the idempotency key (1 to 256 printable ASCII characters) is invalid.
   * @throws {RangeError} (as a rejection) If the data exceeds
   * `maxMessageBytes`.
   * @throws {HubLimitError} (as a rejection) If the topic is new and the
   * backend holds its `maxTopics` already (code `"too-many-topics"`), or the
   * message adds a key to a topic that holds the backend's
   * `maxKeysPerTopic` (code `"too-many-keys"`).
   * @throws {Error} (as a rejection) If the hub is closed.
   *
   * @example Ids increase in call order
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * const ids = await Promise.all([
   *   hub.publish("t", { data: "a" }),
   *   hub.publish("t", { data: "b" }),
   * ]);
   * const { messages } = await hub.history("t");
   * deepStrictEqual(messages.map((m) => m.id), ids);
   * await hub.close();
   * ```
   *
   * @example Retry with an idempotency key
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual, strictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * const options = { idempotencyKey: crypto.randomUUID() };
   * const first = await hub.publish("t", { data: "once" }, options);
   * const retry = await hub.publish("t", { data: "once" }, options);
   * strictEqual(retry, first);
   * const { messages } = await hub.history("t");
   * deepStrictEqual(messages.map((m) => m.data), ["once"]);
   * await hub.close();
   * ```
   */
  async publish(
    topic: string,
    message: HubPublishMessage | HubKeyDelete,
    options: HubPublishOptions = {},
  ): Promise<string> {
    checkTopic("publish to", topic);
    const { idempotencyKey } = options;
    if (idempotencyKey !== undefined) {
      checkIdempotencyKey(topic, idempotencyKey);
    }
    if (this.#closed) {
      throw new Error(
        `Cannot publish to topic ${quote(topic)}: the hub is closed`,
      );
    }
    const checked = checkPublishMessage(topic, message, this.#maxMessageBytes);
    // No await before this call, so appends happen in call order.
    const appended = idempotencyKey === undefined
      ? this.#backend.append(topic, checked)
      : this.#backend.append(topic, checked, { idempotencyKey });
    let id: string;
    try {
      id = (await appended).id;
    } catch (error) {
      if (!(error instanceof HubLimitError)) {
        this.counters.backendErrors++;
        this.counters.event(
          "error",
          "backend",
          `publish to topic ${quote(topic)}: ${String(error)}`,
        );
      }
      throw error;
    }
    this.counters.published++;
    return id;
  }

  /**
   * Subscribes to a topic.
   *
   * Without `since`, the stream yields messages published from now on. With
   * `since`, it first yields every retained message after that id, then
   * live messages, in id order, with no gap and no duplicate between the
   * two. If the window cannot cover `since` (the id is unknown, malformed,
   * from another backend epoch, or messages after it were trimmed), the
   * stream starts with a {@linkcode HubResetMessage}, then yields the whole
   * retained window and continues live.
   *
   * The stream is pull-based: messages wait in this subscriber's queue,
   * bounded by `maxQueuedMessages` and `maxQueuedBytes` and handled by
   * `queuePolicy` when full.
   * Live messages that arrive during a replay queue up too; if the queue
   * fills then, `"close"` still applies, while `"drop-oldest"` drops them
   * without a reset, because the replay reads them from the backend.
   * When the backend reports a gap in its live delivery (see
   * {@linkcode HubWatchOptions.onGap}), the subscriber drops its queued live
   * messages and replays again from the last message it took, so it gets a
   * reset only if the backend no longer holds what it missed.
   * Cancelling the stream or aborting `signal` releases the subscription;
   * {@linkcode Hub.close} closes it.
   *
   * @param topic The topic name.
   * @param options Where to resume and when to stop.
   * @returns A stream of messages and gap signals.
   * @throws {TypeError} If the topic name is invalid or `since` is not a
   * string.
   * @throws {Error} If the hub is closed.
   *
   * @example A subscriber that reads too slowly is cut off
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { rejects } from "node:assert/strict";
   *
   * const hub = new Hub({ maxQueuedMessages: 2 });
   * const reader = hub.subscribe("t").getReader();
   * for (const data of ["1", "2", "3"]) await hub.publish("t", { data });
   * await rejects(reader.read(), RangeError);
   * await hub.close();
   * ```
   */
  subscribe(
    topic: string,
    options: HubSubscribeOptions = {},
  ): ReadableStream<HubMessage> {
    checkTopic("subscribe to", topic);
    const { since, signal } = options;
    if (since !== undefined && typeof since !== "string") {
      throw new TypeError(
        `Cannot subscribe to topic ${quote(topic)}: since is not a string`,
      );
    }
    const history = checkHistory(topic, options.history);
    const state = this.#checkState(topic, options.state);
    if (this.#closed) {
      throw new Error(
        `Cannot subscribe to topic ${quote(topic)}: the hub is closed`,
      );
    }
    const presence = this.#checkPresence(topic, options);
    let controller!: ReadableStreamDefaultController<HubMessage>;
    const stream = new ReadableStream<HubMessage>({
      start(c): void {
        controller = c;
      },
      pull(): void {
        subscriber.pull();
      },
      cancel(): void {
        subscriber.cancel();
      },
    }, { highWaterMark: 0 });
    const onAbort = (): void => subscriber.end();
    const subscriber = this.#open(
      topic,
      since,
      {
        deliver: (message) => controller.enqueue(message),
        error: (error) => controller.error(error),
        close: () => controller.close(),
      },
      () => signal?.removeEventListener("abort", onAbort),
      history,
      state,
      presence,
    );
    if (signal !== undefined) {
      if (signal.aborted) subscriber.end();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    return stream;
  }

  /**
   * Subscribes `sink` to `topic`, one message per pull: the form of
   * {@linkcode Hub.subscribe} without a stream in between, which the serving
   * layer uses to write each message straight to a connection
   * ({@linkcode MessageSource.open}).
   *
   * @param topic The topic.
   * @param since Resume after this id; `undefined` for live messages only
   * (or `options.history` first).
   * @param sink Where messages go.
   * @param options How much history to deliver first without `since`.
   * @returns The subscription.
   * @throws {TypeError} If `topic` is not a valid topic name.
   * @throws {RangeError} If `options.history` is not a non-negative
   * integer.
   * @throws {Error} If the hub is closed.
   *
   * @example Deliver one message to a sink
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { strictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * const since = await hub.publish("t", { data: "seen" });
   * await hub.publish("t", { data: "new" });
   * const kinds: string[] = [];
   * const feed = hub.open("t", since, {
   *   deliver: (message) => kinds.push(message.kind),
   *   error() {},
   *   close() {},
   * });
   * feed.pull();
   * await new Promise((resolve) => setTimeout(resolve, 10));
   * strictEqual(kinds.join(), "message");
   * feed.cancel();
   * await hub.close();
   * ```
   */
  open(
    topic: string,
    since: string | undefined,
    sink: MessageSink,
    options: MessageOpenOptions = {},
  ): MessageFeed {
    checkTopic("subscribe to", topic);
    const history = checkHistory(topic, options.history);
    const state = this.#checkState(topic, options.state);
    if (this.#closed) {
      throw new Error(
        `Cannot subscribe to topic ${quote(topic)}: the hub is closed`,
      );
    }
    const presence = this.#checkPresence(topic, options);
    return this.#open(topic, since, sink, undefined, history, state, presence);
  }

  /** Checks a `state` option: a boolean, on a backend that has `state`. */
  #checkState(topic: string, state: unknown): boolean {
    if (state === undefined || state === false) return false;
    if (state !== true) {
      throw new TypeError(
        `Cannot subscribe to topic ${quote(topic)}: state is not a boolean`,
      );
    }
    if (typeof this.#backend.state !== "function") {
      throw new TypeError(
        `Cannot subscribe to topic ${
          quote(topic)
        } with state: the backend has no state method`,
      );
    }
    return true;
  }

  /**
   * Reads the state of a keyed topic: the latest message of every key (see
   * {@linkcode HubPublishMessage.key}), in id order, and the id of the
   * topic's newest message when it was read. This is what a `state`
   * subscription starts with, and what a poll with `?state=1` answers.
   *
   * @param topic The topic name.
   * @returns The keys' messages and the newest id.
   * @throws {TypeError} (as a rejection) If the topic name is invalid or
   * the backend has no `state` method.
   *
   * @example Read the latest value of every key
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * await hub.publish("prices", { key: "EUR", data: "1.08" });
   * await hub.publish("prices", { key: "GBP", data: "1.27" });
   * await hub.publish("prices", { key: "EUR", data: "1.09" });
   * const { messages } = await hub.state("prices");
   * deepStrictEqual(messages.map((m) => `${m.key}=${m.data}`), [
   *   "GBP=1.27",
   *   "EUR=1.09",
   * ]);
   * await hub.close();
   * ```
   */
  async state(topic: string): Promise<HubState> {
    checkTopic("read state of", topic);
    const backend = this.#backend;
    if (typeof backend.state !== "function") {
      throw new TypeError(
        `Cannot read state of topic ${
          quote(topic)
        }: the backend has no state method`,
      );
    }
    return await backend.state(topic);
  }

  /** Checks the presence options of a subscription to `topic`. */
  #checkPresence(
    topic: string,
    options: {
      presence?: boolean | undefined;
      member?: PresenceIdentity | undefined;
    },
  ): SubscriptionPresence | undefined {
    const { presence: events = false, member } = options;
    if (typeof events !== "boolean") {
      throw new TypeError(
        `Cannot subscribe to topic ${quote(topic)}: presence is not a boolean`,
      );
    }
    const on = this.#presence !== undefined && this.#presenceOn(topic);
    if (events && !on) {
      throw new TypeError(
        `Cannot subscribe to topic ${
          quote(topic)
        } with presence: the topic has no presence (see the hub's presence option)`,
      );
    }
    if (!on || (member === undefined && !events)) return undefined;
    if (member === undefined) return { events, member: undefined };
    const info = checkMember(topic, member, this.#maxPresenceInfoBytes);
    return { events, member: { clientId: member.clientId, info } };
  }

  /** Subscribes `sink` to a topic that the caller checked. */
  #open(
    topic: string,
    since: string | undefined,
    sink: SubscriberSink,
    onEnd?: () => void,
    history?: number,
    withState?: boolean,
    presence?: SubscriptionPresence,
  ): Subscriber {
    let state = this.#topics.get(topic);
    if (state === undefined) {
      const subscribers = new Set<Subscriber>();
      const counters = this.counters;
      const created: TopicState = {
        subscribers,
        unwatch: () => {},
        messages: 0,
      };
      created.unwatch = this.#backend.watch(topic, (message) => {
        counters.fanOut(message);
        created.messages++;
        // Every subscriber's steps first, then the writes they made.
        batchWrites(() => {
          for (const subscriber of subscribers) subscriber.push(message);
        });
      }, {
        onGap: (after) => {
          for (const subscriber of subscribers) subscriber.resync(after);
        },
      });
      state = created;
      this.#topics.set(topic, state);
    }
    const topicState = state;
    const tracker = this.#presence;
    const member = presence?.member;
    let stopEvents: (() => void) | undefined;
    const subscriber: Subscriber = createSubscriber({
      topic,
      backend: this.#backend,
      since,
      history,
      state: withState,
      maxQueuedMessages: this.#maxQueuedMessages,
      maxQueuedBytes: this.#maxQueuedBytes,
      queuePolicy: this.#queuePolicy,
      counters: this.counters,
      sink,
      onEnd: onEnd === undefined && presence === undefined
        ? this.#leave
        : () => {
          onEnd?.();
          stopEvents?.();
          if (member !== undefined) tracker!.leave(topic, member.clientId);
          topicState.subscribers.delete(subscriber);
          if (
            topicState.subscribers.size === 0 &&
            this.#topics.get(topic) === topicState
          ) {
            this.#topics.delete(topic);
            topicState.unwatch();
          }
        },
    });
    topicState.subscribers.add(subscriber);
    if (presence !== undefined && tracker !== undefined) {
      if (member !== undefined) {
        tracker.join(topic, member.clientId, member.info).catch((error) =>
          subscriber.abort(error)
        );
      }
      if (presence.events) {
        stopEvents = tracker.listen(
          topic,
          (event) => subscriber.pushEvent(event),
        );
      }
    }
    return subscriber;
  }

  /**
   * Lists the clients present on a topic with presence, over every
   * instance sharing the backend: one entry per client id (however many
   * connections it has), with its info and when it joined, sorted by
   * `since`. A client is present while one of its subscriptions opened
   * with a `member` is (this hub's joins and leaves in progress are waited
   * for); on a networked backend, the entries of an instance
   * that stopped without leaving expire after the backend's presence TTL.
   *
   * @param topic The topic name.
   * @returns The members.
   * @throws {TypeError} (as a rejection) If the topic name is invalid or the
   * topic has no presence.
   *
   * @example Two tabs of one client count once
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const hub = new Hub({ presence: true });
   * const member = { clientId: "ada", info: { name: "Ada" } };
   * const tab1 = hub.subscribe("room", { member });
   * const tab2 = hub.subscribe("room", { member });
   * await new Promise((resolve) => setTimeout(resolve, 10));
   * const members = await hub.presence("room");
   * deepStrictEqual(members.map((m) => [m.clientId, m.info]), [["ada", { name: "Ada" }]]);
   * await tab1.cancel();
   * await tab2.cancel();
   * await hub.close();
   * ```
   */
  async presence(topic: string): Promise<HubPresenceMember[]> {
    checkTopic("read presence of", topic);
    if (this.#presence === undefined || !this.#presenceOn(topic)) {
      throw new TypeError(
        `Cannot read presence of topic ${
          quote(topic)
        }: the topic has no presence (see the hub's presence option)`,
      );
    }
    // This hub's own joins and leaves in progress come first.
    await this.#presence.settledOn(topic);
    return await (this.#backend as Required<HubBackend>).presenceList(topic);
  }

  /**
   * Whether a topic has presence (the hub's `presence` option).
   *
   * @param topic The topic name.
   * @returns `true` when subscriptions to it may join and ask for events.
   *
   * @example Presence for rooms only
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { strictEqual } from "node:assert/strict";
   *
   * const hub = new Hub({ presence: (topic) => topic.startsWith("room/") });
   * strictEqual(hub.presenceEnabled("room/1"), true);
   * strictEqual(hub.presenceEnabled("news"), false);
   * await hub.close();
   * ```
   */
  presenceEnabled(topic: string): boolean {
    return this.#presence !== undefined && this.#presenceOn(topic);
  }

  /**
   * Reads retained messages of a topic, oldest first.
   *
   * This is what a polling transport serves: pass the last id the client
   * has as `since`, then the last returned id next time. `reset` says when
   * messages after `since` cannot be returned; `messages` then starts at the
   * oldest retained message.
   *
   * @param topic The topic name.
   * @param options Where to start and how many to return.
   * @returns The messages and, if some are missing, why.
   * @throws {TypeError} (as a rejection) If the topic name is invalid.
   * @throws {RangeError} (as a rejection) If `limit` is not a positive
   * integer.
   *
   * @example Read the last messages of a topic
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { deepStrictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * await hub.publish("t", { data: "a" });
   * await hub.publish("t", { data: "b" });
   * const history = await hub.history("t");
   * deepStrictEqual(history.messages.map((m) => m.data), ["a", "b"]);
   * deepStrictEqual(history.reset, undefined);
   * await hub.close();
   * ```
   */
  async history(
    topic: string,
    options: HubHistoryOptions = {},
  ): Promise<HubHistory> {
    checkTopic("read history of", topic);
    const { since, last, limit = 1000 } = options;
    if (since !== undefined && typeof since !== "string") {
      throw new TypeError(
        `Cannot read history of topic ${quote(topic)}: since is not a string`,
      );
    }
    if (!Number.isSafeInteger(limit) || limit <= 0) {
      throw new RangeError(
        `Cannot read history of topic ${
          quote(topic)
        }: limit is ${limit}, expected a positive integer`,
      );
    }
    if (last !== undefined) {
      return await this.#backend.read(topic, {
        last: checkHistory(topic, last) ?? 0,
        limit,
      });
    }
    return await this.#backend.read(
      topic,
      since === undefined ? { limit } : { since, limit },
    );
  }

  /**
   * Counts subscriptions and queued messages, per topic and in total.
   *
   * @returns A snapshot.
   *
   * @example Watch a queue grow
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { strictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * hub.subscribe("t");
   * await hub.publish("t", { data: "x" });
   * await hub.publish("t", { data: "y" });
   * strictEqual(hub.stats().queuedMessages, 2);
   * await hub.close();
   * ```
   */
  stats(): HubStats {
    const topics: HubTopicStats[] = [];
    let subscribers = 0;
    let queuedMessages = 0;
    let queuedBytes = 0;
    for (const [topic, state] of this.#topics) {
      const entry: HubTopicStats = {
        topic,
        subscribers: state.subscribers.size,
        queuedMessages: 0,
        queuedBytes: 0,
        largestQueue: 0,
      };
      for (const subscriber of state.subscribers) {
        const queued = subscriber.queuedMessages();
        entry.queuedMessages += queued;
        entry.queuedBytes += subscriber.queuedBytes();
        entry.largestQueue = Math.max(entry.largestQueue, queued);
      }
      topics.push(entry);
      subscribers += entry.subscribers;
      queuedMessages += entry.queuedMessages;
      queuedBytes += entry.queuedBytes;
    }
    topics.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    return { topics, subscribers, queuedMessages, queuedBytes };
  }

  /** The topics with subscribers, for {@linkcode HubCounters.topics}. */
  #activity(): HubTopicActivity[] {
    const backend = this.#backend;
    const retained = canTellRetained(backend) ? backend : undefined;
    const topics: HubTopicActivity[] = [];
    for (const [topic, state] of this.#topics) {
      const kept = retained?.retained(topic);
      topics.push({
        topic,
        subscribers: state.subscribers.size,
        messages: state.messages,
        retainedMessages: kept?.messages,
        retainedBytes: kept?.bytes,
      });
    }
    return topics.sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0
    );
  }

  /**
   * Closes every subscription stream (messages still queued are discarded;
   * a client resumes them with `since`) and makes further
   * {@linkcode Hub.publish} and {@linkcode Hub.subscribe} calls fail. Calling
   * it again does nothing. A backend passed in options is not closed.
   *
   * @returns A promise that resolves once every stream is closed.
   *
   * @example Close ends subscriptions
   * ```ts
   * import { Hub } from "@serverpush/serverpush/hub";
   * import { rejects, strictEqual } from "node:assert/strict";
   *
   * const hub = new Hub();
   * const reader = hub.subscribe("t").getReader();
   * await hub.close();
   * strictEqual((await reader.read()).done, true);
   * await rejects(hub.publish("t", { data: "late" }), /the hub is closed/);
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    const states = [...this.#topics.values()];
    this.#topics.clear();
    for (const state of states) {
      state.unwatch();
      for (const subscriber of [...state.subscribers]) subscriber.end();
    }
    this.#presence?.close();
    await this.#presence?.settled();
  }
}

/** Checks a `history` option: a non-negative integer, `undefined` for 0. */
function checkHistory(
  topic: string,
  history: number | undefined,
): number | undefined {
  if (history === undefined || history === 0) return undefined;
  if (!Number.isSafeInteger(history) || history < 0) {
    throw new RangeError(
      `Cannot subscribe to topic ${
        quote(topic)
      }: history is ${history}, expected a non-negative integer`,
    );
  }
  return history;
}
