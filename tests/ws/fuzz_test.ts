// Copyright 2026 the serverpush authors. MIT license.
// Seeded fuzzing of the frame parser and the decoder streams: random bytes,
// random frame headers, and mutated valid streams. Whatever comes in, only a
// WsProtocolError may come out, every frame and message respects the limits,
// and the outcome does not depend on how the input was chunked. A hang would
// fail the test too: the inputs are in memory and nothing sets a timer, so a
// stuck pipeline leaves Deno's event loop empty with a promise pending, which
// Deno reports as an error.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  createFrameParser,
  encodeFrame,
  type WsFrame,
  type WsMessage,
  WsMessageEncoderStream,
  WsProtocolError,
} from "../../ws/mod.ts";
import { createRleCompressor } from "./_fake_compressor.ts";
import { concatBytes, decodeMessages, type Outcome, prng } from "./_helpers.ts";

const MAX_FRAME = 512;
const MAX_MESSAGE = 1024;
const ITERATIONS = 1500;

type Random = () => number;

function int(random: Random, n: number): number {
  return Math.floor(random() * n);
}

function randomBytes(random: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(random, 256));
}

/** Random frame headers (any opcode, bits, length form) with random payloads. */
function randomFrames(random: Random): Uint8Array {
  const parts: Uint8Array[] = [];
  const count = 1 + int(random, 6);
  for (let i = 0; i < count; i++) {
    const length = random() < 0.8 ? int(random, 140) : int(random, 700);
    const masked = random() < 0.5;
    const b0 = int(random, 256);
    const head: number[] = [b0];
    const form = random();
    if (form < 0.6 && length < 126) head.push((masked ? 0x80 : 0) | length);
    else if (form < 0.9) {
      head.push((masked ? 0x80 : 0) | 126, length >> 8, length & 255);
    } else {head.push(
        (masked ? 0x80 : 0) | 127,
        random() < 0.1 ? 0x80 : 0,
        0,
        0,
        0,
        length >>> 24,
        (length >> 16) & 255,
        (length >> 8) & 255,
        length & 255,
      );}
    if (masked) head.push(...randomBytes(random, 4));
    parts.push(
      new Uint8Array(head),
      randomBytes(random, random() < 0.9 ? length : int(random, length + 1)),
    );
  }
  return concatBytes(parts);
}

/** A valid client stream, then a few random mutations. */
async function mutatedStream(random: Random): Promise<Uint8Array> {
  const messages: WsMessage[] = [];
  const count = 1 + int(random, 5);
  for (let i = 0; i < count; i++) {
    const kind = int(random, 5);
    if (kind === 0) {
      messages.push({
        type: "text",
        data: "héllo wörld ".repeat(int(random, 20)),
      });
    } else if (kind === 1) {
      messages.push({
        type: "binary",
        data: randomBytes(random, int(random, 300)),
      });
    } else if (kind === 2) {
      messages.push({
        type: "ping",
        data: randomBytes(random, int(random, 126)),
      });
    } else if (kind === 3) {
      messages.push({
        type: "pong",
        data: randomBytes(random, int(random, 20)),
      });
    } else {messages.push({
        type: "close",
        code: 1000 + int(random, 4),
        reason: "bye",
      });}
  }
  const frames = await Array.fromAsync(
    ReadableStream.from(messages).pipeThrough(
      new WsMessageEncoderStream({ fragmentBytes: 1 + int(random, 200) }),
    ),
  );
  const bytes = concatBytes(
    frames.map((f: WsFrame) => encodeFrame(f, { mask: true })),
  );
  const out = Array.from(bytes);
  const mutations = 1 + int(random, 4);
  for (let m = 0; m < mutations && out.length > 0; m++) {
    const at = int(random, out.length);
    switch (int(random, 5)) {
      case 0:
        out[at] = out[at]! ^ (1 << int(random, 8));
        break;
      case 1:
        out[at] = int(random, 256);
        break;
      case 2:
        out.splice(at, 1 + int(random, 4));
        break;
      case 3:
        out.splice(at, 0, ...randomBytes(random, 1 + int(random, 4)));
        break;
      default:
        out.length = at;
    }
  }
  return new Uint8Array(out);
}

