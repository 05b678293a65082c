// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints why large inputs are sampled
// Runs tests/testdata/ws_conformance.json (cases modelled on the Autobahn
// Testsuite categories) through WsFrameDecoderStream → WsMessageDecoderStream,
// and through the codec engine's connection (an echo over an in-memory
// duplex), which must also fail in order: what came before a protocol error
// is delivered and answered before the close frame.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type WsFrame, type WsMessage, WsProtocolError } from "../../ws/mod.ts";
import { codecConnection } from "../../ws/_codec_connection.ts";
import { closeOf, duplexPair, rawPeer } from "./_duplex.ts";
import { type Chunking, chunkings } from "../_chunks.ts";
import cases from "../testdata/ws_conformance.json" with { type: "json" };
import { createRleCompressor } from "./_fake_compressor.ts";
import { concatBytes, decodeMessages, fromHex } from "./_helpers.ts";

type Input = string | { head: string; fill: string; bytes: number };
type Expected =
  | { type: "text" | "binary"; fill: string; bytes: number }
  | { type: "text"; data: string }
  | { type: "binary" | "ping" | "pong"; hex: string }
  | { type: "close"; code: number; reason: string };

interface Case {
  name: string;
  role: "client" | "server";
  options?: {
    maxFrameBytes?: number;
    maxMessageBytes?: number;
    compressor?: string;
  };
  input: Input[];
  expect: {
    messages: Expected[];
    error?: { code: string; closeCode: number };
  };
  engine?: {
    messages: Expected[];
    error?: { code: string; closeCode: number };
  };
}

/** Inputs up to this size run every chunking; larger ones a sample. */
const FULL_SPLIT_LIMIT = 4096;
/** Inputs up to this size are still fed one byte at a time. */
const BYTE_BY_BYTE_LIMIT = 70_000;

function inputBytes(input: Input[]): Uint8Array {
  return concatBytes(input.map((run) => {
    if (typeof run === "string") return fromHex(run);
    const head = fromHex(run.head);
    const pattern = fromHex(run.fill);
    const out = new Uint8Array(head.length + run.bytes);
    out.set(head);
    for (let i = 0; i < run.bytes; i++) {
      out[head.length + i] = pattern[i % pattern.length]!;
    }
    return out;
  }));
}

function expectedMessage(m: Expected): WsMessage {
  if ("fill" in m) {
    const data = new Uint8Array(m.bytes).fill(parseInt(m.fill, 16));
    return m.type === "text"
      ? { type: "text", data: new TextDecoder().decode(data) }
      : { type: "binary", data };
  }
  switch (m.type) {
    case "text":
      return { type: "text", data: m.data };
    case "close":
      return { type: "close", code: m.code, reason: m.reason };
    default:
      return { type: m.type, data: fromHex(m.hex) };
  }
}

/** Full chunkings for small inputs; a deterministic sample for large ones. */
function* chunkingsFor(bytes: Uint8Array): Generator<Chunking> {
  if (bytes.length <= FULL_SPLIT_LIMIT) {
    yield* chunkings(bytes);
    return;
  }
  yield { name: "whole", chunks: [bytes] };
  if (bytes.length <= BYTE_BY_BYTE_LIMIT) {
    yield {
      name: "byte by byte",
      chunks: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
    };
  } else {
    console.log(
      `    (${bytes.length} bytes: byte-by-byte feeding skipped, too slow through two streams; 1000-byte chunks instead)`,
    );
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 1000) {
      chunks.push(bytes.subarray(i, i + 1000));
    }
    yield { name: "1000-byte chunks", chunks };
  }
  // Split points: every header byte of the first frame, 48 spread evenly,
  // and the last bytes.
  const points = new Set<number>();
  for (let i = 1; i <= 16; i++) points.add(i);
  for (let k = 1; k < 48; k++) points.add(Math.floor((bytes.length * k) / 48));
  for (let i = 1; i <= 4; i++) points.add(bytes.length - i);
  for (const i of [...points].sort((a, b) => a - b)) {
    yield {
      name: `split at ${i}`,
      chunks: [bytes.subarray(0, i), bytes.subarray(i)],
    };
  }
}

