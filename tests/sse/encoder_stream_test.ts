// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { encodeSse, type SseMessage } from "../../sse/encode.ts";
import { SseEncoderStream } from "../../sse/encoder_stream.ts";

const MESSAGES: SseMessage[] = [
  { data: "hello" },
  { id: "0", event: "", data: "" },
  { comment: "keep-alive" },
  { retry: 0 },
  { id: "", data: "  spaced\r\nlines\rhere\n" },
  { event: "emoji", data: "é 😀" },
];

function text(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true }))
    .join("") + decoder.decode();
}

/** Lets every pending promise job run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("SseEncoderStream writes the same bytes as encodeSse", async () => {
  const chunks = await Array.fromAsync(
    ReadableStream.from(MESSAGES).pipeThrough(new SseEncoderStream()),
  );
  strictEqual(text(chunks), MESSAGES.map(encodeSse).join(""));
  for (const chunk of chunks) strictEqual(chunk instanceof Uint8Array, true);
});

Deno.test("SseEncoderStream makes a Response body", async () => {
  const body = ReadableStream.from(MESSAGES).pipeThrough(
    new SseEncoderStream(),
  );
  strictEqual(
    await new Response(body).text(),
    MESSAGES.map(encodeSse).join(""),
  );
});

Deno.test("SseEncoderStream joins messages written while the reader is busy into one chunk", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  for (const message of MESSAGES) await writer.write(message);
  const reader = stream.readable.getReader();
  const { value } = await reader.read();
  strictEqual(text([value!]), MESSAGES.map(encodeSse).join(""));
  await writer.write({ data: "later" });
  await writer.write({ data: "again" });
  await writer.close();
  const next = await reader.read();
  strictEqual(text([next.value!]), "data: later\n\ndata: again\n\n");
  deepStrictEqual(await reader.read(), { done: true, value: undefined });
});

Deno.test("SseEncoderStream gives a waiting reader each message as it is written", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const first = reader.read();
  await writer.write({ data: "a" });
  strictEqual(text([(await first).value!]), "data: a\n\n");
  const second = reader.read();
  await writer.write({ id: "2", data: "b" });
  strictEqual(text([(await second).value!]), "id: 2\ndata: b\n\n");
  await writer.close();
  deepStrictEqual(await reader.read(), { done: true, value: undefined });
});

Deno.test("SseEncoderStream delivers pending text when the writable side closes", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  await writer.write({ data: "a" });
  await writer.close();
  const chunks = await Array.fromAsync(stream.readable);
  strictEqual(text(chunks), "data: a\n\n");
  strictEqual(chunks.length, 1);
});

Deno.test("SseEncoderStream closes with no chunk when nothing was written", async () => {
  const stream = new SseEncoderStream();
  await stream.writable.close();
  deepStrictEqual(await Array.fromAsync(stream.readable), []);
});

Deno.test("SseEncoderStream holds writes back while much text waits for the reader", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  await writer.write({ data: "x".repeat(60_000) });
  let written = false;
  const write = writer.write({ data: "y".repeat(10_000) }).then(() => {
    written = true;
  });
  await settle();
  strictEqual(written, false);
  const reader = stream.readable.getReader();
  const { value } = await reader.read();
  await write;
  strictEqual(written, true);
  strictEqual(value!.length, 60_000 + 10_000 + 2 * "data: \n\n".length);
  await writer.close();
  deepStrictEqual(await reader.read(), { done: true, value: undefined });
});

Deno.test("SseEncoderStream errors both sides when a message cannot be encoded", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const read = reader.read();
  await rejects(writer.write({ id: "a\nb" }), TypeError);
  await rejects(read, TypeError);
  await rejects(writer.closed, TypeError);
  await rejects(writer.write({ data: "a" }), TypeError);
});

Deno.test("SseEncoderStream errors the readable side when a retry is invalid", async () => {
  await rejects(
    Array.fromAsync(
      ReadableStream.from([{ data: "a" }, { retry: -1 }]).pipeThrough(
        new SseEncoderStream(),
      ),
    ),
    new RangeError("Cannot encode SSE retry: -1 is not a non-negative integer"),
  );
});

Deno.test("SseEncoderStream errors the writable side when the reader cancels", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  await writer.write({ data: "a" });
  await stream.readable.cancel("gone");
  await rejects(writer.write({ data: "b" }), (error) => error === "gone");
  await rejects(writer.closed, (error) => error === "gone");
});

Deno.test("SseEncoderStream releases a held-back write when the reader cancels", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  const write = writer.write({ data: "x".repeat(70_000) });
  await settle();
  await stream.readable.cancel("gone");
  await rejects(write, (error) => error === "gone");
});

Deno.test("SseEncoderStream errors the readable side when the writer aborts", async () => {
  const stream = new SseEncoderStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const read = reader.read();
  await writer.abort("stop");
  await rejects(read, (error) => error === "stop");
});

Deno.test("SseEncoderStream is a TransformStream", () => {
  const stream = new SseEncoderStream();
  strictEqual(stream instanceof TransformStream, true);
  strictEqual(stream.readable instanceof ReadableStream, true);
  strictEqual(stream.writable instanceof WritableStream, true);
});
