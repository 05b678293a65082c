// Copyright 2026 the serverpush authors. MIT license.
// A seeded, deterministic `text/event-stream` corpus for the SSE benchmarks,
// with the events it must decode to. tests/bench/sse_corpus_test.ts checks it.

import type { SseMessage } from "../sse/encode.ts";
import type { SseEvent } from "../sse/parser.ts";

/** A generated stream and what a conforming decoder makes of it. */
export interface SseCorpus {
  /** The stream, UTF-8, LF line endings. */
  bytes: Uint8Array;
  /** The events it dispatches, in order. */
  events: SseEvent[];
  /** For each event, the offset just past the blank line that dispatched it. */
  eventEnds: number[];
  /** How many blocks of each kind the stream holds. */
  blocks: { small: number; multiLine: number; long: number; comment: number };
}

/** Options for {@linkcode makeSseCorpus}. */
export interface SseCorpusOptions {
  /** Seed of the generator. @default {1} */
  seed?: number;
  /** The stream is at least this long. @default {16777216} */
  minBytes?: number;
}

const WORDS = [
  "the",
  "quick",
  "stream",
  "of",
  "server",
  "events",
  "pushes",
  "data",
  "to",
  "every",
  "client",
  "token",
  "update",
  "price",
  "value",
  "state",
  "changed",
  "and",
  "again",
  "with",
  "latency",
  "under",
  "load",
  "ok",
];
const WIDE_WORDS = ["café", "über", "naïve", "日本語", "中文", "😀", "🚀", "ß"];
const TYPES = ["update", "update", "update", "delta", "presence", "message"];
const USERS = ["ada", "linus", "grace", "ken", "barbara", "dennis"];

/**
 * Makes the benchmark corpus: mostly small JSON events with ids and types,
 * some multi-line data, a few long single lines (2 to 32 KiB) and
 * keep-alive comments; about a tenth of the small events hold non-ASCII
 * text. The same options always give the same bytes.
 */
export function makeSseCorpus(options: SseCorpusOptions = {}): SseCorpus {
  const minBytes = options.minBytes ?? 16_777_216;
  let state = (options.seed ?? 1) >>> 0;
  function random(): number {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  function int(below: number): number {
    return Math.floor(random() * below);
  }
  function pick<T>(items: readonly T[]): T {
    return items[int(items.length)]!;
  }
  function words(count: number, wide: boolean): string {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      out.push(wide && random() < 0.3 ? pick(WIDE_WORDS) : pick(WORDS));
    }
    return out.join(" ");
  }

  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const events: SseEvent[] = [];
  const eventEnds: number[] = [];
  const blocks = { small: 0, multiLine: 0, long: 0, comment: 0 };
  let size = 0;
  let id = 0;
  let lastEventId = "";
  function push(text: string): void {
    const bytes = encoder.encode(text);
    parts.push(bytes);
    size += bytes.length;
  }
  function dispatch(type: string, data: string): void {
    events.push({ type, data, lastEventId });
    eventEnds.push(size);
  }

  while (size < minBytes) {
    const kind = random();
    if (kind < 0.8) {
      blocks.small++;
      lastEventId = String(++id);
      const type = pick(TYPES);
      const data = JSON.stringify({
        id,
        user: pick(USERS),
        text: words(2 + int(16), random() < 0.1),
        score: int(100_000) / 100,
        done: random() < 0.1,
      });
      push(
        `id: ${lastEventId}\n${
          type === "message" ? "" : `event: ${type}\n`
        }data: ${data}\n\n`,
      );
      dispatch(type, data);
    } else if (kind < 0.92) {
      blocks.multiLine++;
      lastEventId = String(++id);
      const lines: string[] = [];
      const count = 2 + int(11);
      for (let i = 0; i < count; i++) lines.push(words(1 + int(12), false));
      push(`id: ${lastEventId}\ndata: ${lines.join("\ndata: ")}\n\n`);
      dispatch("message", lines.join("\n"));
    } else if (kind < 0.9975) {
      blocks.comment++;
      push(": keep-alive\n\n");
    } else {
      blocks.long++;
      lastEventId = String(++id);
      const length = 2048 + int(30 * 1024);
      const data = words(length / 5, false).slice(0, length);
      push(`id: ${lastEventId}\nevent: snapshot\ndata: ${data}\n\n`);
      dispatch("snapshot", data);
    }
  }

  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return { bytes, events, eventEnds, blocks };
}

/** `bytes` cut into chunks of `size` bytes (the last may be shorter). */
export function chunkBytes(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    chunks.push(bytes.subarray(offset, offset + size));
  }
  return chunks;
}

/** How many of the corpus' events end in each chunk of `size` bytes. */
export function eventsPerChunk(corpus: SseCorpus, size: number): number[] {
  const counts = new Array<number>(Math.ceil(corpus.bytes.length / size))
    .fill(0);
  for (const end of corpus.eventEnds) counts[Math.ceil(end / size) - 1]!++;
  return counts;
}

/**
 * The corpus' events as messages to encode: `id`, `event` unless it is
 * `message`, and `data`. Encoded, each gives the same text with
 * {@linkcode encodeSse} and with eventsource-encoder.
 */
export function corpusMessages(corpus: SseCorpus): SseMessage[] {
  return corpus.events.map((event) =>
    event.type === "message"
      ? { id: event.lastEventId, data: event.data }
      : { event: event.type, id: event.lastEventId, data: event.data }
  );
}
