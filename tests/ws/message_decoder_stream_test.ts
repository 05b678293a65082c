// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  type WsCompressor,
  type WsFrame,
  type WsMessage,
  WsMessageDecoderStream,
  type WsMessageDecoderStreamOptions,
  WsProtocolError,
} from "../../ws/mod.ts";
import { createRleCompressor, rleEncode } from "./_fake_compressor.ts";
import { collect, type Outcome } from "./_helpers.ts";

const enc = new TextEncoder();

function f(
  opcode: number,
  payload: Uint8Array | string,
  fin = true,
  bits: Partial<Pick<WsFrame, "rsv1" | "rsv2" | "rsv3">> = {},
): WsFrame {
  return {
    fin,
    rsv1: bits.rsv1 ?? false,
    rsv2: bits.rsv2 ?? false,
    rsv3: bits.rsv3 ?? false,
    opcode,
    payload: typeof payload === "string" ? enc.encode(payload) : payload,
  };
}

function decode(
  frames: WsFrame[],
  options?: WsMessageDecoderStreamOptions,
): Promise<Outcome<WsMessage>> {
  return collect(
    ReadableStream.from(frames).pipeThrough(
      new WsMessageDecoderStream(options),
    ),
  );
}

function assertProtocolError(
  error: unknown,
  code: string,
  closeCode: number,
): void {
  ok(error instanceof WsProtocolError, `not a WsProtocolError: ${error}`);
  strictEqual(error.code, code);
  strictEqual(error.closeCode, closeCode);
}

Deno.test("WsMessageDecoderStream enforces the default maxMessageBytes of 16 MiB across fragments", async () => {
  const half = new Uint8Array(8 * 1024 * 1024);
  const exact = await decode([f(2, half, false), f(0, half)]);
  strictEqual(exact.error, undefined);
  strictEqual(
    (exact.items[0] as { data: Uint8Array }).data.length,
    16 * 1024 * 1024,
  );
  const over = await decode([
    f(2, half, false),
    f(0, half, false),
    f(0, new Uint8Array(1)),
  ]);
  assertProtocolError(over.error, "message-too-large", 1009);
});

Deno.test("WsMessageDecoderStream passes a one-frame binary payload through without copying", async () => {
  const payload = new Uint8Array([1, 2, 3]);
  const { items } = await decode([f(2, payload)]);
  strictEqual((items[0] as { data: Uint8Array }).data, payload);
});

Deno.test("WsMessageDecoderStream keeps a leading byte order mark in text", async () => {
  const { items } = await decode([
    f(1, new Uint8Array([0xef, 0xbb, 0xbf, 0x41])),
  ]);
  deepStrictEqual(items, [{ type: "text", data: "\ufeffA" }]);
});

Deno.test("WsMessageDecoderStream re-checks frame-level rules on frames from any source", async (t) => {
  const cases: [string, WsFrame, string][] = [
    ["RSV2 on a text frame", f(1, "x", true, { rsv2: true }), "reserved-bits"],
    ["RSV3 on a ping", f(9, "", true, { rsv3: true }), "reserved-bits"],
    [
      "RSV1 without a compressor",
      f(1, "x", true, { rsv1: true }),
      "reserved-bits",
    ],
    ["reserved data opcode", f(3, ""), "reserved-opcode"],
    ["reserved control opcode", f(12, ""), "reserved-opcode"],
    ["fragmented ping", f(9, "", false), "fragmented-control-frame"],
    [
      "pong over 125 bytes",
      f(10, new Uint8Array(126)),
      "control-frame-too-long",
    ],
  ];
  for (const [name, frame, code] of cases) {
    await t.step(name, async () => {
      const { items, error } = await decode([frame]);
      deepStrictEqual(items, []);
      assertProtocolError(error, code, 1002);
    });
  }
});

Deno.test("WsMessageDecoderStream decompresses once per fragment and fails at the first bad one", async () => {
  const compressor = createRleCompressor();
  const { items, error } = await decode(
    [
      f(1, rleEncode(enc.encode("aaaa")), false, { rsv1: true }),
      f(0, new Uint8Array([1, 0xff]), false),
      f(0, rleEncode(enc.encode("bbbb"))),
    ],
    { compressor },
  );
  deepStrictEqual(items, []);
  assertProtocolError(error, "invalid-utf8", 1007);
  strictEqual(
    compressor.calls.decompress,
    2,
    "the third fragment is never decompressed",
  );
});

