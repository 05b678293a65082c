// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the events `connect`'s attempts deliver and its iterator reads.

import { Queue } from "../_internal/queue.ts";
import type { PushEvent } from "./push_client.ts";

/** How many recent ids are remembered to drop a repeated message. */
const REMEMBERED_IDS = 256;

const DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * A bounded queue of events between the transports (producers, one at a
 * time) and the client's iterator (the consumer). It drops a message whose
 * id was among the last {@linkcode REMEMBERED_IDS} delivered, keeps the id
 * to resume after, and ends with `null` (done) or an error once the
 * queued events are read.
 */
export class EventQueue {
  /** The id of the last message delivered, to resume after. */
  lastEventId: string | undefined;
  /** Set by every delivery; the transport loop clears it per attempt. */
  delivered = false;
  readonly #events = new Queue<PushEvent>();
  readonly #recentIds = new Set<string>();
  readonly #recentOrder = new Queue<string>();
  readonly #maxQueued: number;
  readonly #signal: AbortSignal;
  #ended: { error: unknown } | null | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  /**
   * @param maxQueued Most events held for the consumer.
   * @param since The id to resume after, to begin with.
   * @param signal Aborted when the client closes: deliveries stop.
   */
  constructor(
    maxQueued: number,
    since: string | undefined,
    signal: AbortSignal,
  ) {
    this.#maxQueued = maxQueued;
    this.lastEventId = since;
    this.#signal = signal;
  }

  /**
   * Queues `event` for the consumer, unless it repeats a recent id or the
   * client is closed.
   *
   * @throws {RangeError} If the queue is full (see {@linkcode room}).
   */
  deliver(event: PushEvent): void {
    if (this.#signal.aborted) return;
    if (event.kind === "message") {
      if (event.id !== "") {
        if (this.#recentIds.has(event.id)) return;
        this.#recentIds.add(event.id);
        this.#recentOrder.push(event.id);
        if (this.#recentOrder.length > REMEMBERED_IDS) {
          this.#recentIds.delete(this.#recentOrder.shift()!);
        }
        this.lastEventId = event.id;
      }
    } else if (event.kind === "reset") {
      // After a reset the ids start again (a restarted server may reuse
      // them), so earlier ones say nothing about what follows.
      this.#recentIds.clear();
      this.#recentOrder.clear();
    }
    const queued = this.#events.length;
    if (queued >= this.#maxQueued) {
      throw new RangeError(
        `Cannot queue message: ${queued} messages wait unread, the most maxQueuedEvents allows`,
      );
    }
    this.delivered = true;
    this.#events.push(event);
    this.#wake();
  }

  /** Resolves when the queue has room for one more event, or is closed. */
  room(): Promise<void> {
    if (this.#events.length < this.#maxQueued || this.#signal.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#wakeProducer = resolve;
    });
  }

  /**
   * Ends the iteration once the queued events are read: done with `null`,
   * else with the error. The first end wins.
   */
  end(end: { error: unknown } | null): void {
    this.#ended ??= end;
    this.#wake();
  }

  /** Drops the queued events and ends the iteration (done). */
  clear(): void {
    this.#ended ??= null;
    this.#events.clear();
    this.#wake();
  }

  /** The next event; after the end, done (or the error, once). */
  async next(): Promise<IteratorResult<PushEvent, undefined>> {
    for (;;) {
      if (this.#events.length > 0) {
        const value = this.#events.shift()!;
        const producer = this.#wakeProducer;
        this.#wakeProducer = undefined;
        producer?.();
        return { done: false, value };
      }
      if (this.#ended !== undefined) {
        const failure = this.#ended;
        this.#ended = null;
        if (failure !== null) throw failure.error;
        return DONE;
      }
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
    }
  }

  #wake(): void {
    const consumer = this.#wakeConsumer;
    const producer = this.#wakeProducer;
    this.#wakeConsumer = undefined;
    this.#wakeProducer = undefined;
    consumer?.();
    producer?.();
  }
}
