// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { encode } from "eventsource-encoder";
import {
  chunkBytes,
  corpusMessages,
  eventsPerChunk,
  makeSseCorpus,
} from "../../bench/_sse_corpus.ts";
import { encodeSse } from "../../sse/encode.ts";
import { createSseParser, type SseEvent } from "../../sse/parser.ts";

const corpus = makeSseCorpus();

Deno.test("makeSseCorpus is deterministic and at least 16 MiB", () => {
  strictEqual(corpus.bytes.length >= 16 * 1024 * 1024, true);
  const again = makeSseCorpus();
  strictEqual(again.bytes.length, corpus.bytes.length);
  deepStrictEqual(again.bytes, corpus.bytes);
  const other = makeSseCorpus({ seed: 2, minBytes: 10_000 });
  deepStrictEqual(
    other.bytes,
    makeSseCorpus({ seed: 2, minBytes: 10_000 }).bytes,
  );
  strictEqual(
    corpus.bytes.subarray(0, 10_000).every((byte, i) =>
      byte === other.bytes[i]
    ),
    false,
  );
});

Deno.test("makeSseCorpus holds every kind of block", () => {
  const { small, multiLine, long, comment } = corpus.blocks;
  strictEqual(small > 50_000, true);
  strictEqual(multiLine > 5_000, true);
  strictEqual(comment > 3_000, true);
  strictEqual(long > 100, true);
  strictEqual(corpus.events.length, small + multiLine + long);
  strictEqual(corpus.eventEnds.length, corpus.events.length);
  strictEqual(
    corpus.events.some((event) => /\P{ASCII}/u.test(event.data)),
    true,
  );
  strictEqual(corpus.events.some((event) => event.data.length > 16_384), true);
  strictEqual(corpus.events.some((event) => event.data.includes("\n")), true);
});

Deno.test("makeSseCorpus decodes to its events with createSseParser in 64 KiB and 1 KiB chunks", () => {
  for (const size of [65_536, 1024]) {
    const events: SseEvent[] = [];
    const parser = createSseParser({ onEvent: (event) => events.push(event) });
    for (const chunk of chunkBytes(corpus.bytes, size)) parser.feed(chunk);
    parser.end();
    strictEqual(events.length, corpus.events.length, `${size}`);
    deepStrictEqual(events, corpus.events, `${size}`);
  }
});

Deno.test("makeSseCorpus decodes to its events with eventsource-parser", () => {
  const events: SseEvent[] = [];
  let lastEventId = "";
  const parser = createParser({
    onId: (id) => (lastEventId = id),
    onEvent: (event) =>
      events.push({
        type: event.event ?? "message",
        data: event.data,
        lastEventId,
      }),
  });
  const decoder = new TextDecoder();
  for (const chunk of chunkBytes(corpus.bytes, 65_536)) {
    parser.feed(decoder.decode(chunk, { stream: true }));
  }
  deepStrictEqual(events, corpus.events);
});

Deno.test("eventsPerChunk counts the events each chunk completes", () => {
  for (const size of [65_536, 1024]) {
    const counts = eventsPerChunk(corpus, size);
    strictEqual(counts.length, chunkBytes(corpus.bytes, size).length);
    strictEqual(counts.reduce((a, b) => a + b, 0), corpus.events.length);
    let seen = 0;
    const parser = createSseParser({ onEvent: () => seen++ });
    chunkBytes(corpus.bytes, size).forEach((chunk, i) => {
      const before = seen;
      parser.feed(chunk);
      strictEqual(seen - before, counts[i], `${size} chunk ${i}`);
    });
  }
});

Deno.test("corpusMessages encode the same with encodeSse and eventsource-encoder", () => {
  const messages = corpusMessages(corpus);
  strictEqual(messages.length, corpus.events.length);
  for (const message of messages) {
    strictEqual(encodeSse(message), encode(message as { data: string }));
  }
});
