// Copyright 2026 the serverpush authors. MIT license.
// Encoder to decoder: what SseEncoderStream writes, SseDecoderStream reads
// back as the events a browser would fire.

import { deepStrictEqual } from "node:assert/strict";
import { chunkings } from "../_chunks.ts";
import { encodeSse, type SseMessage } from "../../sse/encode.ts";
import { SseEncoderStream } from "../../sse/encoder_stream.ts";
import type { SseEvent } from "../../sse/parser.ts";
import { concat, decode, type Decoded, parse } from "./_decode.ts";

const LONG = "0123456789".repeat(300);

const MESSAGES: SseMessage[] = [
  { data: "plain" },
  { data: " one leading space" },
  { data: "  two leading spaces" },
  { data: "\tleading tab" },
  { data: "LF\nCRLF\r\nCR\rend" },
  { data: "\n\nstarts with blank lines" },
  { data: "ends with a line break\n" },
  { data: "" },
  { data: "0" },
  { data: ":not a comment" },
  { data: "data: looks like a field" },
  { id: "0", data: "id zero" },
  { id: "", data: "empty id resets" },
  { id: " spaced id ", data: "id with spaces" },
  { event: "", data: "empty event is message" },
  { event: "0", data: "event zero" },
  { event: "naïve", data: "non-ASCII type" },
  { data: "héllo wörld ¿¡ 中文 עברית" },
  { data: "emoji 😀👍🏽 and a flag 🇸🇪" },
  { data: "\ufeffBOM inside data" },
  { data: LONG },
  { data: `${LONG}\n${LONG}` },
  { comment: "a comment\r\nin two lines" },
  { retry: 0 },
  { retry: 1500, data: "with retry" },
  { comment: "", id: "last", event: "end", data: "all fields" },
];

/** The events a browser fires for `messages`, and the final state. */
function expected(messages: SseMessage[]): Decoded {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  let lastEventId = "";
  for (const message of messages) {
    if (message.comment !== undefined) {
      comments.push(...message.comment.split(/\r\n|\r|\n/));
    }
    if (message.id !== undefined) lastEventId = message.id;
    if (message.retry !== undefined) retries.push(message.retry);
    if (message.data !== undefined) {
      events.push({
        type: message.event || "message",
        data: message.data.replace(/\r\n|\r/g, "\n"),
        lastEventId,
      });
    }
  }
  return { events, comments, retries, lastEventId, retry: retries.at(-1) };
}

Deno.test("SseDecoderStream reads back what SseEncoderStream writes", async () => {
  const chunks = await Array.fromAsync(
    ReadableStream.from(MESSAGES).pipeThrough(new SseEncoderStream()),
  );
  deepStrictEqual(await decode(chunks), expected(MESSAGES));
  deepStrictEqual(
    await decode(
      ReadableStream.from(MESSAGES).pipeThrough(new SseEncoderStream()),
    ),
    expected(MESSAGES),
  );
});

Deno.test("createSseParser reads back encodeSse output cut anywhere", async (t) => {
  // Each message on its own, so that splitting at every index stays small.
  for (const [index, message] of MESSAGES.entries()) {
    await t.step(`${index}: ${JSON.stringify(message).slice(0, 50)}`, () => {
      const bytes = new TextEncoder().encode(encodeSse(message));
      for (const { name, chunks } of chunkings(bytes)) {
        deepStrictEqual(parse(chunks), expected([message]), name);
      }
    });
  }
});

Deno.test("SseDecoderStream reads back SseEncoderStream output cut anywhere", async () => {
  const short = MESSAGES.filter((message) => (message.data?.length ?? 0) < 100);
  const bytes = concat(
    await Array.fromAsync(
      ReadableStream.from(short).pipeThrough(new SseEncoderStream()),
    ),
  );
  for (const { name, chunks } of chunkings(bytes)) {
    deepStrictEqual(await decode(chunks), expected(short), name);
  }
});
