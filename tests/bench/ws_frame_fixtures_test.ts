// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { createFrameParser, type WsFrame } from "../../ws/mod.ts";
import {
  BATCH_SHAPES,
  makeAllBatches,
  makeFrameBatch,
  READ_CHUNK_BYTES,
} from "../../bench/_ws_frame_fixtures.ts";

Deno.test("makeFrameBatch fixtures decode to their frames", () => {
  const batches = makeAllBatches();
  strictEqual(batches.length, BATCH_SHAPES.length * 2);
  for (const batch of batches) {
    const frames: WsFrame[] = [];
    const parser = createFrameParser((f) => frames.push(f), {
      role: batch.masked ? "server" : "client",
    });
    parser.push(batch.bytes);
    parser.end();
    strictEqual(frames.length, batch.count);
    frames.forEach((frame, i) => {
      deepStrictEqual(frame.payload, batch.frames[i]!.payload);
      strictEqual(frame.payload.length, batch.size);
      if (batch.masked) deepStrictEqual(frame.mask, batch.keys[i]);
      const at = batch.payloadOffsets[i]!;
      if (!batch.masked) {
        deepStrictEqual(
          batch.bytes.subarray(at, at + batch.size),
          frame.payload,
        );
      }
    });
  }
});

Deno.test("makeFrameBatch chunks are the wire bytes in socket-read pieces that decode to the frames", () => {
  for (const batch of makeAllBatches()) {
    let at = 0;
    for (const chunk of batch.chunks) {
      ok(chunk.length > 0 && chunk.length <= READ_CHUNK_BYTES);
      deepStrictEqual(chunk, batch.bytes.subarray(at, at + chunk.length));
      at += chunk.length;
    }
    strictEqual(at, batch.bytes.length);
    const frames: WsFrame[] = [];
    const parser = createFrameParser((f) => frames.push(f), {
      role: batch.masked ? "server" : "client",
    });
    for (const chunk of batch.chunks) parser.push(chunk);
    parser.end();
    deepStrictEqual(
      frames.map((f) => f.payload),
      batch.frames.map((f) => f.payload),
    );
  }
});

Deno.test("makeFrameBatch is deterministic", () => {
  const a = makeFrameBatch({ size: 125, count: 3, masked: true, seed: 9 });
  const b = makeFrameBatch({ size: 125, count: 3, masked: true, seed: 9 });
  deepStrictEqual(a.bytes, b.bytes);
});
