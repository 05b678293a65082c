// Copyright 2026 the serverpush authors. MIT license.
// Seeded, deterministic WebSocket frame batches for the frame codec
// benchmarks (checked by tests/bench/ws_frame_fixtures_test.ts).

import { encodeFrame, type WsFrame } from "../ws/mod.ts";

/** A batch of binary frames, all with the same payload size. */
export interface FrameBatch {
  /** Payload bytes per frame. */
  size: number;
  /** Frames in the batch. */
  count: number;
  /** Whether the frames are masked (sent by a client). */
  masked: boolean;
  /** The frames, as an encoder gets them (no mask). */
  frames: WsFrame[];
  /** The batch on the wire, every frame back to back. */
  bytes: Uint8Array;
  /**
   * `bytes` cut into {@linkcode READ_CHUNK_BYTES} views, the way a socket
   * delivers them: frames of 64 KiB and up are split across chunks.
   */
  chunks: Uint8Array[];
  /** Where each payload starts in `bytes`. */
  payloadOffsets: number[];
  /** Each frame's masking key, when masked. */
  keys: Uint8Array[];
}

/**
 * Bytes per chunk fed to the decoders: the most one socket read delivers in
 * Deno (`Deno.Conn.readable` reads 64 KiB at a time) and in Node (libuv
 * reads into 64 KiB buffers).
 */
export const READ_CHUNK_BYTES = 64 * 1024;

/** Cuts `bytes` into views of at most `size` bytes. */
export function chunksOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    chunks.push(bytes.subarray(at, Math.min(at + size, bytes.length)));
  }
  return chunks;
}

/** Payload sizes benchmarked, with the frames per batch for each. */
export const BATCH_SHAPES: readonly { size: number; count: number }[] = [
  { size: 16, count: 16_384 },
  { size: 125, count: 4_096 },
  { size: 1024, count: 1_024 },
  { size: 65_536, count: 16 },
  { size: 1_048_576, count: 2 },
];

/** Mulberry32. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds `count` binary frames of `size` random bytes each. */
export function makeFrameBatch(
  options: { size: number; count: number; masked: boolean; seed: number },
): FrameBatch {
  const { size, count, masked, seed } = options;
  const random = prng(seed);
  const frames: WsFrame[] = [];
  const parts: Uint8Array[] = [];
  const keys: Uint8Array[] = [];
  const payloadOffsets: number[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(size);
    for (let j = 0; j < size; j += 4) {
      const word = (random() * 0x100000000) >>> 0;
      payload[j] = word;
      if (j + 1 < size) payload[j + 1] = word >>> 8;
      if (j + 2 < size) payload[j + 2] = word >>> 16;
      if (j + 3 < size) payload[j + 3] = word >>> 24;
    }
    const frame: WsFrame = {
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: 2,
      payload,
    };
    frames.push(frame);
    const key = Uint8Array.from(
      { length: 4 },
      () => Math.floor(random() * 256),
    );
    const bytes = encodeFrame(frame, { mask: masked ? key : false });
    if (masked) keys.push(key);
    payloadOffsets.push(total + bytes.length - size);
    parts.push(bytes);
    total += bytes.length;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return {
    size,
    count,
    masked,
    frames,
    bytes,
    chunks: chunksOf(bytes, READ_CHUNK_BYTES),
    payloadOffsets,
    keys,
  };
}

/** How many batches {@linkcode makeAllBatches} makes. */
export const BATCH_COUNT: number = BATCH_SHAPES.length * 2;

/**
 * Batch `index` of {@linkcode makeAllBatches} alone: shapes in order, each
 * masked first, then unmasked; seeded by position.
 */
export function makeBatch(index: number): FrameBatch {
  const shape = BATCH_SHAPES[index >> 1];
  if (shape === undefined) {
    throw new RangeError(
      `Cannot make batch ${index}: there are ${BATCH_COUNT}`,
    );
  }
  const masked = (index & 1) === 0;
  return makeFrameBatch({
    size: shape.size,
    count: shape.count,
    masked,
    seed: 100 + (index >> 1) * 2 + (masked ? 1 : 0),
  });
}

/** One batch per shape and masking, seeded by position. */
export function makeAllBatches(): FrameBatch[] {
  return Array.from({ length: BATCH_COUNT }, (_, i) => makeBatch(i));
}
