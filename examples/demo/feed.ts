// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The demo's event source: a timer that appends the next
 * {@linkcode demoEvent} to a bounded replay ring and hands it to every
 * subscriber. The feed lives apart from any HTTP server (as a real
 * publisher would), so a test can stop a server, let the feed move on, start
 * a new server on the same feed and check that a reconnecting browser gets
 * exactly the events it missed.
 *
 * Each event is also published to a {@linkcode Hub}: quotes to the topic
 * {@linkcode QUOTES_TOPIC}, telemetry to {@linkcode DASHBOARD_TOPIC}. The
 * hub belongs to the feed, so it too outlives a server restart.
 *
 * @module
 */

import { demoPresence } from "./hub_routes.ts";
import { Hub } from "../../hub/mod.ts";
import { type DemoEvent, demoEvent } from "./events.ts";

/** The hub topic of the quote events. */
export const QUOTES_TOPIC = "quotes";
/** The hub topic of the telemetry events. */
export const DASHBOARD_TOPIC = "dashboard";
/** The key of the rack's readings in {@linkcode DASHBOARD_TOPIC}. */
export const DASHBOARD_KEY = "rack-a";

/** Options for {@linkcode createDemoFeed}. */
export interface DemoFeedOptions {
  /**
   * Milliseconds between two events while the feed runs.
   *
   * @default {250}
   */
  intervalMs?: number;
  /**
   * How many recent events the replay ring keeps.
   *
   * @default {1000}
   */
  capacity?: number;
  /**
   * Id of the last event already published; the feed continues after it.
   *
   * @default {0}
   */
  lastId?: number;
  /**
   * Whether the events up to `lastId` were published by an earlier run of
   * the feed: they are rebuilt into the replay ring (the same number always
   * gives the same event), so a client resumes across a restart. Otherwise
   * the ring starts empty.
   *
   * @default {false}
   */
  resume?: boolean;
  /**
   * The hub to publish every event to as well.
   *
   * @default {a new Hub}
   */
  hub?: Hub;
  /**
   * Whether this instance publishes to the hub topic now: when several
   * instances share a hub (Redis), only the holder of the topic's lease
   * does (see `lease.ts`). The replay ring and `/sse` are fed either way.
   *
   * @default {() => true}
   */
  mayPublish?: (topic: string) => boolean;
}

/** One connection as the server saw it. */
export interface DemoConnection {
  /** `Date.now()` when the request arrived. */
  at: number;
  /** Which transport the client used, e.g. `sse`. */
  transport: string;
  /** The id the client resumes after (header or query), if it sent one. */
  lastEventId: string | undefined;
  /** The raw `Last-Event-ID` request header, if there was one. */
  lastEventIdHeader: string | undefined;
}

/** A running (or stopped) demo event feed. See {@linkcode createDemoFeed}. */
export interface DemoFeed {
  /** The hub every event is published to, by event type. */
  readonly hub: Hub;
  /** How many recent events the replay ring keeps. */
  readonly capacity: number;
  /** Id of the newest event, or the starting `lastId` if none yet. */
  readonly lastId: number;
  /** Whether the timer is running. */
  readonly running: boolean;
  /** The most recent connections (at most 100), oldest first. */
  readonly connections: readonly DemoConnection[];
  /** Starts the timer. Does nothing if it runs already. */
  start(): void;
  /** Stops the timer. Subscribers stay subscribed. */
  stop(): void;
  /** Appends the next event now and delivers it to every subscriber. */
  publish(): DemoEvent;
  /**
   * Events with an id greater than `id`, oldest first, as far back as the
   * ring reaches.
   */
  since(id: number): DemoEvent[];
  /** Calls `listener` for every event published from now on. */
  subscribe(listener: (event: DemoEvent) => void): () => void;
  /** Resolves once an event with id `id` or later has been published. */
  waitFor(id: number): Promise<void>;
  /** Notes a connection in {@linkcode DemoFeed.connections}. */
  recordConnection(connection: Omit<DemoConnection, "at">): void;
}

