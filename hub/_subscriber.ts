// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubBackend } from "./backend.ts";
import { encodedOnce } from "../message/encoded_once.ts";
import type {
  HubDataMessage,
  HubMessage,
  HubPresenceMessage,
  HubResetMessage,
  HubResetReason,
} from "../message/message.ts";
import { dataByteLength, quote } from "./_validate.ts";
import type { HubCounters } from "./counters.ts";

/** Messages fetched from the backend per replay read. */
const PAGE_SIZE = 128;

/** What to do when a subscriber's queue is full. */
export type QueuePolicy = "close" | "drop-oldest";

export interface SubscriberOptions {
  topic: string;
  backend: HubBackend;
  /** Replay after this id first; `undefined` means live only. */
  since: string | undefined;
  /**
   * Without `since`: deliver the newest this many retained messages first,
   * then live ones; `undefined` or `0` means live only.
   */
  history?: number | undefined;
  /**
   * Start with the topic's state (without `since`), and follow every reset
   * with it instead of the whole window; the backend has `state`.
   */
  state?: boolean | undefined;
  maxQueuedMessages: number;
  /** Payload bytes of queued live messages; the newest one always fits. */
  maxQueuedBytes: number;
  queuePolicy: QueuePolicy;
  /** Where deliveries, drops, cuts and backend errors are counted. */
  counters: HubCounters;
  /**
   * Called once when the subscriber ends, however it ends, with the
   * subscriber and its topic (so that one function can serve many).
   */
  onEnd: (subscriber: Subscriber, topic: string) => void;
  /** Where messages go, one per {@linkcode Subscriber.pull}. */
  sink: SubscriberSink;
}

/**
 * The consumer of a subscriber: a stream controller, or a transport that
 * writes each message straight to its connection. Calls come only while
 * the subscriber is open, and never again after `error` or `close`.
 */
export interface SubscriberSink {
  /** Takes the message asked for by the last pull. */
  deliver(message: HubMessage): void;
  /** The subscription failed: the queue overflowed, or the backend failed. */
  error(error: unknown): void;
  /** The subscription ended ({@linkcode Subscriber.end}). */
  close(): void;
}

/** One subscription: a pull-based sink over a bounded queue. */
export interface Subscriber {
  /**
   * Asks for one message: delivered to the sink at once when one is ready
   * (synchronously), else as soon as one is. Asking again before it came
   * changes nothing.
   */
  pull(): void;
  /** Releases the subscriber without calling the sink (the consumer left). */
  cancel(): void;
  /** Takes one live message from the topic's fan-out. */
  push(message: HubDataMessage): void;
  /**
   * Handles a gap in the topic's fan-out: live messages may be missing after
   * `after`. Queued live messages are dropped and the subscriber replays
   * from the last id it took for delivery (or `after`, if none).
   */
  resync(after: string): void;
  /**
   * Takes one presence event. Events wait in their own queue, delivered
   * before anything else; more than `maxQueuedMessages` of them cut the
   * subscriber off with a `RangeError` whatever the queue policy.
   */
  pushEvent(event: HubPresenceMessage): void;
  /** Errors the sink with `error` and releases the subscriber. */
  abort(error: unknown): void;
  /** Closes the sink and releases the subscriber. */
  end(): void;
  /** Live messages waiting to be read. */
  queuedMessages(): number;
  /** Payload bytes of the live messages waiting to be read. */
  queuedBytes(): number;
}

/**
 * The empty queue and page of a subscriber that has queued nothing: shared
 * and frozen, so a subscriber allocates its arrays on first use only.
 */
const NONE: never[] = Object.freeze([]) as never[];

function reset(topic: string, reason: HubResetReason): HubResetMessage {
  return Object.freeze({ kind: "reset", topic, reason });
}

function byteLength(message: HubDataMessage): number {
  return encodedOnce(message, dataByteLength);
}

/**
 * The yes-or-no state of a {@linkcode QueueSubscriber}, as bits of one
 * field rather than a field each (8 bytes each, per subscriber).
 */