Deno.test("WsFrameDecoderStream and WsMessageDecoderStream pass the conformance table", async (t) => {
  for (const c of cases as Case[]) {
    await t.step(c.name, async () => {
      const bytes = inputBytes(c.input);
      const expected = c.expect.messages.map(expectedMessage);
      const options = c.options ?? {};
      if (bytes.length > FULL_SPLIT_LIMIT) {
        console.log(
          `    (${bytes.length} bytes: split at sampled indices, not all ${
            bytes.length - 1
          })`,
        );
      }
      for (const { name, chunks } of chunkingsFor(bytes)) {
        const { items, error } = await decodeMessages(chunks, {
          role: c.role,
          ...(options.maxFrameBytes === undefined
            ? {}
            : { maxFrameBytes: options.maxFrameBytes }),
          ...(options.maxMessageBytes === undefined
            ? {}
            : { maxMessageBytes: options.maxMessageBytes }),
          ...(options.compressor === "rle"
            ? { compressor: createRleCompressor() }
            : {}),
        });
        deepStrictEqual(items, expected, `messages, fed ${name}`);
        if (c.expect.error === undefined) {
          strictEqual(error, undefined, `no error, fed ${name}`);
        } else {
          ok(
            error instanceof WsProtocolError,
            `fed ${name}: expected WsProtocolError, got ${error}`,
          );
          strictEqual(error.code, c.expect.error.code, `code, fed ${name}`);
          strictEqual(
            error.closeCode,
            c.expect.error.closeCode,
            `closeCode, fed ${name}`,
          );
        }
      }
    });
  }
});

/** Whole, byte by byte (small inputs) or in 1000-byte chunks, and in three. */
function* engineChunkings(bytes: Uint8Array): Generator<Chunking> {
  yield { name: "whole", chunks: [bytes] };
  const step = bytes.length <= FULL_SPLIT_LIMIT
    ? 1
    : bytes.length <= BYTE_BY_BYTE_LIMIT
    ? 1000
    : 64 * 1024;
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    pieces.push(bytes.subarray(i, i + step));
  }
  yield { name: `in ${step}-byte chunks`, chunks: pieces };
  const third = Math.floor(bytes.length / 3);
  yield {
    name: "in three",
    chunks: [
      bytes.subarray(0, third),
      bytes.subarray(third, 2 * third),
      bytes.subarray(2 * third),
    ],
  };
}

/**
 * Feeds `chunks` to a codec connection of `c.role` that echoes every
 * message; resolves with what it delivered, the frames it wrote (pongs
 * left out) and how it closed.
 */
async function runEngine(c: Case, chunks: Uint8Array[]): Promise<{
  delivered: WsMessage[];
  wire: WsFrame[];
  code: number;
}> {
  const { a, b } = duplexPair();
  const options = c.options ?? {};
  const connection = codecConnection(a, {
    role: c.role,
    closeTimeout: 2_000,
    ...(options.maxMessageBytes === undefined
      ? {}
      : { maxMessageBytes: options.maxMessageBytes }),
    ...(options.compressor === "rle"
      ? { compressor: createRleCompressor() }
      : {}),
  });
  const peer = rawPeer(b, c.role === "server" ? "client" : "server");
  const delivered: WsMessage[] = [];
  const echoing = (async () => {
    for await (const data of connection) {
      delivered.push(
        typeof data === "string"
          ? { type: "text", data }
          : { type: "binary", data },
      );
      await connection.send(data).catch(() => {});
    }
  })();
  const writing = (async () => {
    for (const chunk of chunks) await peer.write(chunk);
    await peer.end();
  })().catch(() => {});
  const wire: WsFrame[] = [];
  while (true) {
    const frame = await peer.next().catch(() => undefined);
    if (frame === undefined) break;
    if (frame.opcode !== 10) wire.push(frame);
    if (frame.opcode === 8) break;
  }
  const { code } = await connection.closed;
  await writing;
  await echoing;
  await peer.close();
  return { delivered, wire, code };
}

Deno.test("codecConnection passes the conformance table, failing in order", async (t) => {
  for (const c of cases as Case[]) {
    // The engine derives its frame limit from maxMessageBytes.
    if (c.options?.maxFrameBytes !== undefined) continue;
    await t.step(c.name, async () => {
      const bytes = inputBytes(c.input);
      const expect = c.engine ?? c.expect;
      const expected = expect.messages
        .filter((m) => m.type === "text" || m.type === "binary")
        .map(expectedMessage);
      const close = expect.messages.find((m) => m.type === "close");
      const code = expect.error?.closeCode ??
        (close !== undefined && "code" in close ? close.code : 1006);
      for (const { name, chunks } of engineChunkings(bytes)) {
        const result = await runEngine(c, chunks);
        deepStrictEqual(result.delivered, expected, `messages, fed ${name}`);
        strictEqual(result.code, code, `close code, fed ${name}`);
        if (expect.error === undefined || code === 1006) continue;
        // Failed in order: an echo of every message, then the close.
        const last = result.wire.at(-1);
        deepStrictEqual(
          closeOf(last)[0],
          code,
          `close frame, fed ${name}`,
        );
        deepStrictEqual(
          result.wire.slice(0, -1).map((f) => f.opcode),
          expected.map((m) => (m.type === "text" ? 1 : 2)),
          `echoes before the close, fed ${name}`,
        );
      }
    });
  }
});