const MAX_CONNECTIONS = 100;

/**
 * Publishing fails only once the hub is closed (the demo closes its own at
 * shutdown, maybe a tick before the timer stops): nothing to deliver then.
 */
function ignoreClosedHub(): void {}

/**
 * Creates a demo feed. Call `start()` to publish on a timer and `stop()` to
 * release the timer.
 *
 * @param options Interval, ring capacity, starting id and hub.
 * @returns The feed, stopped.
 * @throws {RangeError} If an option is out of range.
 */
export function createDemoFeed(options: DemoFeedOptions = {}): DemoFeed {
  const { intervalMs = 250, capacity = 1000, lastId: startId = 0 } = options;
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(
      `Cannot create demo feed: capacity ${capacity} is not a positive integer`,
    );
  }
  if (!Number.isSafeInteger(startId) || startId < 0) {
    throw new RangeError(
      `Cannot create demo feed: lastId ${startId} is not a non-negative integer`,
    );
  }
  if (!(intervalMs > 0)) {
    throw new RangeError(
      `Cannot create demo feed: intervalMs ${intervalMs} is not positive`,
    );
  }
  const hub = options.hub ?? new Hub({ presence: demoPresence });
  const mayPublish = options.mayPublish ?? ((): boolean => true);
  const ring: (DemoEvent | undefined)[] = new Array(capacity);
  const listeners = new Set<(event: DemoEvent) => void>();
  const connections: DemoConnection[] = [];
  let lastId = startId;
  // Events a client may resume after: from 1 when they are rebuilt.
  const firstId = options.resume === true ? 1 : startId + 1;
  for (let n = Math.max(firstId, lastId - capacity + 1); n <= lastId; n++) {
    ring[n % capacity] = demoEvent(n);
  }
  let timer: ReturnType<typeof setInterval> | undefined;

  function publish(): DemoEvent {
    const event = demoEvent(lastId + 1);
    lastId += 1;
    ring[lastId % capacity] = event;
    for (const listener of [...listeners]) listener(event);
    const topic = event.event === "quote" ? QUOTES_TOPIC : DASHBOARD_TOPIC;
    if (mayPublish(topic)) {
      // The rack's readings are a keyed topic: a page that subscribes with
      // state gets the current readings at once, then live ones.
      hub.publish(
        topic,
        topic === DASHBOARD_TOPIC
          ? { event: event.event, data: event.data, key: DASHBOARD_KEY }
          : { event: event.event, data: event.data },
      ).catch(ignoreClosedHub);
    }
    return event;
  }

  function since(id: number): DemoEvent[] {
    const first = Math.max(id + 1, lastId - capacity + 1, firstId);
    const out: DemoEvent[] = [];
    for (let n = first; n <= lastId; n++) {
      const event = ring[n % capacity];
      if (event !== undefined) out.push(event);
    }
    return out;
  }

  function subscribe(listener: (event: DemoEvent) => void): () => void {
    const wrapped = (event: DemoEvent): void => listener(event);
    listeners.add(wrapped);
    return () => listeners.delete(wrapped);
  }

  return {
    hub,
    capacity,
    get lastId(): number {
      return lastId;
    },
    get running(): boolean {
      return timer !== undefined;
    },
    get connections(): readonly DemoConnection[] {
      return connections;
    },
    start(): void {
      timer ??= setInterval(publish, intervalMs);
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
    publish,
    since,
    subscribe,
    waitFor(id: number): Promise<void> {
      if (lastId >= id) return Promise.resolve();
      return new Promise((resolve) => {
        const unsubscribe = subscribe((event) => {
          if (Number(event.id) >= id) {
            unsubscribe();
            resolve();
          }
        });
      });
    },
    recordConnection(connection: Omit<DemoConnection, "at">): void {
      connections.push({ at: Date.now(), ...connection });
      if (connections.length > MAX_CONNECTIONS) connections.shift();
    },
  };
}