const SubscriberFlag = {
  /** Replaying from the backend before live messages. */
  REPLAYING: 1,
  /** Resets are followed by the topic's state. */
  WITH_STATE: 2,
  /** The next replay read is of the topic's state. */
  STATE_DUE: 4,
  /** Live messages were dropped (queue full): a reset goes before the next. */
  GAP: 8,
  /** The sink asked for a message that it has not been given yet. */
  WANTED: 16,
  /** A backend read of the replay is in progress. */
  FILLING: 32,
  /** `drive` is running: a pull made from inside the sink joins it. */
  DRIVING: 64,
  /** The subscription ended (released). */
  ENDED: 128,
} as const;

/**
 * The flags of which any (besides `WANTED`) means a live message cannot go
 * straight to the sink.
 */
const HOLDS_BACK = SubscriberFlag.WANTED | SubscriberFlag.REPLAYING |
  SubscriberFlag.DRIVING | SubscriberFlag.FILLING | SubscriberFlag.GAP |
  SubscriberFlag.ENDED;

/**
 * Creates a subscriber.
 *
 * Live messages go into a queue bounded by `maxQueuedMessages` and
 * `maxQueuedBytes` (payload bytes). With `history`, the first replay read
 * is the newest `history` messages (the watch started before it, so nothing
 * published meanwhile is missed or repeated). With `since`,
 * the subscriber first replays from the backend, one page per empty page
 * buffer, while live messages queue up; replay ends when a page reaches the
 * oldest queued live message (or the end of the log), and queued messages the
 * replay already delivered are dropped, as are late live messages up to the
 * last replayed id (a backend's watch may lag behind its reads). While
 * replaying, a full queue under "drop-oldest" drops silently: replay reads
 * the dropped messages from the backend, since they are older than the
 * queue's head.
 *
 * When the backend reports a gap in its watch, `resync` replays again from
 * the last id taken for delivery (queued live messages, which precede the
 * gap, are delivered first), so the backend's read decides whether anything
 * is really missing.
 */
export function createSubscriber(options: SubscriberOptions): Subscriber {
  return new QueueSubscriber(options);
}

/**
 * The {@linkcode Subscriber} of {@linkcode createSubscriber}: one object per
 * subscription, its state in fields and its logic on the prototype, so that
 * a hub with many subscribers pays for little more than their fields. Its
 * methods must be called on the subscriber (never detached).
 *
 * State is in `#private` fields. The helper methods that are not part of
 * {@linkcode Subscriber} (from `liveLength` to `failed`) are plain methods,
 * reachable only through this unexported class: V8 gives every instance of
 * a class with `#private` methods a brand slot, 8 bytes per subscriber.
 */
class QueueSubscriber implements Subscriber {
  #topic: string;
  #backend: HubBackend;
  #maxQueuedMessages: number;
  #maxQueuedBytes: number;
  #queuePolicy: QueuePolicy;
  #counters: HubCounters;
  #onEnd: (subscriber: Subscriber, topic: string) => void;
  #sink: SubscriberSink;
  /** Live messages from `#head` on; {@linkcode NONE} until one is queued. */
  #live: (HubDataMessage | undefined)[] = NONE;
  #head = 0;
  #bytes = 0;
  /** Messages to deliver before the live queue; {@linkcode NONE} if none. */
  #page: HubMessage[] = NONE;
  #pageHead = 0;
  /** Presence events waiting; {@linkcode NONE} if none ever came. */
  #events: HubPresenceMessage[] = NONE;
  #cursor: string | undefined;
  /** Last id taken for delivery (page or live): where a resync resumes. */
  #position: string | undefined;
  #replayDrops = 0;
  /** Bits of {@linkcode SubscriberFlag}. */
  #flags = 0;
  /** Size of the snapshot the first replay read takes, if one is due. */
  #history: number | undefined;
  /** After a replay: live messages not newer than this were replayed. */
  #floor: string | undefined = undefined;

