// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubBackend } from "./backend.ts";
import { encodedOnce } from "./encoded_once.ts";
import type {
  HubDataMessage,
  HubMessage,
  HubResetMessage,
  HubResetReason,
} from "./message.ts";
import { dataByteLength, quote } from "./_validate.ts";

/** Messages fetched from the backend per replay read. */
const PAGE_SIZE = 128;

/** What to do when a subscriber's queue is full. */
export type QueuePolicy = "close" | "drop-oldest";

export interface SubscriberOptions {
  topic: string;
  backend: HubBackend;
  /** Replay after this id first; `undefined` means live only. */
  since: string | undefined;
  maxQueuedMessages: number;
  queuePolicy: QueuePolicy;
  /** Called once when the subscriber ends, however it ends. */
  onEnd: () => void;
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
  /** Closes the sink and releases the subscriber. */
  end(): void;
  /** Live messages waiting to be read. */
  queuedMessages(): number;
  /** Payload bytes of the live messages waiting to be read. */
  queuedBytes(): number;
}

function reset(topic: string, reason: HubResetReason): HubResetMessage {
  return Object.freeze({ kind: "reset", topic, reason });
}

function byteLength(message: HubDataMessage): number {
  return encodedOnce(message, dataByteLength);
}

/**
 * Creates a subscriber.
 *
 * Live messages go into a queue bounded by `maxQueuedMessages`. With `since`,
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
  const { topic, backend, maxQueuedMessages, queuePolicy, onEnd, sink } =
    options;
  let live: (HubDataMessage | undefined)[] = [];
  let head = 0;
  let bytes = 0;
  let page: HubMessage[] = [];
  let pageHead = 0;
  let replaying = options.since !== undefined;
  let cursor = options.since;
  /** Last id taken for delivery (page or live): where a resync resumes. */
  let position = options.since;
  let replayDrops = 0;
  /** After a replay: live messages not newer than this were replayed. */
  let floor: string | undefined;
  let gap = false;
  /** The sink asked for a message that it has not been given yet. */
  let wanted = false;
  /** A backend read of the replay is in progress. */
  let filling = false;
  /** `drive` is running: a pull made from inside the sink joins it. */
  let driving = false;
  let ended = false;

  function liveLength(): number {
    return live.length - head;
  }

  function shiftLive(): HubDataMessage {
    const message = live[head]!;
    live[head] = undefined;
    head++;
    bytes -= byteLength(message);
    if (head >= 1024 && head * 2 >= live.length) {
      live = live.slice(head);
      head = 0;
    }
    return message;
  }

  function release(): boolean {
    if (ended) return false;
    ended = true;
    live = [];
    head = 0;
    bytes = 0;
    page = [];
    pageHead = 0;
    onEnd();
    return true;
  }

  function deliver(message: HubMessage): void {
    wanted = false;
    sink.deliver(message);
  }

  function deliverLive(): boolean {
    if (liveLength() === 0) return false;
    if (gap) {
      gap = false;
      deliver(reset(topic, "dropped"));
    } else {
      const message = shiftLive();
      position = message.id;
      deliver(message);
    }
    return true;
  }

  function finishReplay(): void {
    replaying = false;
    if (cursor === undefined) return;
    // A backend's watch may lag behind its reads: drop what was replayed.
    while (liveLength() > 0 && backend.compare(live[head]!.id, cursor) <= 0) {
      shiftLive();
    }
    if (liveLength() === 0) floor = cursor;
  }

  async function fill(): Promise<void> {
    const drops = replayDrops;
    const result = await backend.read(
      topic,
      cursor === undefined
        ? { limit: PAGE_SIZE }
        : { since: cursor, limit: PAGE_SIZE },
    );
    if (ended) return;
    if (result.reset !== undefined) {
      page.push(reset(topic, result.reset));
      cursor = undefined;
      position = undefined;
    }
    const first = liveLength() > 0 ? live[head]! : undefined;
    let reachedLive = false;
    for (const message of result.messages) {
      if (first !== undefined && backend.compare(message.id, first.id) >= 0) {
        reachedLive = true;
        break;
      }
      page.push(message);
      cursor = message.id;
      position = message.id;
    }
    if (
      reachedLive ||
      (result.messages.length < PAGE_SIZE && drops === replayDrops)
    ) {
      finishReplay();
    }
  }

  /**
   * Gives the sink what it asked for, if there is something: from the
   * replay page, else (the replay done) from the live queue. A replay that
   * needs the next page reads it and comes back here. Synchronous on the
   * live path, so a broadcast reaches a waiting sink in the same call.
   */
  function drive(): void {
    if (driving) return;
    driving = true;
    try {
      while (wanted && !ended && !filling) {
        if (pageHead < page.length) {
          const message = page[pageHead++]!;
          if (pageHead === page.length) {
            page = [];
            pageHead = 0;
          }
          deliver(message);
        } else if (replaying) {
          filling = true;
          fill().then(filled, failed);
        } else if (!deliverLive()) {
          return;
        }
      }
    } finally {
      driving = false;
    }
  }

  function filled(): void {
    filling = false;
    drive();
  }

  function failed(error: unknown): void {
    filling = false;
    if (release()) sink.error(error);
  }

  return {
    pull(): void {
      wanted = true;
      drive();
    },
    cancel(): void {
      release();
    },
    push(message: HubDataMessage): void {
      if (ended) return;
      if (floor !== undefined) {
        if (backend.compare(message.id, floor) <= 0) return;
        floor = undefined;
      }
      if (wanted && !replaying && !driving && !gap && liveLength() === 0) {
        // The sink waits and nothing is queued: hand it over at once.
        position = message.id;
        deliver(message);
        return;
      }
      live.push(message);
      bytes += byteLength(message);
      if (liveLength() > maxQueuedMessages) {
        if (queuePolicy === "close") {
          const queued = liveLength();
          release();
          sink.error(
            new RangeError(
              `Cannot deliver message to subscriber of topic ${
                quote(topic)
              }: ${queued} messages queued, which exceeds maxQueuedMessages of ${maxQueuedMessages}`,
            ),
          );
          return;
        }
        shiftLive();
        if (replaying) replayDrops++;
        else gap = true;
      }
      if (wanted && !replaying) drive();
    },
    resync(after: string): void {
      if (ended) return;
      floor = undefined;
      if (replaying) {
        // The replay reads on from its cursor until it reaches the live
        // queue: drop the queue, which may now be followed by the gap, and
        // keep a short page read before the gap from ending the replay.
        live = [];
        head = 0;
        bytes = 0;
        replayDrops++;
        return;
      }
      // Queued live messages precede the gap: deliver them first (after the
      // pending drop reset, if any), then replay what follows them.
      if (gap) page.push(reset(topic, "dropped"));
      gap = false;
      let last: string | undefined;
      while (liveLength() > 0) {
        const message = shiftLive();
        page.push(message);
        last = message.id;
        position = last;
      }
      replaying = true;
      cursor = last ?? position ?? after;
      if (wanted) drive();
    },
    end(): void {
      if (release()) sink.close();
    },
    queuedMessages(): number {
      return liveLength();
    },
    queuedBytes(): number {
      return bytes;
    },
  };
}
