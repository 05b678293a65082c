// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { Opcode, type WsFrame, WsFrameEncoderStream } from "../../ws/mod.ts";
import { fromHex } from "./_helpers.ts";

function frames(n: number): WsFrame[] {
  return Array.from({ length: n }, (_, i) => ({
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Binary,
    payload: new Uint8Array([i, i, i, i, i]),
    mask: fromHex("00000000"),
  }));
}

Deno.test("WsFrameEncoderStream as a client masks every frame with a fresh key", async () => {
  const input = frames(300);
  const chunks = await Array.fromAsync(
    ReadableStream.from(input).pipeThrough(
      new WsFrameEncoderStream({ role: "client" }),
    ),
  );
  strictEqual(chunks.length, 300);
  const keys = new Set<string>();
  chunks.forEach((bytes, i) => {
    strictEqual(bytes[1], 0x80 | 5, "mask bit and length");
    const key = bytes.subarray(2, 6);
    keys.add(Array.from(key).join(","));
    deepStrictEqual(
      bytes.subarray(6).map((b, j) => b ^ key[j & 3]!),
      new Uint8Array([i, i, i, i, i]),
    );
  });
  ok(keys.size > 250, `${keys.size} distinct keys of 300`);
  deepStrictEqual(
    input[7]!.payload,
    new Uint8Array([7, 7, 7, 7, 7]),
    "payload unmodified",
  );
});

Deno.test("WsFrameEncoderStream as a server never masks", async () => {
  const chunks = await Array.fromAsync(
    ReadableStream.from(frames(2)).pipeThrough(
      new WsFrameEncoderStream({ role: "server" }),
    ),
  );
  deepStrictEqual(chunks, [
    fromHex("82050000000000"),
    fromHex("82050101010101"),
  ]);
});

Deno.test("WsFrameEncoderStream errors on a frame encodeFrame rejects", async () => {
  await rejects(
    Array.fromAsync(
      ReadableStream.from([{
        ...frames(1)[0]!,
        opcode: Opcode.Ping,
        payload: new Uint8Array(126),
      }])
        .pipeThrough(new WsFrameEncoderStream({ role: "server" })),
    ),
    RangeError,
  );
});

Deno.test("WsFrameEncoderStream checks its role", () => {
  throws(
    () => new WsFrameEncoderStream({ role: "proxy" as "client" }),
    TypeError,
  );
});