  constructor(options: SubscriberOptions) {
    this.#topic = options.topic;
    this.#backend = options.backend;
    this.#maxQueuedMessages = options.maxQueuedMessages;
    this.#maxQueuedBytes = options.maxQueuedBytes;
    this.#queuePolicy = options.queuePolicy;
    this.#counters = options.counters;
    this.#onEnd = options.onEnd;
    this.#sink = options.sink;
    const since = options.since;
    const history = since === undefined && (options.history ?? 0) > 0
      ? options.history
      : undefined;
    this.setFlag(SubscriberFlag.WITH_STATE, options.state === true);
    this.setFlag(
      SubscriberFlag.STATE_DUE,
      this.hasFlag(SubscriberFlag.WITH_STATE) && since === undefined,
    );
    this.#history = this.hasFlag(SubscriberFlag.STATE_DUE)
      ? undefined
      : history;
    this.setFlag(
      SubscriberFlag.REPLAYING,
      since !== undefined || this.#history !== undefined ||
        this.hasFlag(SubscriberFlag.STATE_DUE),
    );
    this.#cursor = since;
    this.#position = since;
    // The snapshot is of the newest messages when the subscription opens
    // (the caller adds it to the fan-out before anything else can run).
    if (this.#history !== undefined || this.hasFlag(SubscriberFlag.STATE_DUE)) {
      this.setFlag(SubscriberFlag.FILLING, true);
      this.fill().then(
        () => this.filled(),
        (error: unknown) => this.failed(error),
      );
    }
  }

