// Copyright 2026 the serverpush authors. MIT license.
// Ways to cut one input into chunks, so every decoder test runs its input
// whole, one byte at a time and split at every index.

/** One named way of delivering `bytes` as a list of chunks. */
export interface Chunking {
  name: string;
  chunks: Uint8Array[];
}

/** Yields `bytes` whole, one byte at a time, and split in two at every index. */
export function* chunkings(bytes: Uint8Array): Generator<Chunking> {
  yield { name: "whole", chunks: [bytes] };
  yield {
    name: "byte by byte",
    chunks: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
  };
  for (let i = 1; i < bytes.length; i++) {
    yield {
      name: `split at ${i}`,
      chunks: [bytes.subarray(0, i), bytes.subarray(i)],
    };
  }
}