function randomChunks(random: Random, bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const size = 1 + int(random, random() < 0.5 ? 4 : 64);
    chunks.push(bytes.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

function checkError(error: unknown): void {
  if (error === undefined) return;
  ok(error instanceof WsProtocolError, `unexpected error: ${error}`);
}

function checkMessages(messages: WsMessage[]): void {
  for (const m of messages) {
    switch (m.type) {
      case "text":
        ok(new TextEncoder().encode(m.data).length <= MAX_MESSAGE);
        break;
      case "binary":
        ok(m.data.length <= MAX_MESSAGE);
        break;
      case "ping":
      case "pong":
        ok(m.data.length <= 125);
        break;
      case "close":
        ok(m.code >= 1000 && m.code < 5000);
    }
  }
}

/** Runs the core parser; returns the frames and the error, if any. */
function parseCore(
  chunks: Uint8Array[],
  role: "client" | "server",
): Outcome<WsFrame> {
  const items: WsFrame[] = [];
  const parser = createFrameParser((f) => items.push(f), {
    role,
    maxFrameBytes: MAX_FRAME,
    allowRsv1: true,
  });
  try {
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

function summary(outcome: Outcome<unknown>): unknown {
  return {
    items: outcome.items,
    error: outcome.error instanceof WsProtocolError
      ? outcome.error.code
      : outcome.error,
  };
}

async function fuzzOne(
  random: Random,
  bytes: Uint8Array,
  role: "client" | "server",
): Promise<void> {
  const chunks = randomChunks(random, bytes);

  const whole = parseCore([bytes], role);
  const chunked = parseCore(chunks, role);
  checkError(whole.error);
  deepStrictEqual(
    summary(chunked),
    summary(whole),
    "core outcome independent of chunking",
  );
  for (const f of whole.items) {
    ok(f.payload.length <= MAX_FRAME);
    if (f.opcode >= 8) ok(f.payload.length <= 125 && f.fin);
    strictEqual(f.mask !== undefined, role === "server");
  }

  for (const compress of [false, true]) {
    const options = {
      role,
      maxFrameBytes: MAX_FRAME,
      maxMessageBytes: MAX_MESSAGE,
      ...(compress ? { compressor: createRleCompressor() } : {}),
    };
    const a = await decodeMessages([bytes], options);
    const b = await decodeMessages(chunks, {
      ...options,
      ...(compress ? { compressor: createRleCompressor() } : {}),
    });
    checkError(a.error);
    checkMessages(a.items);
    deepStrictEqual(
      summary(b),
      summary(a),
      "stream outcome independent of chunking",
    );
  }
}

Deno.test("createFrameParser and the decoder streams survive random frame headers", async () => {
  const random = prng(0x5eed);
  let errors = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const bytes = randomFrames(random);
    const role = random() < 0.5 ? "client" : "server";
    await fuzzOne(random, bytes, role);
    if (parseCore([bytes], role).error !== undefined) errors++;
  }
  ok(
    errors > 0 && errors < ITERATIONS,
    `a mix of good and bad inputs (${errors} bad)`,
  );
});

Deno.test("createFrameParser and the decoder streams survive random bytes", async () => {
  const random = prng(0xbad);
  for (let i = 0; i < ITERATIONS; i++) {
    await fuzzOne(
      random,
      randomBytes(random, int(random, 300)),
      random() < 0.5 ? "client" : "server",
    );
  }
});

Deno.test("createFrameParser and the decoder streams survive mutated valid streams", async () => {
  const random = prng(0xc0ffee);
  let messages = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const bytes = await mutatedStream(random);
    await fuzzOne(random, bytes, "server");
    messages +=
      (await decodeMessages([bytes], { role: "server" })).items.length;
  }
  ok(
    messages > ITERATIONS / 2,
    `mutated streams still yield messages (${messages})`,
  );
});
