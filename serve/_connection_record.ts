// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what the serving layer reports of each connection to the hub's
// counters (the inspector lists them, the metrics count them).

import { type HubConnection, HubCounters } from "../hub/counters.ts";
import type { MessageSource } from "../message/source.ts";

/** Who is at the other end, as far as the handler knows. */
export interface Peer {
  remoteAddress?: string | undefined;
  clientId?: string | undefined;
}

/** What a record reads from its connection on demand. */
export interface RecordOwner {
  topicNames(): string[];
  queuedBytes(): number;
}

/** A subscription whose hub queue can be measured. */
interface Measurable {
  queuedBytes(): number;
}

/** Bytes queued in a subscription of the hub; 0 for other sources. */
export function queuedIn(feed: unknown): number {
  return typeof (feed as Partial<Measurable> | undefined)?.queuedBytes ===
      "function"
    ? (feed as Measurable).queuedBytes()
    : 0;
}

/**
 * The counters of `source` when it is a hub; else counters of their own,
 * which nobody reads, so that the serving code never asks.
 */
export function countersOf(source: MessageSource): HubCounters {
  const counters = (source as { counters?: unknown }).counters;
  return counters instanceof HubCounters
    ? counters
    : new HubCounters({ topics: () => [] });
}

/**
 * One open connection in {@linkcode HubCounters.connections}, from its
 * opening to {@linkcode ConnectionRecord.close}.
 */
export class ConnectionRecord implements HubConnection {
  readonly transport: string;
  readonly remoteAddress: string | undefined;
  readonly clientId: string | undefined;
  readonly openedAt: number = Date.now();
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  readonly #counters: HubCounters;
  readonly #owner: RecordOwner;

  constructor(
    counters: HubCounters,
    transport: string,
    peer: Peer | undefined,
    owner: RecordOwner,
  ) {
    this.#counters = counters;
    this.transport = transport;
    this.remoteAddress = peer?.remoteAddress;
    this.clientId = peer?.clientId;
    this.#owner = owner;
    counters.opened[transport] = (counters.opened[transport] ?? 0) + 1;
    counters.connections.add(this);
  }

  /** Counts one message of `bytes` sent. */
  sent(bytes: number): void {
    this.messagesOut++;
    this.bytesOut += bytes;
    this.#counters.bytesSent += bytes;
  }

  /** Counts one message of `bytes` received. */
  received(bytes: number): void {
    this.messagesIn++;
    this.bytesIn += bytes;
  }

  /** The connection is cut off: counted by reason, and an event. */
  cut(reason: "slow" | "errors" | "unread", detail: string): void {
    this.#counters.clientsCut[reason]++;
    this.#counters.event(
      "cut",
      reason,
      `${this.transport} ${this.remoteAddress ?? ""} ${detail}`.replace(
        "  ",
        " ",
      ),
    );
  }

  /** The connection closed. */
  close(): void {
    this.#counters.connections.delete(this);
  }

  topics(): string[] {
    return this.#owner.topicNames();
  }

  queuedBytes(): number {
    return this.#owner.queuedBytes();
  }
}
