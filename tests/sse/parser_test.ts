// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { chunkings } from "../_chunks.ts";
import { createSseParser, type SseEvent } from "../../sse/parser.ts";
import vectors from "../testdata/sse_vectors.json" with { type: "json" };
import {
  assertParsesEveryWay,
  concat,
  hex,
  message,
  only,
  parse,
  textChunkings,
  utf8,
} from "./_decode.ts";

interface Vector {
  name: string;
  input: ({ text: string } | { hex: string })[];
  events: SseEvent[];
  lastEventId?: string;
  retry?: number;
  retries?: number[];
  comments?: string[];
}

Deno.test("createSseParser passes the spec vectors", async (t) => {
  for (const vector of vectors as Vector[]) {
    await t.step(vector.name, () => {
      const expected = only(vector.events, {
        lastEventId: vector.lastEventId ?? "",
        retry: vector.retry,
        retries: vector.retries ?? [],
        comments: vector.comments ?? [],
      });
      const given = vector.input.map((part) =>
        "text" in part ? part.text : hex(part.hex)
      );
      deepStrictEqual(parse(given), expected, "chunks as given");
      const bytes = concat(
        vector.input.map((part) =>
          "text" in part ? utf8(part.text) : hex(part.hex)
        ),
      );
      for (const { name, chunks } of chunkings(bytes)) {
        deepStrictEqual(parse(chunks), expected, name);
      }
    });
  }
});

Deno.test("createSseParser strips one leading BOM and keeps a second", () => {
  assertParsesEveryWay(
    concat([hex("ef bb bf"), utf8("data: a\n\n")]),
    only([message("a")]),
  );
  // The second BOM becomes part of the first field name, "\uFEFFdata".
  assertParsesEveryWay(
    concat([hex("ef bb bf ef bb bf"), utf8("data: a\n\ndata: b\n\n")]),
    only([message("b")]),
  );
  assertParsesEveryWay(
    concat([utf8("data: a\n\n"), hex("ef bb bf"), utf8("data: b\n\n")]),
    only([message("a")]),
  );
});

Deno.test("createSseParser accepts string chunks, a leading BOM stripped once", () => {
  for (const { name, chunks } of textChunkings("\ufeffdata: é😀\r\n\r\n")) {
    deepStrictEqual(parse(chunks), only([message("é😀")]), name);
  }
  for (
    const { name, chunks } of textChunkings(
      "\ufeff\ufeffdata: a\n\ndata: b\n\n",
    )
  ) {
    deepStrictEqual(parse(chunks), only([message("b")]), name);
  }
});

Deno.test("createSseParser joins a CR and LF that arrive in separate chunks", () => {
  deepStrictEqual(
    parse(["data: a\r", "\n", "data: b\r", "\n\r", "\n"]),
    only([message("a\nb")]),
  );
  assertParsesEveryWay("data: a\r\ndata: b\r\n\r\n", only([message("a\nb")]));
});

Deno.test("createSseParser ends lines at a lone CR", () => {
  assertParsesEveryWay(
    "data: a\rdata: b\r\rdata: c\r\r",
    only([message("a\nb"), message("c")]),
  );
});

Deno.test("createSseParser decodes a multi-byte sequence split across chunks", () => {
  const text = "data: é € 😀 ü\n\n";
  assertParsesEveryWay(text, only([message("é € 😀 ü")]));
});

Deno.test("createSseParser replaces invalid UTF-8 with U+FFFD", () => {
  assertParsesEveryWay(
    hex("64 61 74 61 3a 20 61 ff 62 c3 28 e2 82 0a 0a"),
    only([message("a\ufffdb\ufffd(\ufffd")]),
  );
});

Deno.test("createSseParser decodes bytes as a streaming TextDecoder does", () => {
  // Random bytes, biased towards UTF-8 lead and continuation bytes, inside
  // one data line: the parser's chunk-by-chunk decoding must match one
  // streaming TextDecoder for every cut.
  let seed = 7;
  function random(): number {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  }
  const interesting = [
    0x61,
    0x80,
    0x9f,
    0xa0,
    0xbf,
    0xc2,
    0xdf,
    0xe0,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xff,
  ];
  for (let round = 0; round < 40; round++) {
    const body = Uint8Array.from(
      { length: 12 },
      () => interesting[Math.floor(random() * interesting.length)]!,
    );
    const bytes = concat([utf8("data: "), body, utf8("\n\n")]);
    const expected = new TextDecoder().decode(body);
    for (const { name, chunks } of chunkings(bytes)) {
      deepStrictEqual(
        parse(chunks).events,
        [message(expected)],
        `${[...body].map((b) => b.toString(16))} ${name}`,
      );
    }
  }
});

