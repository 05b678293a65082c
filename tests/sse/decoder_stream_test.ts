// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { chunkings } from "../_chunks.ts";
import { SseDecoderStream } from "../../sse/decoder_stream.ts";
import type { SseEvent } from "../../sse/parser.ts";
import vectors from "../testdata/sse_vectors.json" with { type: "json" };
import {
  assertDecodesEveryWay,
  concat,
  decode,
  hex,
  message,
  only,
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

Deno.test("SseDecoderStream passes the spec vectors", async (t) => {
  for (const vector of vectors as Vector[]) {
    await t.step(vector.name, async () => {
      const expected = only(vector.events, {
        lastEventId: vector.lastEventId ?? "",
        retry: vector.retry,
        retries: vector.retries ?? [],
        comments: vector.comments ?? [],
      });
      const given = vector.input.map((part) =>
        "text" in part ? part.text : hex(part.hex)
      );
      deepStrictEqual(await decode(given), expected, "chunks as given");
      const bytes = concat(
        vector.input.map((part) =>
          "text" in part ? utf8(part.text) : hex(part.hex)
        ),
      );
      for (const { name, chunks } of chunkings(bytes)) {
        deepStrictEqual(await decode(chunks), expected, name);
      }
    });
  }
});

Deno.test("SseDecoderStream decodes a response body", async () => {
  const input = utf8("id: 1\nevent: a\ndata: x\ndata: y\n\n");
  for (const { name, chunks } of chunkings(input)) {
    const body = new Response(ReadableStream.from(chunks)).body!;
    deepStrictEqual(
      await Array.fromAsync(body.pipeThrough(new SseDecoderStream())),
      [{ type: "a", data: "x\ny", lastEventId: "1" }],
      name,
    );
  }
});

Deno.test("SseDecoderStream strips one leading BOM and keeps a second", async () => {
  await assertDecodesEveryWay(
    concat([hex("ef bb bf ef bb bf"), utf8("data: a\n\ndata: b\n\n")]),
    only([message("b")]),
  );
});

Deno.test("SseDecoderStream joins a CR and LF that arrive in separate chunks", async () => {
  deepStrictEqual(
    await decode(["data: a\r", "\ndata: b\r", "\n\r", "\n"]),
    only([message("a\nb")]),
  );
  await assertDecodesEveryWay(
    "data: a\r\n\r\ndata: b\r\r",
    only([message("a"), message("b")]),
  );
});

Deno.test("SseDecoderStream decodes multi-byte and invalid UTF-8 split across chunks", async () => {
  await assertDecodesEveryWay(
    concat([utf8("data: é😀"), hex("ff e2 82"), utf8("\n\n")]),
    only([message("é😀\ufffd\ufffd")]),
  );
});

Deno.test("SseDecoderStream tracks the last event id and retry", async () => {
  await assertDecodesEveryWay(
    "retry: 1a\nid: 1\ndata: a\n\nid: 2\u0000\ndata: b\n\nid: 3\n\nretry: 99\n",
    only([message("a", "1"), message("b", "1")], {
      lastEventId: "3",
      retry: 99,
      retries: [99],
    }),
  );
});

Deno.test("SseDecoderStream starts from the lastEventId option", async () => {
  await assertDecodesEveryWay(
    "data: a\n\nid\ndata: b\n\n",
    only([message("a", "x"), message("b")]),
    { lastEventId: "x" },
  );
});

Deno.test("SseDecoderStream getters show the state before the stream ends", async () => {
  const input = utf8("retry: 300\nid: 5\ndata: a\n\nid: 6\n");
  for (const { name, chunks } of chunkings(input)) {
    const stream = new SseDecoderStream({ lastEventId: "0" });
    strictEqual(stream.lastEventId, "0", name);
    strictEqual(stream.retry, undefined, name);
    const events = Array.fromAsync(stream.readable);
    const writer = stream.writable.getWriter();
    for (const chunk of chunks) await writer.write(chunk);
    strictEqual(stream.lastEventId, "5", name);
    strictEqual(stream.retry, 300, name);
    await writer.close();
    deepStrictEqual(await events, [message("a", "5")], name);
    strictEqual(stream.lastEventId, "5", name);
  }
});

Deno.test("SseDecoderStream calls onRetry and onComment", async () => {
  await assertDecodesEveryWay(
    ":ok\nretry: 5\n: bye\n",
    only([], { comments: ["ok", "bye"], retries: [5], retry: 5 }),
  );
});

Deno.test("SseDecoderStream discards an unterminated block at the end", async () => {
  await assertDecodesEveryWay(
    "data: a\n\nid: 2\ndata: b\n",
    only([message("a")]),
  );
});

Deno.test("SseDecoderStream accepts string chunks", async () => {
  for (
    const { name, chunks } of textChunkings("\ufeffdata: é\r\n\r\ndata: b\n\n")
  ) {
    deepStrictEqual(
      await decode(chunks),
      only([message("é"), message("b")]),
      name,
    );
  }
});

Deno.test("SseDecoderStream errors the stream past maxEventBytes", async () => {
  const input = utf8(`data: ok\n\ndata: ${"x".repeat(100)}\n\n`);
  for (const { name, chunks } of chunkings(input)) {
    const events: SseEvent[] = [];
    const readable = ReadableStream.from(chunks).pipeThrough(
      new SseDecoderStream({ maxEventBytes: 50 }),
    );
    await rejects(
      async () => {
        for await (const event of readable) events.push(event);
      },
      (error) =>
        error instanceof RangeError &&
        /^Cannot decode event: buffered \d+ bytes, which exceeds maxEventBytes of 50$/
          .test(error.message),
      name,
    );
    deepStrictEqual(events, [message("ok")], name);
  }
});

Deno.test("SseDecoderStream errors the stream when many small chunks build a long line", async () => {
  const chunks = ["data: ", ...Array.from({ length: 100 }, () => "xxxxxxxxxx")];
  await rejects(
    Array.fromAsync(
      ReadableStream.from(chunks).pipeThrough(
        new SseDecoderStream({ maxEventBytes: 500 }),
      ),
    ),
    new RangeError(
      "Cannot decode event: buffered 506 bytes, which exceeds maxEventBytes of 500",
    ),
  );
});

Deno.test("SseDecoderStream errors the stream when a callback throws", async () => {
  for (const { name, chunks } of chunkings(utf8("data: a\n\n: x\n"))) {
    const stream = new SseDecoderStream({
      onComment(text) {
        throw new Error(`no ${text}`);
      },
    });
    const events: SseEvent[] = [];
    await rejects(
      async () => {
        for await (
          const event of ReadableStream.from(chunks).pipeThrough(stream)
        ) {
          events.push(event);
        }
      },
      new Error("no x"),
      name,
    );
    deepStrictEqual(events, [message("a")], name);
  }
});

Deno.test("SseDecoderStream rejects a bad maxEventBytes", () => {
  try {
    new SseDecoderStream({ maxEventBytes: -1 });
    throw new Error("no error");
  } catch (error) {
    strictEqual(error instanceof RangeError, true);
  }
});

// Whole and one byte at a time only: splitting a 1 MiB input at every index
// would take a million runs.
Deno.test("SseDecoderStream parses a 1 MiB line fed one byte at a time", async () => {
  const value = "0123456789abcdef".repeat(65536);
  const bytes = utf8(`data: ${value}\n\n`);
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i++) {
        controller.enqueue(bytes.subarray(i, i + 1));
      }
      controller.close();
    },
  });
  const events = await Array.fromAsync(
    readable.pipeThrough(new SseDecoderStream()),
  );
  strictEqual(events.length, 1);
  strictEqual(events[0]!.data, value);
  deepStrictEqual(await decode([bytes]), only(events));
});