  hasFlag(flag: number): boolean {
    return (this.#flags & flag) !== 0;
  }

  setFlag(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag;
  }

  liveLength(): number {
    return this.#live.length - this.#head;
  }

  shiftLive(): HubDataMessage {
    const live = this.#live;
    const head = this.#head;
    const message = live[head]!;
    live[head] = undefined;
    this.#head = head + 1;
    this.#bytes -= byteLength(message);
    if (this.#head >= 1024 && this.#head * 2 >= live.length) {
      this.#live = live.slice(this.#head);
      this.#head = 0;
    }
    return message;
  }

  pushLive(message: HubDataMessage): void {
    if (this.#live === NONE) this.#live = [];
    this.#live.push(message);
  }

  pushPage(message: HubMessage): void {
    if (this.#page === NONE) this.#page = [];
    this.#page.push(message);
  }

  release(): boolean {
    if (this.hasFlag(SubscriberFlag.ENDED)) return false;
    this.setFlag(SubscriberFlag.ENDED, true);
    this.#live = NONE;
    this.#head = 0;
    this.#bytes = 0;
    this.#page = NONE;
    this.#pageHead = 0;
    this.#events = NONE;
    const onEnd = this.#onEnd;
    onEnd(this, this.#topic);
    return true;
  }

  deliver(message: HubMessage): void {
    this.setFlag(SubscriberFlag.WANTED, false);
    this.#sink.deliver(message);
    this.#counters.deliver(message);
  }

  deliverLive(): boolean {
    if (this.liveLength() === 0) return false;
    if (this.hasFlag(SubscriberFlag.GAP)) {
      this.setFlag(SubscriberFlag.GAP, false);
      this.deliver(reset(this.#topic, "dropped"));
    } else {
      const message = this.shiftLive();
      this.#position = message.id;
      this.deliver(message);
    }
    return true;
  }

  finishReplay(): void {
    this.setFlag(SubscriberFlag.REPLAYING, false);
    const cursor = this.#cursor;
    if (cursor === undefined) return;
    // A backend's watch may lag behind its reads: drop what was replayed.
    while (
      this.liveLength() > 0 &&
      this.#backend.compare(this.#live[this.#head]!.id, cursor) <= 0
    ) {
      this.shiftLive();
    }
    if (this.liveLength() === 0) this.#floor = cursor;
  }

  /**
   * The state read of a replay: the latest message of every key, then live
   * messages newer than the state's last id (the watch started before the
   * read, so none is missed).
   */
  async fillState(drops: number): Promise<void> {
    this.setFlag(SubscriberFlag.STATE_DUE, false);
    const state = await this.#backend.state!(this.#topic);
    if (this.hasFlag(SubscriberFlag.ENDED)) return;
    for (const message of state.messages) this.pushPage(message);
    this.#cursor = state.last;
    this.#position = state.last;
    // A gap reported meanwhile dropped live messages: read on from `last`.
    if (drops === this.#replayDrops) this.finishReplay();
  }

  async fill(): Promise<void> {
    const drops = this.#replayDrops;
    if (this.hasFlag(SubscriberFlag.STATE_DUE)) {
      return await this.fillState(drops);
    }
    const topic = this.#topic;
    const backend = this.#backend;
    const cursor = this.#cursor;
    const history = this.#history;
    this.#history = undefined;
    // A snapshot is read after the watch started, so whatever is published
    // from then on is in the live queue: the replay ends with the snapshot.
    const result = await backend.read(
      topic,
      history !== undefined
        ? { last: history, limit: history }
        : cursor === undefined
        ? { limit: PAGE_SIZE }
        : { since: cursor, limit: PAGE_SIZE },
    );
    if (this.hasFlag(SubscriberFlag.ENDED)) return;
    if (result.reset !== undefined) {
      this.pushPage(reset(topic, result.reset));
      this.#cursor = undefined;
      this.#position = undefined;
      // Conflation: the reset is followed by the state, not the window.
      if (this.hasFlag(SubscriberFlag.WITH_STATE)) {
        return await this.fillState(drops);
      }
    }
    const first = this.liveLength() > 0 ? this.#live[this.#head]! : undefined;
    let reachedLive = false;
    for (const message of result.messages) {
      if (first !== undefined && backend.compare(message.id, first.id) >= 0) {
        reachedLive = true;
        break;
      }
      this.pushPage(message);
      this.#cursor = message.id;
      this.#position = message.id;
    }
    if (
      reachedLive ||
      ((history !== undefined || result.messages.length < PAGE_SIZE) &&
        drops === this.#replayDrops)
    ) {
      this.finishReplay();
    }
  }

  /**
   * Gives the sink what it asked for, if there is something: from the
   * replay page, else (the replay done) from the live queue. A replay that
   * needs the next page reads it and comes back here. Synchronous on the
   * live path, so a broadcast reaches a waiting sink in the same call.
   */
  drive(): void {
    if (this.hasFlag(SubscriberFlag.DRIVING)) return;
    this.setFlag(SubscriberFlag.DRIVING, true);
    try {
      while (
        this.hasFlag(SubscriberFlag.WANTED) &&
        !this.hasFlag(SubscriberFlag.ENDED)
      ) {
        if (this.#events.length > 0) {
          this.deliver(this.#events.shift()!);
          continue;
        }
        if (this.hasFlag(SubscriberFlag.FILLING)) return;
        if (this.#pageHead < this.#page.length) {
          const message = this.#page[this.#pageHead++]!;
          if (this.#pageHead === this.#page.length) {
            this.#page = NONE;
            this.#pageHead = 0;
          }
          this.deliver(message);
        } else if (this.hasFlag(SubscriberFlag.REPLAYING)) {
          this.setFlag(SubscriberFlag.FILLING, true);
          this.fill().then(
            () => this.filled(),
            (error: unknown) => this.failed(error),
          );
        } else if (!this.deliverLive()) {
          return;
        }
      }
    } finally {
      this.setFlag(SubscriberFlag.DRIVING, false);
    }
  }

  filled(): void {
    this.setFlag(SubscriberFlag.FILLING, false);
    this.drive();
  }

  failed(error: unknown): void {
    this.setFlag(SubscriberFlag.FILLING, false);
    const counters = this.#counters;
    counters.backendErrors++;
    counters.event(
      "error",
      "backend",
      `replay of topic ${quote(this.#topic)}: ${String(error)}`,
    );
    if (this.release()) this.#sink.error(error);
  }

  pull(): void {
    const flags = this.#flags | SubscriberFlag.WANTED;
    this.#flags = flags;
    // Nothing waits (the usual case once a live message went out): `drive`
    // would find nothing to deliver.
    if (
      (flags & HOLDS_BACK) === SubscriberFlag.WANTED &&
      this.#events.length === 0 && this.#pageHead >= this.#page.length &&
      this.liveLength() === 0
    ) {
      return;
    }
    this.drive();
  }

  cancel(): void {
    this.release();
  }

  push(message: HubDataMessage): void {
    if (this.hasFlag(SubscriberFlag.ENDED)) return;
    if (this.#floor !== undefined) {
      if (this.#backend.compare(message.id, this.#floor) <= 0) return;
      this.#floor = undefined;
    }
    if (
      (this.#flags & HOLDS_BACK) === SubscriberFlag.WANTED &&
      this.#page === NONE && this.liveLength() === 0
    ) {
      // The sink waits and nothing is queued: hand it over at once. (A
      // replay that just ended may still hold its last page, which the
      // sink gets first, once the read's continuation drives it.)
      this.#position = message.id;
      this.deliver(message);
      return;
    }
    this.pushLive(message);
    this.#bytes += byteLength(message);
    if (
      this.liveLength() > this.#maxQueuedMessages ||
      (this.#bytes > this.#maxQueuedBytes && this.liveLength() > 1)
    ) {
      if (this.#queuePolicy === "close") {
        const queued = this.liveLength();
        const bytes = this.#bytes;
        this.release();
        this.#counters.subscriptionsCut++;
        this.#counters.event(
          "cut",
          "slow",
          `subscriber of topic ${
            quote(this.#topic)
          }: ${queued} messages, ${bytes} bytes queued`,
        );
        this.#sink.error(
          new RangeError(
            `Cannot deliver message to subscriber of topic ${
              quote(this.#topic)
            }: ${
              queued > this.#maxQueuedMessages
                ? `${queued} messages queued, which exceeds maxQueuedMessages of ${this.#maxQueuedMessages}`
                : `${bytes} bytes queued, which exceeds maxQueuedBytes of ${this.#maxQueuedBytes}`
            }`,
          ),
        );
        return;
      }
      do {
        this.shiftLive();
        this.#counters.droppedQueueFull++;
      } while (
        this.liveLength() > 1 && this.#bytes > this.#maxQueuedBytes
      );
      if (this.hasFlag(SubscriberFlag.REPLAYING)) this.#replayDrops++;
      else if (this.hasFlag(SubscriberFlag.WITH_STATE)) this.restate();
      else this.setFlag(SubscriberFlag.GAP, true);
    }
    if (
      this.hasFlag(SubscriberFlag.WANTED) &&
      !this.hasFlag(SubscriberFlag.REPLAYING)
    ) this.drive();
  }

  /**
   * A state subscriber that fell behind: drops its live queue and delivers
   * a `"dropped"` reset, then the topic's state, then live messages.
   */
  restate(): void {
    this.#counters.droppedQueueFull += this.liveLength();
    this.#live = NONE;
    this.#head = 0;
    this.#bytes = 0;
    this.pushPage(reset(this.#topic, "dropped"));
    this.setFlag(SubscriberFlag.REPLAYING, true);
    this.setFlag(SubscriberFlag.STATE_DUE, true);
    if (this.hasFlag(SubscriberFlag.WANTED)) this.drive();
  }

  pushEvent(event: HubPresenceMessage): void {
    if (this.hasFlag(SubscriberFlag.ENDED)) return;
    if (this.#events === NONE) this.#events = [];
    this.#events.push(event);
    const queued = this.#events.length;
    if (queued > this.#maxQueuedMessages) {
      this.release();
      this.#counters.subscriptionsCut++;
      this.#counters.event(
        "cut",
        "slow",
        `subscriber of topic ${quote(this.#topic)}: presence events queued`,
      );
      this.#sink.error(
        new RangeError(
          `Cannot deliver presence event to subscriber of topic ${
            quote(this.#topic)
          }: ${queued} events queued, which exceeds maxQueuedMessages of ${this.#maxQueuedMessages}`,
        ),
      );
      return;
    }
    if (this.hasFlag(SubscriberFlag.WANTED)) this.drive();
  }

  abort(error: unknown): void {
    if (this.release()) this.#sink.error(error);
  }

  resync(after: string): void {
    if (this.hasFlag(SubscriberFlag.ENDED)) return;
    this.#floor = undefined;
    if (this.hasFlag(SubscriberFlag.REPLAYING)) {
      // The replay reads on from its cursor until it reaches the live
      // queue: drop the queue, which may now be followed by the gap, and
      // keep a short page read before the gap from ending the replay.
      this.#live = NONE;
      this.#head = 0;
      this.#bytes = 0;
      this.#replayDrops++;
      return;
    }
    // Queued live messages precede the gap: deliver them first (after the
    // pending drop reset, if any), then replay what follows them.
    if (this.hasFlag(SubscriberFlag.GAP)) {
      this.pushPage(reset(this.#topic, "dropped"));
    }
    this.setFlag(SubscriberFlag.GAP, false);
    let last: string | undefined;
    while (this.liveLength() > 0) {
      const message = this.shiftLive();
      this.pushPage(message);
      last = message.id;
      this.#position = last;
    }
    this.setFlag(SubscriberFlag.REPLAYING, true);
    this.#cursor = last ?? this.#position ?? after;
    if (this.hasFlag(SubscriberFlag.WANTED)) this.drive();
  }

  end(): void {
    if (this.release()) this.#sink.close();
  }

  queuedMessages(): number {
    return this.liveLength() + this.#events.length;
  }

  queuedBytes(): number {
    return this.#bytes;
  }
}