Deno.test("createSseParser ignores an id containing NUL", () => {
  assertParsesEveryWay(
    "id: 1\n\nid: 2\u0000\ndata: a\n\n",
    only([message("a", "1")], { lastEventId: "1" }),
  );
});

Deno.test("createSseParser keeps the last event id across events", () => {
  assertParsesEveryWay(
    "id: 5\ndata: a\n\ndata: b\n\nevent: x\ndata: c\n\n",
    only([message("a", "5"), message("b", "5"), {
      type: "x",
      data: "c",
      lastEventId: "5",
    }], { lastEventId: "5" }),
  );
});

Deno.test("createSseParser commits the last event id at a blank line without an event", () => {
  assertParsesEveryWay("id: 3\n\n", only([], { lastEventId: "3" }));
  assertParsesEveryWay(
    "id: 3\n\nid: 4\n",
    only([], { lastEventId: "3" }),
  );
});

Deno.test("createSseParser applies retry only when it is all ASCII digits", () => {
  assertParsesEveryWay(
    "retry: 1a\nretry:  5\nretry: 5 \nretry: ５\nretry:\nretry: 250\n",
    only([], { retry: 250, retries: [250] }),
  );
  assertParsesEveryWay("retry: 1a\n", only([]));
});

Deno.test("createSseParser treats a line without a colon as a field with an empty value", () => {
  assertParsesEveryWay(
    "id: 1\nevent: x\nid\nevent\ndata\n\n",
    only([message("")]),
  );
});

Deno.test("createSseParser removes one leading space but not a tab after the colon", () => {
  assertParsesEveryWay(
    "data: a\ndata:  b\ndata:\tc\ndata:d\n\n",
    only([message("a\n b\n\tc\nd")]),
  );
});

Deno.test("createSseParser matches field names case-sensitively", () => {
  assertParsesEveryWay(
    "DATA: a\nData: b\nEVENT: c\nID: d\nRetry: 5\ndata: e\n\n",
    only([message("e")]),
  );
});

Deno.test("createSseParser discards an unterminated block at the end", () => {
  assertParsesEveryWay(
    "data: a\n\nid: 9\nevent: x\ndata: b\n",
    only([message("a")]),
  );
  assertParsesEveryWay("data: a\n\ndata: b", only([message("a")]));
});

Deno.test("createSseParser throws a RangeError past maxEventBytes", () => {
  const big = `data: ${"x".repeat(40)}\n\n`;
  for (const { name, chunks } of chunkings(utf8(big))) {
    throws(
      () => parse(chunks, { maxEventBytes: 20 }),
      (error) =>
        error instanceof RangeError &&
        /^Cannot decode event: buffered \d+ bytes, which exceeds maxEventBytes of 20$/
          .test(error.message),
      name,
    );
  }
  // Whole, the event is its 40-byte data line plus one LF.
  throws(
    () => parse([big], { maxEventBytes: 20 }),
    new RangeError(
      "Cannot decode event: buffered 41 bytes, which exceeds maxEventBytes of 20",
    ),
  );
});

Deno.test("createSseParser throws a RangeError past maxEventBytes across data lines", () => {
  const input = "data: 12345678\ndata: 12345678\ndata: 12345678\n\n";
  for (const { name, chunks } of chunkings(utf8(input))) {
    throws(() => parse(chunks, { maxEventBytes: 20 }), RangeError, name);
  }
});

Deno.test("createSseParser accepts events within maxEventBytes", () => {
  // Each line, field name included, and the data buffer stay within 20.
  assertParsesEveryWay(
    "data: 0123456789abcd\n\ndata: 0123456789abcd\n\n",
    only([message("0123456789abcd"), message("0123456789abcd")]),
    { maxEventBytes: 20 },
  );
});

Deno.test("createSseParser throws a RangeError when many small chunks build a long line", () => {
  const parser = createSseParser({ onEvent() {} }, { maxEventBytes: 1000 });
  parser.feed("data: ");
  const x = utf8("x");
  throws(
    () => {
      for (let i = 0; i < 2000; i++) parser.feed(x);
    },
    new RangeError(
      "Cannot decode event: buffered 1001 bytes, which exceeds maxEventBytes of 1000",
    ),
  );
});

Deno.test("createSseParser counts maxEventBytes in UTF-8 bytes", () => {
  // 8 code units but 16 bytes of data, plus one LF.
  throws(
    () => parse(["data: éééééééé\n\n"], { maxEventBytes: 12 }),
    new RangeError(
      "Cannot decode event: buffered 17 bytes, which exceeds maxEventBytes of 12",
    ),
  );
  assertParsesEveryWay(
    "data: éé\n\n",
    only([message("éé")]),
    { maxEventBytes: 12 },
  );
});

