// Copyright 2026 the serverpush authors. MIT license.
// The Deno KV backend's keys, records and ids, shared by its append, read
// and watch code.

import type { HubDataMessage } from "../message/message.ts";
import { storedMessage } from "./_keyed.ts";

/** The head of a topic: its newest sequence number and its generation. */
export interface KvHead {
  /** Sequence number of the newest message of the generation (0: none). */
  seq: number;
  /**
   * The generation's epoch, or `null` while the head has not been
   * rewritten since it was created: the epoch is then the head's own
   * versionstamp (the commit that created it).
   */
  epoch: string | null;
  /** Time of the last append (or of the creation), in ms. */
  t: number;
  /** Bucket of `t`, where this topic counts for `maxTopics`. */
  b: number;
  /** Keys in the generation's state (absent: none). */
  k?: number;
}

/** A stored message: data as bytes, since KV limits the serialized size. */
export interface KvMessageRecord {
  /** Payload: UTF-8 text when `x` is true, else raw bytes. */
  d: Uint8Array;
  /** Whether `d` is text. */
  x: boolean;
  /** Event type. */
  e?: string;
  /** Append time, in ms. */
  t: number;
  /** Bytes counted for `maxRetainedBytes`. */
  s: number;
  /** Sender's client id (`from`). */
  f?: string;
  /** State key, for a keyed message. */
  k?: string;
  /** Whether the message deletes its key. */
  r?: true;
}

/** A state entry: the latest message of a key, and its sequence number. */
export interface KvStateRecord extends KvMessageRecord {
  /** Sequence number of the message. */
  q: number;
}

/** An idempotency key's entry: the first message it stored. */
export interface KvIdempotencyRecord {
  /** Epoch of the first message's id. */
  e: string;
  /** Sequence number of the first message's id. */
  s: number;
  /** Time of the first append, in ms. */
  t: number;
}

/** What a retained message counts for besides its payload. */
export const MESSAGE_OVERHEAD = 128;
/** Largest payload a message may have: a KV value holds 64 KiB. */
export const KV_MAX_DATA_BYTES = 64_512;
/** 2^64, to subtract with a wrapping `sum`. */
const U64 = 1n << 64n;

const ID_REGEXP = /^([0-9a-f]{20})-(0|[1-9][0-9]{0,15})$/;

/** The keys of one backend, under its prefix. */
export class KvKeys {
  readonly #prefix: Deno.KvKey;
  constructor(prefix: Deno.KvKey) {
    this.#prefix = prefix;
  }
  head(topic: string): Deno.KvKey {
    return [...this.#prefix, "h", topic];
  }
  idempotency(topic: string, key: string): Deno.KvKey {
    return [...this.#prefix, "i", topic, key];
  }
  messages(topic: string, epoch: string): Deno.KvKey {
    return [...this.#prefix, "m", topic, epoch];
  }
  message(topic: string, epoch: string, seq: number): Deno.KvKey {
    return [...this.#prefix, "m", topic, epoch, seq];
  }
  order(t: number, topic: string, epoch: string, seq: number): Deno.KvKey {
    return [...this.#prefix, "o", t, topic, epoch, seq];
  }
  orders(): Deno.KvKey {
    return [...this.#prefix, "o"];
  }
  bytes(bucket?: number): Deno.KvKey {
    return bucket === undefined
      ? [...this.#prefix, "b"]
      : [...this.#prefix, "b", bucket];
  }
  topics(bucket?: number): Deno.KvKey {
    return bucket === undefined
      ? [...this.#prefix, "n"]
      : [...this.#prefix, "n", bucket];
  }
  /** Bumped by every append, so another process notices new messages. */
  clock(): Deno.KvKey {
    return [...this.#prefix, "c"];
  }
  /** The state entries of a topic's generation, by key. */
  states(topic: string, epoch: string): Deno.KvKey {
    return [...this.#prefix, "k", topic, epoch];
  }
  state(topic: string, epoch: string, key: string): Deno.KvKey {
    return [...this.#prefix, "k", topic, epoch, key];
  }
}

/** A `sum` operand that adds `n`, which may be negative (wrapping). */
export function u64(n: number): bigint {
  const value = BigInt(n);
  return value < 0n ? U64 + value : value;
}

/** Sums KvU64 counters as signed 64-bit numbers. */
export function signedTotal(values: Iterable<unknown>): number {
  let total = 0n;
  for (const value of values) {
    if (value instanceof Deno.KvU64) total += value.value;
  }
  return Number(BigInt.asIntN(64, total % U64));
}

/** The epoch of a head entry. */
export function epochOf(entry: Deno.KvEntry<KvHead>): string {
  return entry.value.epoch ?? entry.versionstamp;
}

/** Splits an id into epoch and sequence number, if it is one of ours. */
export function parseId(
  id: string,
): { epoch: string; seq: number } | undefined {
  if (typeof id !== "string") return undefined;
  const match = ID_REGEXP.exec(id);
  if (match === null) return undefined;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? { epoch: match[1]!, seq } : undefined;
}

const decoder = new TextDecoder();

/** The message a record holds, as subscribers see it. */
export function toMessage(
  topic: string,
  epoch: string,
  seq: number,
  record: KvMessageRecord,
): HubDataMessage {
  const id = `${epoch}-${seq}`;
  const data = record.x ? decoder.decode(record.d) : record.d;
  return storedMessage(topic, id, {
    event: record.e,
    data,
    key: record.k,
    deleted: record.r,
    from: record.f,
  });
}
