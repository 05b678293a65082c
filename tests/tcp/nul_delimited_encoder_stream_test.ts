// Copyright 2026 the serverpush authors. MIT license.

import {
  NulDelimitedDecoderStream,
  NulDelimitedEncoderStream,
  type NulDelimitedEncoderStreamOptions,
} from "@serverpush/serverpush/tcp";
import { deepStrictEqual, rejects, throws } from "node:assert/strict";
import { chunkings } from "../_chunks.ts";

async function encode(
  messages: string[],
  options?: NulDelimitedEncoderStreamOptions,
): Promise<Uint8Array[]> {
  return await Array.fromAsync(
    ReadableStream.from(messages).pipeThrough(
      new NulDelimitedEncoderStream(options),
    ),
  );
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

Deno.test("NulDelimitedEncoderStream writes UTF-8 followed by one NUL per message", async () => {
  deepStrictEqual(await encode(["<a/>", "é", "€"]), [
    bytes(0x3c, 0x61, 0x2f, 0x3e, 0x00),
    bytes(0xc3, 0xa9, 0x00),
    bytes(0xe2, 0x82, 0xac, 0x00),
  ]);
});

Deno.test("NulDelimitedEncoderStream writes one LF per message in line mode", async () => {
  deepStrictEqual(await encode(["a", "b c"], { mode: "line" }), [
    bytes(0x61, 0x0a),
    bytes(0x62, 0x20, 0x63, 0x0a),
  ]);
});

Deno.test("NulDelimitedEncoderStream writes an empty message as a lone delimiter", async () => {
  deepStrictEqual(await encode([""]), [bytes(0x00)]);
  deepStrictEqual(await encode([""], { mode: "line" }), [bytes(0x0a)]);
});

Deno.test("NulDelimitedEncoderStream encodes a lone surrogate as U+FFFD", async () => {
  deepStrictEqual(await encode(["\ud800"]), [bytes(0xef, 0xbf, 0xbd, 0x00)]);
});

Deno.test("NulDelimitedEncoderStream rejects a message that contains its delimiter", async (t) => {
  const cases: [string, string, NulDelimitedEncoderStreamOptions][] = [
    ["NUL in nul mode", "a\0b", {}],
    ["LF in line mode", "a\nb", { mode: "line" }],
    ["CR in line mode", "a\rb", { mode: "line" }],
    ["CRLF in line mode", "a\r\n", { mode: "line" }],
  ];
  for (const [name, message, options] of cases) {
    await t.step(name, async () => {
      await rejects(encode([message], options), TypeError);
    });
  }
});

Deno.test("NulDelimitedEncoderStream lets the other mode's delimiter through", async () => {
  deepStrictEqual(await encode(["a\nb"]), [bytes(0x61, 0x0a, 0x62, 0x00)]);
  deepStrictEqual(await encode(["a\0b"], { mode: "line" }), [
    bytes(0x61, 0x00, 0x62, 0x0a),
  ]);
});

Deno.test("NulDelimitedEncoderStream rejects a non-string chunk with a TypeError", async () => {
  const stream = ReadableStream.from([42 as unknown as string]).pipeThrough(
    new NulDelimitedEncoderStream(),
  );
  await rejects(Array.fromAsync(stream), TypeError);
});

Deno.test("NulDelimitedEncoderStream counts maxMessageBytes in UTF-8 bytes without the delimiter", async () => {
  // "é€" is 2 + 3 = 5 bytes.
  deepStrictEqual(await encode(["é€"], { maxMessageBytes: 5 }), [
    bytes(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x00),
  ]);
  await rejects(
    encode(["é€"], { maxMessageBytes: 4 }),
    (error: unknown) =>
      error instanceof RangeError &&
      error.message ===
        "Cannot encode message: it is 5 bytes, which exceeds maxMessageBytes of 4",
  );
});

Deno.test("NulDelimitedEncoderStream rejects invalid options", () => {
  throws(
    () => new NulDelimitedEncoderStream({ mode: "crlf" as "line" }),
    TypeError,
  );
  throws(
    () => new NulDelimitedEncoderStream({ maxMessageBytes: 0 }),
    RangeError,
  );
  throws(
    () => new NulDelimitedEncoderStream({ maxMessageBytes: 1.5 }),
    RangeError,
  );
});

Deno.test("NulDelimitedEncoderStream round-trips through NulDelimitedDecoderStream however the bytes are cut", async (t) => {
  const messages = ["", "plain", "<msg a='1'/>", "é€𝄞", " spaces ", "x"];
  for (const mode of ["nul", "line"] as const) {
    const encoded = await encode(messages, { mode });
    const all = new Uint8Array(encoded.reduce((n, b) => n + b.length, 0));
    let offset = 0;
    for (const chunk of encoded) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    await t.step(mode, async () => {
      for (const { chunks } of chunkings(all)) {
        const decoded = await Array.fromAsync(
          ReadableStream.from(chunks).pipeThrough(
            new NulDelimitedDecoderStream({ mode }),
          ),
        );
        deepStrictEqual(decoded, messages);
      }
    });
  }
});