Deno.test("createSseParser throws the same error after exceeding maxEventBytes", () => {
  const parser = createSseParser({ onEvent() {} }, { maxEventBytes: 4 });
  let first: unknown;
  try {
    parser.feed("data: 12345\n\n");
  } catch (error) {
    first = error;
  }
  strictEqual(first instanceof RangeError, true);
  throws(() => parser.feed("data: a\n\n"), (error) => error === first);
  throws(() => parser.end(), (error) => error === first);
});

Deno.test("createSseParser rejects a maxEventBytes that is not a non-negative integer", () => {
  for (const bad of [-1, 1.5, NaN, -Infinity]) {
    throws(
      () => createSseParser({ onEvent() {} }, { maxEventBytes: bad }),
      RangeError,
      String(bad),
    );
  }
  deepStrictEqual(
    parse(["data: a\n\n"], { maxEventBytes: Infinity }),
    only([message("a")]),
  );
});

// Whole, one byte and one code unit at a time: splitting a 1 MiB input at
// every index would take a million runs.
Deno.test("createSseParser parses a 1 MiB line fed one byte at a time", () => {
  const value = "abcdefghijklmnop".repeat(65536);
  const bytes = utf8(`data: ${value}\n\n`);
  const events: SseEvent[] = [];
  const parser = createSseParser({ onEvent: (event) => events.push(event) });
  for (let i = 0; i < bytes.length; i++) parser.feed(bytes.subarray(i, i + 1));
  parser.end();
  strictEqual(events.length, 1);
  strictEqual(events[0]!.data.length, value.length);
  strictEqual(events[0]!.data, value);
  // The same line whole, and as 1-code-unit strings.
  deepStrictEqual(parse([bytes]).events, events);
  const strings = createSseParser({ onEvent: (event) => events.push(event) });
  const text = `data: ${value}\n\n`;
  for (let i = 0; i < text.length; i++) strings.feed(text[i]!);
  strictEqual(events.length, 2);
  strictEqual(events[1]!.data, value);
});

Deno.test("createSseParser calls onRetry and onComment", () => {
  assertParsesEveryWay(
    ": hi\nretry: 10\n:\n:  two\nretry: 20\ndata: a\n\n",
    only([message("a")], {
      comments: ["hi", "", " two"],
      retries: [10, 20],
      retry: 20,
    }),
  );
});

Deno.test("createSseParser works without onRetry and onComment", () => {
  const events: SseEvent[] = [];
  const parser = createSseParser({ onEvent: (event) => events.push(event) });
  parser.feed(": hi\nretry: 10\ndata: a\n\n");
  deepStrictEqual(events, [message("a")]);
  strictEqual(parser.retry, 10);
});

Deno.test("createSseParser starts from the lastEventId option", () => {
  assertParsesEveryWay(
    "data: a\n\nid: 8\ndata: b\n\n",
    only([message("a", "7"), message("b", "8")], { lastEventId: "8" }),
    { lastEventId: "7" },
  );
  assertParsesEveryWay("", only([], { lastEventId: "7" }), {
    lastEventId: "7",
  });
});

Deno.test("createSseParser getters show the state after each feed", () => {
  const parser = createSseParser({ onEvent() {} });
  strictEqual(parser.lastEventId, "");
  strictEqual(parser.retry, undefined);
  parser.feed("id: 1\nretry: 5\n");
  strictEqual(parser.lastEventId, "");
  strictEqual(parser.retry, 5);
  parser.feed("\n");
  strictEqual(parser.lastEventId, "1");
});

Deno.test("createSseParser end() starts a new stream that keeps lastEventId and retry", () => {
  const events: SseEvent[] = [];
  const parser = createSseParser({ onEvent: (event) => events.push(event) });
  parser.feed("id: 1\nretry: 9\ndata: a\n\nid: 2\ndata: lost");
  parser.end();
  parser.feed(utf8("\ufeffdata: b\n\n"));
  parser.end();
  deepStrictEqual(events, [message("a", "1"), message("b", "1")]);
  strictEqual(parser.lastEventId, "1");
  strictEqual(parser.retry, 9);
});

Deno.test("createSseParser ends an open UTF-8 sequence when a string chunk follows bytes", () => {
  deepStrictEqual(
    parse([utf8("data: a"), hex("e2 82"), "b\n\n"]),
    only([message("a\ufffdb")]),
  );
});

Deno.test("createSseParser feed rethrows an error thrown by onEvent", () => {
  const parser = createSseParser({
    onEvent(event) {
      throw new Error(`no ${event.data}`);
    },
  });
  throws(() => parser.feed("data: a\n\n"), new Error("no a"));
});
