// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type {
  HubDataMessage,
  HubMessage,
  HubResetReason,
} from "../message/message.ts";

/**
 * Upper bounds, in seconds, of the buckets of
 * {@linkcode HubCounters.latencyBuckets} (a last bucket, `+Inf`, takes the
 * rest).
 *
 * @example The first bucket is 100 microseconds
 * ```ts
 * import { LATENCY_BUCKETS } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(LATENCY_BUCKETS[0], 0.0001);
 * ```
 */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
]);

/** One in this many messages fanned out is sampled for the latency. */
const SAMPLE_EVERY = 16;

/** Recent events kept by {@linkcode HubCounters.events}. */
const MAX_EVENTS = 100;

/**
 * What a {@linkcode HubEvent} reports: a client cut off (`"cut"`), a gap
 * signal delivered (`"reset"`), a request refused (`"refused"`), or an
 * error of the backend or of a hook (`"error"`).
 *
 * @example Tell cuts from the rest
 * ```ts
 * import type { HubEventKind } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const kind: HubEventKind = "cut";
 * strictEqual(kind === "cut", true);
 * ```
 */
export type HubEventKind = "cut" | "reset" | "refused" | "error";

/**
 * Something rare that happened to a hub or its handlers, kept in
 * {@linkcode HubCounters.events} for the inspector.
 *
 * @example Read the last event
 * ```ts
 * import { Hub, type HubEvent } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub({ maxQueuedMessages: 1 });
 * hub.subscribe("t");
 * await hub.publish("t", { data: "1" });
 * await hub.publish("t", { data: "2" });
 * const event: HubEvent = hub.counters.events().at(-1)!;
 * strictEqual(event.kind, "cut");
 * strictEqual(event.reason, "slow");
 * await hub.close();
 * ```
 */
export interface HubEvent {
  /** When it happened, in milliseconds since the epoch. */
  readonly at: number;
  /** What happened. */
  readonly kind: HubEventKind;
  /**
   * Why, in one word: the cut's or reset's reason, the refused status
   * code, or where an error came from.
   */
  readonly reason: string;
  /** One line for a person. */
  readonly detail: string;
}

/**
 * A connection as the serving layer reports it to
 * {@linkcode HubCounters.connections}: one per open SSE stream or
 * WebSocket session, updated as the connection works.
 *
 * @example List what is connected
 * ```ts
 * import { Hub, type HubConnection } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const open: HubConnection[] = [...hub.counters.connections];
 * strictEqual(open.length, 0);
 * await hub.close();
 * ```
 */
export interface HubConnection {
  /** `"sse"`, `"websocket"` (one topic) or `"serverpush.v1"`. */
  readonly transport: string;
  /** The peer's address (`host:port`), when the server told the handler. */
  readonly remoteAddress: string | undefined;
  /** The client's id, when the handler's `clientId` hook gave one. */
  readonly clientId: string | undefined;
  /** When it opened, in milliseconds since the epoch. */
  readonly openedAt: number;
  /** Messages (frames) received from the client. */
  readonly messagesIn: number;
  /** Bytes received from the client (text frames count UTF-16 units). */
  readonly bytesIn: number;
  /** Messages (events or frames) sent to the client. */
  readonly messagesOut: number;
  /** Bytes sent to the client (text frames count UTF-16 units). */
  readonly bytesOut: number;
  /** The topics it reads. */
  topics(): string[];
  /** Bytes waiting for it: its hub queues and its socket's buffer. */
  queuedBytes(): number;
}

/**
 * Activity of one topic with subscribers, from
 * {@linkcode HubCounters.topics}.
 *
 * @example Read a topic's counts
 * ```ts
 * import { Hub, type HubTopicActivity } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * hub.subscribe("t");
 * await hub.publish("t", { data: "abc" });
 * const topic: HubTopicActivity = hub.counters.topics()[0]!;
 * strictEqual(topic.messages, 1);
 * strictEqual(topic.retainedMessages, 1);
 * await hub.close();
 * ```
 */
export interface HubTopicActivity {
  /** The topic name. */
  readonly topic: string;
  /** Open subscriptions. */
  readonly subscribers: number;
  /** Messages fanned out to its subscribers since it was first subscribed. */
  readonly messages: number;
  /** Messages its backend retains, when the backend can tell. */
  readonly retainedMessages: number | undefined;
  /** Bytes its backend retains, when the backend can tell. */
  readonly retainedBytes: number | undefined;
}

/** What a {@linkcode HubCounters} reads from its hub on demand. */
export interface HubCountersSource {
  /** The topics with subscribers, now. */
  topics(): HubTopicActivity[];
}

/**
 * Running counts of a {@linkcode Hub} and of the handlers that serve it,
 * for `createMetricsHandler` and `createInspector` of
 * `@serverpush/serverpush/serve`. Counters are plain numbers bumped where
 * things happen, so keeping them costs an increment per message and
 * allocates nothing per message; everything else (connection and topic
 * lists) is read on demand.
 *
 * The hub counts what it publishes and delivers, drops and cuts; a handler
 * made by `createHubHandler(hub)` adds its connections, bytes sent and
 * refused requests. Publish-to-delivery latency is sampled: one message in
 * 16 is timed from the moment the hub's backend hands it to the hub (for
 * the in-memory backend, during the publish call) to each delivery to a
 * consumer (for the serving layer, when its bytes are written to the
 * connection).
 *
 * @example Count deliveries
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const a = hub.subscribe("t").getReader();
 * const b = hub.subscribe("t").getReader();
 * await hub.publish("t", { data: "x" });
 * await a.read();
 * await b.read();
 * strictEqual(hub.counters.published, 1);
 * strictEqual(hub.counters.delivered, 2);
 * await hub.close();
 * ```
 */