Deno.test("WsMessageDecoderStream passes maxMessageBytes to the compressor and maps its RangeError to 1009", async () => {
  const seen: number[] = [];
  const compressor: WsCompressor = {
    threshold: 0,
    compress: (payload) => Promise.resolve(payload),
    decompress(_fragment, _fin, maxBytes): Promise<Uint8Array> {
      seen.push(maxBytes);
      return Promise.reject(new RangeError("too big"));
    },
  };
  const { error } = await decode([f(2, "x", true, { rsv1: true })], {
    compressor,
    maxMessageBytes: 1234,
  });
  assertProtocolError(error, "message-too-large", 1009);
  ok((error as Error).cause instanceof RangeError);
  deepStrictEqual(seen, [1234]);
});

Deno.test("WsMessageDecoderStream maps any other decompression failure to 1007", async () => {
  const compressor: WsCompressor = {
    threshold: 0,
    compress: (payload) => Promise.resolve(payload),
    decompress: () => Promise.reject(new TypeError("bad data")),
  };
  const { error } = await decode([f(2, "x", true, { rsv1: true })], {
    compressor,
  });
  assertProtocolError(error, "invalid-compressed-data", 1007);
});

Deno.test("WsMessageDecoderStream ignores everything after a close frame", async () => {
  const { items, error } = await decode([
    f(1, "a", false),
    f(8, new Uint8Array([0x03, 0xe8])),
    f(0, "b"),
    f(3, ""),
    f(9, ""),
  ]);
  strictEqual(error, undefined);
  deepStrictEqual(items, [{ type: "close", code: 1000, reason: "" }]);
});

Deno.test("WsMessageDecoderStream errors with unexpected-end when input stops inside a message", async () => {
  const { items, error } = await decode([f(9, "p"), f(2, "a", false)]);
  deepStrictEqual(items, [{ type: "ping", data: enc.encode("p") }]);
  assertProtocolError(error, "unexpected-end", 1006);
});

Deno.test("WsMessageDecoderStream checks its options", () => {
  throws(() => new WsMessageDecoderStream({ maxMessageBytes: -1 }), RangeError);
});

Deno.test("WsMessageDecoderStream assembles a message of one-byte fragments, code points split across them", async () => {
  const text = "aé€😀".repeat(5_000);
  const bytes = enc.encode(text);
  const frames = Array.from(
    bytes,
    (byte, i) =>
      f(i === 0 ? 1 : 0, new Uint8Array([byte]), i === bytes.length - 1),
  );
  const binary = Array.from(
    bytes,
    (byte, i) =>
      f(i === 0 ? 2 : 0, new Uint8Array([byte]), i === bytes.length - 1),
  );
  const outcome = await decode([...frames, ...binary]);
  strictEqual(outcome.error, undefined);
  deepStrictEqual(outcome.items, [
    { type: "text", data: text },
    { type: "binary", data: bytes },
  ]);
});

Deno.test("WsMessageDecoderStream fails one-byte text fragments with 1007 at the byte that breaks UTF-8", async () => {
  // "a", then the first two bytes of a 3-byte character, then "b".
  const outcome = await decode([
    f(1, "a", false),
    f(0, new Uint8Array([0xe2]), false),
    f(0, new Uint8Array([0x82]), false),
    f(9, "seen"),
    f(0, "b", false),
    f(9, "not seen"),
  ]);
  deepStrictEqual(outcome.items, [{ type: "ping", data: enc.encode("seen") }]);
  assertProtocolError(outcome.error, "invalid-utf8", 1007);
});

Deno.test("WsMessageDecoderStream fails a text message that ends inside a code point with 1007", async () => {
  const outcome = await decode([
    f(1, "a", false),
    f(0, new Uint8Array([0xf0, 0x9f])),
  ]);
  deepStrictEqual(outcome.items, []);
  assertProtocolError(outcome.error, "invalid-utf8", 1007);
});
