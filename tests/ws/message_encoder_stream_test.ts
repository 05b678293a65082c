// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  type WsFrame,
  type WsMessage,
  WsMessageEncoderStream,
  type WsMessageEncoderStreamOptions,
} from "../../ws/mod.ts";
import { createRleCompressor, rleEncode } from "./_fake_compressor.ts";

const enc = new TextEncoder();

function encode(
  messages: WsMessage[],
  options?: WsMessageEncoderStreamOptions,
): Promise<WsFrame[]> {
  return Array.fromAsync(
    ReadableStream.from(messages).pipeThrough(
      new WsMessageEncoderStream(options),
    ),
  );
}

function shape(frames: WsFrame[]): [boolean, boolean, number, number][] {
  return frames.map((f) => [f.fin, f.rsv1, f.opcode, f.payload.length]);
}

Deno.test("WsMessageEncoderStream encodes each message type as one frame", async () => {
  const data = new Uint8Array([1, 2, 3]);
  const frames = await encode([
    { type: "text", data: "héllo" },
    { type: "binary", data },
    { type: "ping", data },
    { type: "pong", data: new Uint8Array(0) },
    { type: "close", code: 1001, reason: "bye" },
  ]);
  deepStrictEqual(shape(frames), [
    [true, false, 1, 6],
    [true, false, 2, 3],
    [true, false, 9, 3],
    [true, false, 10, 0],
    [true, false, 8, 5],
  ]);
  strictEqual(frames[1]!.payload, data, "binary data is not copied");
  deepStrictEqual(frames[0]!.payload, enc.encode("héllo"));
  deepStrictEqual(
    frames[4]!.payload,
    new Uint8Array([0x03, 0xe9, 0x62, 0x79, 0x65]),
  );
});

Deno.test("WsMessageEncoderStream splits data messages into fragmentBytes pieces", async () => {
  const frames = await encode(
    [
      { type: "binary", data: new Uint8Array(10) },
      { type: "text", data: "12345678" },
      { type: "text", data: "1234" },
      { type: "ping", data: new Uint8Array(9) },
      { type: "binary", data: new Uint8Array(0) },
    ],
    { fragmentBytes: 4 },
  );
  deepStrictEqual(shape(frames), [
    [false, false, 2, 4],
    [false, false, 0, 4],
    [true, false, 0, 2],
    [false, false, 1, 4],
    [true, false, 0, 4],
    [true, false, 1, 4],
    [true, false, 9, 9],
    [true, false, 2, 0],
  ]);
});

Deno.test("WsMessageEncoderStream compresses messages from the threshold up, RSV1 on the first frame only", async () => {
  const compressor = createRleCompressor(8);
  const frames = await encode(
    [
      { type: "text", data: "aaaaaaa" },
      { type: "text", data: "aaaaaaaabbbbbbbbcccccccc" },
      { type: "ping", data: enc.encode("aaaaaaaaaaaa") },
    ],
    { compressor, fragmentBytes: 4 },
  );
  strictEqual(compressor.calls.compress, 1);
  deepStrictEqual(shape(frames), [
    [false, false, 1, 4],
    [true, false, 0, 3],
    [false, true, 1, 4],
    [true, false, 0, 2],
    [true, false, 9, 12],
  ]);
  deepStrictEqual(
    new Uint8Array([...frames[2]!.payload, ...frames[3]!.payload]),
    rleEncode(enc.encode("aaaaaaaabbbbbbbbcccccccc")),
  );
});

Deno.test("WsMessageEncoderStream encodes close code 1005 as an empty payload", async () => {
  const [frame] = await encode([{ type: "close", code: 1005, reason: "" }]);
  deepStrictEqual(frame!.payload, new Uint8Array(0));
});

Deno.test("WsMessageEncoderStream rejects messages that would break the protocol", async (t) => {
  const cases: [
    string,
    WsMessage,
    ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor,
  ][] = [
    [
      "ping over 125 bytes",
      { type: "ping", data: new Uint8Array(126) },
      RangeError,
    ],
    [
      "pong over 125 bytes",
      { type: "pong", data: new Uint8Array(126) },
      RangeError,
    ],
    ["close code 1006", { type: "close", code: 1006, reason: "" }, RangeError],
    ["close code 1005 with a reason", {
      type: "close",
      code: 1005,
      reason: "x",
    }, RangeError],
    ["close reason over 123 bytes", {
      type: "close",
      code: 1000,
      reason: "é".repeat(62),
    }, RangeError],
    [
      "unknown type",
      { type: "blob", data: "" } as unknown as WsMessage,
      TypeError,
    ],
  ];
  for (const [name, message, type] of cases) {
    await t.step(name, async () => {
      await rejects(encode([message]), type);
    });
  }
});

Deno.test("WsMessageEncoderStream checks fragmentBytes", () => {
  for (const fragmentBytes of [0, -1, 1.5, NaN]) {
    throws(() => new WsMessageEncoderStream({ fragmentBytes }), RangeError);
  }
});
