// Copyright 2026 the serverpush authors. MIT license.

import {
  NulDelimitedDecoderStream,
  type NulDelimitedDecoderStreamOptions,
} from "@serverpush/serverpush/tcp";
import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { chunkings } from "../_chunks.ts";

const encoder = new TextEncoder();

async function decode(
  chunks: Uint8Array[],
  options?: NulDelimitedDecoderStreamOptions,
): Promise<string[]> {
  return await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(
      new NulDelimitedDecoderStream(options),
    ),
  );
}

/** Decodes `input` cut every way; checks all give `expected`. */
async function decodesEveryWay(
  t: Deno.TestContext,
  input: Uint8Array,
  expected: string[],
  options?: NulDelimitedDecoderStreamOptions,
): Promise<void> {
  for (const { name, chunks } of chunkings(input)) {
    await t.step(name, async () => {
      deepStrictEqual(await decode(chunks, options), expected);
    });
  }
}

Deno.test("NulDelimitedDecoderStream splits NUL-delimited messages cut anywhere, multi-byte characters included", async (t) => {
  const input = encoder.encode("<a/>\0é€\0\0𝄞 x\0");
  await decodesEveryWay(t, input, ["<a/>", "é€", "", "𝄞 x"]);
});

Deno.test("NulDelimitedDecoderStream splits LF and CRLF lines cut anywhere in line mode", async (t) => {
  const input = encoder.encode("subscribe a\r\nb é\n\r\n\nlast\r\n");
  await decodesEveryWay(t, input, ["subscribe a", "b é", "", "", "last"], {
    mode: "line",
  });
});

Deno.test("NulDelimitedDecoderStream drops only one CR, and only right before LF", async () => {
  deepStrictEqual(
    await decode([encoder.encode("a\rb\nc\r\r\n\r\n")], { mode: "line" }),
    ["a\rb", "c\r", ""],
  );
});

Deno.test("NulDelimitedDecoderStream keeps LF and CR inside messages in nul mode", async () => {
  deepStrictEqual(await decode([encoder.encode("a\r\nb\0")]), ["a\r\nb"]);
});

Deno.test("NulDelimitedDecoderStream keeps NUL inside messages in line mode", async () => {
  deepStrictEqual(await decode([encoder.encode("a\0b\n")], { mode: "line" }), [
    "a\0b",
  ]);
});

Deno.test("NulDelimitedDecoderStream errors with a SyntaxError on bytes after the last delimiter", async (t) => {
  for (const mode of ["nul", "line"] as const) {
    await t.step(`${mode} mode`, async () => {
      const messages: string[] = [];
      const stream = ReadableStream.from([encoder.encode("a\0b\nc")])
        .pipeThrough(new NulDelimitedDecoderStream({ mode }));
      await rejects(
        (async () => {
          for await (const message of stream) messages.push(message);
        })(),
        (error: unknown) =>
          error instanceof SyntaxError &&
          error.message ===
            `Cannot decode message: the input ended ${
              mode === "nul" ? 3 : 1
            } bytes into a message, before its delimiter`,
      );
      deepStrictEqual(messages, mode === "nul" ? ["a"] : ["a\0b"]);
    });
  }
});

Deno.test("NulDelimitedDecoderStream ends cleanly when the input ends with a delimiter", async () => {
  deepStrictEqual(await decode([encoder.encode("a\0")]), ["a"]);
  deepStrictEqual(await decode([encoder.encode("a\r\n")], { mode: "line" }), [
    "a",
  ]);
  deepStrictEqual(await decode([]), []);
});

Deno.test("NulDelimitedDecoderStream replaces invalid UTF-8 with U+FFFD by default", async (t) => {
  const input = new Uint8Array([0x61, 0xff, 0x00, 0xe2, 0x82, 0x00]);
  await decodesEveryWay(t, input, ["a\ufffd", "\ufffd"]);
});

Deno.test("NulDelimitedDecoderStream errors with a SyntaxError on invalid UTF-8 when fatal", async () => {
  await rejects(
    decode([new Uint8Array([0x61, 0x00, 0xc3, 0x28, 0x00])], { fatal: true }),
    SyntaxError,
  );
});

