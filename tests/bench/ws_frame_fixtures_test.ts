// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { createFrameParser, type WsFrame } from "../../ws/mod.ts";
import {
  BATCH_SHAPES,
  makeAllBatches,
  makeFrameBatch,
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

Deno.test("makeFrameBatch is deterministic", () => {
  const a = makeFrameBatch({ size: 125, count: 3, masked: true, seed: 9 });
  const b = makeFrameBatch({ size: 125, count: 3, masked: true, seed: 9 });
  deepStrictEqual(a.bytes, b.bytes);
});