export class HubCounters {
  /** Messages published through this hub. */
  published = 0;
  /** Messages the hub received from its backend and fanned out. */
  fannedOut = 0;
  /** Data messages handed to consumers (streams, connections). */
  delivered = 0;
  /** Messages dropped from full queues under `"drop-oldest"`. */
  droppedQueueFull = 0;
  /** Subscriptions cut off because their queue overflowed (`"close"`). */
  subscriptionsCut = 0;
  /** Gap signals delivered, by reason. */
  readonly resets: Record<HubResetReason, number> = {
    "unknown-id": 0,
    "window-exceeded": 0,
    dropped: 0,
  };
  /** Failed backend calls (publishes and replay reads). */
  backendErrors = 0;
  /** Connections cut off by the serving layer, by reason. */
  readonly clientsCut: Record<"slow" | "errors" | "unread", number> = {
    slow: 0,
    errors: 0,
    unread: 0,
  };
  /** Connections opened, by transport; polling counts requests. */
  readonly opened: Record<string, number> = {
    sse: 0,
    websocket: 0,
    "serverpush.v1": 0,
    poll: 0,
    longpoll: 0,
    iframe: 0,
  };
  /** Bytes sent to clients (text frames count UTF-16 units). */
  bytesSent = 0;
  /** Requests answered with an error status, by status. */
  readonly refused: Map<number, number> = new Map();
  /** Open connections of the handlers that serve this hub. */
  readonly connections: Set<HubConnection> = new Set();
  /**
   * Observations per latency bucket (not cumulative), one more than
   * {@linkcode LATENCY_BUCKETS}: the last is `+Inf`.
   */
  readonly latencyBuckets: Float64Array = new Float64Array(
    LATENCY_BUCKETS.length + 1,
  );
  /** Sum of the observed latencies, in seconds. */
  latencySum = 0;
  /** Number of observed latencies. */
  latencyCount = 0;
  #source: HubCountersSource;
  #sampled: HubDataMessage | undefined;
  #sampledAt = 0;
  #events: HubEvent[] = [];
  #eventHead = 0;

  /**
   * Creates the counters of a hub; the hub makes its own.
   *
   * @param source Where the topic list comes from.
   */
  constructor(source: HubCountersSource) {
    this.#source = source;
  }

  /**
   * Counts a message the hub fans out, and samples one in 16 for the
   * latency.
   *
   * @param message The message.
   */
  fanOut(message: HubDataMessage): void {
    if (this.fannedOut++ % SAMPLE_EVERY === 0) {
      this.#sampled = message;
      this.#sampledAt = performance.now();
    }
  }

  /**
   * Counts a message handed to a consumer; a sampled one is timed.
   *
   * @param message The message.
   */
  deliver(message: HubMessage): void {
    if (message.kind === "message") {
      this.delivered++;
      if (message === this.#sampled) {
        this.observeLatency((performance.now() - this.#sampledAt) / 1000);
      }
      return;
    }
    if (message.kind !== "reset") return;
    this.resets[message.reason]++;
    this.event("reset", message.reason, `topic "${message.topic}"`);
  }

  /**
   * Adds one latency observation to the histogram.
   *
   * @param seconds The latency.
   */
  observeLatency(seconds: number): void {
    let bucket = 0;
    while (
      bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!
    ) bucket++;
    this.latencyBuckets[bucket]!++;
    this.latencySum += seconds;
    this.latencyCount++;
  }

  /**
   * Counts a refused request and records it as an event.
   *
   * @param status The response status, 400 or more.
   * @param detail One line for a person.
   */
  refuse(status: number, detail: string): void {
    this.refused.set(status, (this.refused.get(status) ?? 0) + 1);
    this.event("refused", String(status), detail);
  }

  /**
   * Records an event, keeping the last 100.
   *
   * @param kind What happened.
   * @param reason Why, in one word.
   * @param detail One line for a person.
   */
  event(kind: HubEventKind, reason: string, detail: string): void {
    const event: HubEvent = Object.freeze({
      at: Date.now(),
      kind,
      reason,
      detail: detail.slice(0, 300),
    });
    if (this.#events.length < MAX_EVENTS) {
      this.#events.push(event);
      return;
    }
    this.#events[this.#eventHead] = event;
    this.#eventHead = (this.#eventHead + 1) % MAX_EVENTS;
  }

  /**
   * The last 100 events, oldest first.
   *
   * @returns A new array.
   */
  events(): HubEvent[] {
    const events = this.#events;
    return [
      ...events.slice(this.#eventHead),
      ...events.slice(0, this.#eventHead),
    ];
  }

  /**
   * The topics with subscribers, sorted by name.
   *
   * @returns A snapshot.
   */
  topics(): HubTopicActivity[] {
    return this.#source.topics();
  }
}