Deno.test("NulDelimitedDecoderStream keeps a byte order mark as U+FEFF", async () => {
  deepStrictEqual(
    await decode([new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x00])]),
    ["\ufeffa"],
  );
});

Deno.test("NulDelimitedDecoderStream accepts a message of exactly maxMessageBytes cut anywhere", async (t) => {
  // 4 bytes each: "é" is two.
  await decodesEveryWay(t, encoder.encode("abcd\0éé\0"), ["abcd", "éé"], {
    maxMessageBytes: 4,
  });
  await decodesEveryWay(t, encoder.encode("abcd\r\n"), ["abcd"], {
    mode: "line",
    maxMessageBytes: 4,
  });
});

Deno.test("NulDelimitedDecoderStream errors with a RangeError past maxMessageBytes cut anywhere", async (t) => {
  const cases: [string, string, NulDelimitedDecoderStreamOptions][] = [
    ["nul mode, delimited", "abcde\0", {}],
    ["nul mode, no delimiter", "abcde", {}],
    ["line mode, delimited", "abcde\n", { mode: "line" }],
    ["line mode, CR that is not before LF", "abcd\rx", { mode: "line" }],
    ["line mode, CR then LF", "abcde\r\n", { mode: "line" }],
  ];
  for (const [name, text, options] of cases) {
    for (const { name: how, chunks } of chunkings(encoder.encode(text))) {
      await t.step(`${name}, ${how}`, async () => {
        await rejects(
          decode(chunks, { ...options, maxMessageBytes: 4 }),
          RangeError,
        );
      });
    }
  }
});

Deno.test("NulDelimitedDecoderStream errors as soon as a message without delimiter exceeds maxMessageBytes", async () => {
  // An endless message: the source would go on forever.
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller): void {
      pulled++;
      controller.enqueue(new Uint8Array(100).fill(0x61));
    },
  }, { highWaterMark: 0 });
  const reader = endless
    .pipeThrough(new NulDelimitedDecoderStream({ maxMessageBytes: 1000 }))
    .getReader();
  await rejects(
    reader.read(),
    (error: unknown) =>
      error instanceof RangeError &&
      error.message ===
        "Cannot decode message: buffered 1100 bytes without a delimiter, which exceeds maxMessageBytes of 1000",
  );
  // Pulled until 1100 bytes, plus what the pipe reads ahead.
  ok(pulled >= 11 && pulled <= 13, `pulled ${pulled} chunks`);
});

Deno.test("NulDelimitedDecoderStream is not confused when the producer reuses its buffer", async () => {
  const buffer = new Uint8Array(3);
  const parts = ["ab", "c\0d", "e\0"];
  const source = new ReadableStream<Uint8Array>({
    pull(controller): void {
      const part = parts.shift();
      if (part === undefined) return controller.close();
      const n = encoder.encodeInto(part, buffer).written;
      controller.enqueue(buffer.subarray(0, n));
    },
  }, { highWaterMark: 0 });
  const messages = await Array.fromAsync(
    source.pipeThrough(new NulDelimitedDecoderStream()),
  );
  deepStrictEqual(messages, ["abc", "de"]);
});

Deno.test("NulDelimitedDecoderStream decodes a large message that arrives one byte at a time", async () => {
  const text = "é".repeat(50_000);
  const input = encoder.encode(`${text}\0`);
  const chunks = Array.from(input, (_, i) => input.subarray(i, i + 1));
  const [message] = await decode(chunks);
  strictEqual(message, text);
});

Deno.test("NulDelimitedDecoderStream rejects invalid options", () => {
  throws(
    () => new NulDelimitedDecoderStream({ mode: "cr" as "line" }),
    TypeError,
  );
  throws(
    () => new NulDelimitedDecoderStream({ maxMessageBytes: -1 }),
    RangeError,
  );
  throws(
    () => new NulDelimitedDecoderStream({ maxMessageBytes: Infinity }),
    RangeError,
  );
});
