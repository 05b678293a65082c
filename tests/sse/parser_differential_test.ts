// Copyright 2026 the serverpush authors. MIT license.
// Differential test: createSseParser against eventsource-parser (a widely
// used, independent implementation) on seeded random streams.
//
// How eventsource-parser is driven so that both must agree:
// - It takes strings, so it gets the text of one streaming TextDecoder fed
//   the same byte chunks. That decoder keeps a leading BOM (ignoreBOM: true)
//   and eventsource-parser strips it itself; with the BOM already stripped it
//   would strip a second one. It also strips a leading "\xEF\xBB\xBF" read as
//   three characters, which the generator never produces.
// - It reports an event's id only when the block had an `id` field, and
//   calls `onId` at every blank line after one. The last event id, which
//   persists across events, is tracked from `onId` here.
// With that, no known difference between it and the WHATWG algorithm is
// reachable by these streams.

import { deepStrictEqual } from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { chunkings } from "../_chunks.ts";
import type { SseEvent } from "../../sse/parser.ts";
import { concat, type Decoded, parse, utf8 } from "./_decode.ts";

/** Everything eventsource-parser reports, in our shape. */
function parseWithReference(chunks: Uint8Array[]): Decoded {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  let lastEventId = "";
  const parser = createParser({
    onEvent(event) {
      events.push({
        type: event.event ?? "message",
        data: event.data,
        lastEventId,
      });
    },
    onId(id) {
      lastEventId = id;
    },
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  });
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  for (const chunk of chunks) {
    parser.feed(decoder.decode(chunk, { stream: true }));
  }
  parser.feed(decoder.decode());
  return {
    events,
    retries,
    comments,
    lastEventId,
    retry: retries.at(-1),
  };
}

/** A small seeded generator (mulberry32). */
function makeRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  "data",
  "data",
  "data",
  "event",
  "id",
  "retry",
  "",
  "Data",
  "dat",
  "data ",
  "ids",
  "foo",
];
const SEPARATORS = [":", ": ", ":  ", ":\t", ""];
const VALUE_PIECES = [
  "a",
  "b",
  "0",
  "7",
  "42",
  " ",
  ":",
  "é",
  "€",
  "😀",
  "\u0000",
  "\ufeff",
  "x y",
  '{"k":1}',
];
const LINE_ENDS = ["\n", "\n", "\r", "\r\n"];
const RAW = [[0xff], [0x80], [0xe2, 0x82], [0xc3], [0xf0, 0x9f, 0x98]];

/** A random stream of plausible and implausible lines. */
function makeStream(random: () => number): Uint8Array {
  function pick<T>(items: readonly T[]): T {
    return items[Math.floor(random() * items.length)]!;
  }
  const parts: Uint8Array[] = [];
  if (random() < 0.15) parts.push(utf8("\ufeff"));
  const lines = 2 + Math.floor(random() * 14);
  for (let i = 0; i < lines; i++) {
    const kind = random();
    if (kind < 0.25) {
      parts.push(utf8(pick(LINE_ENDS)));
      continue;
    }
    if (kind < 0.32) {
      parts.push(utf8(`:${pick(VALUE_PIECES)}`));
    } else {
      parts.push(utf8(pick(NAMES) + pick(SEPARATORS)));
      const pieces = Math.floor(random() * 4);
      for (let j = 0; j < pieces; j++) {
        parts.push(
          random() < 0.1
            ? Uint8Array.from(pick(RAW))
            : utf8(pick(VALUE_PIECES)),
        );
      }
    }
    if (random() < 0.9 || i < lines - 1) parts.push(utf8(pick(LINE_ENDS)));
  }
  return concat(parts);
}

Deno.test("createSseParser agrees with eventsource-parser on random streams", () => {
  const random = makeRandom(20260101);
  let events = 0;
  for (let round = 0; round < 500; round++) {
    const bytes = makeStream(random);
    const label = JSON.stringify(new TextDecoder().decode(bytes));
    for (const { name, chunks } of chunkings(bytes)) {
      const ours = parse(chunks);
      deepStrictEqual(ours, parseWithReference(chunks), `${label} ${name}`);
      events += ours.events.length;
    }
  }
  // The generator must actually produce events for the comparison to mean
  // something.
  deepStrictEqual(events > 20_000, true);
});
