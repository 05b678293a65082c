// Copyright 2026 the serverpush authors. MIT license.
// A stand-in WsCompressor for the codec tests: run-length encoding, so it
// compresses repetitive data, decompresses fragment by fragment (a pair may
// be split across fragments), can be made to expand past a limit (a "bomb")
// and can be fed invalid data (a run of length 0, or a dangling byte).

import type { WsCompressor } from "../../ws/mod.ts";

/** Run-length encodes `data` as (count 1-255, byte) pairs. */
export function rleEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    const byte = data[i]!;
    let run = 1;
    while (run < 255 && i + run < data.length && data[i + run] === byte) run++;
    out.push(run, byte);
    i += run;
  }
  return new Uint8Array(out);
}

/** A run-length WsCompressor; `calls` counts compress and decompress calls. */
export interface RleCompressor extends WsCompressor {
  calls: { compress: number; decompress: number };
}

/** Creates a run-length {@linkcode WsCompressor} with the given threshold. */
export function createRleCompressor(threshold = 0): RleCompressor {
  let carry: number | undefined;
  let total = 0;
  const calls = { compress: 0, decompress: 0 };
  return {
    threshold,
    calls,
    compress(payload: Uint8Array): Promise<Uint8Array> {
      calls.compress++;
      return Promise.resolve(rleEncode(payload));
    },
    decompress(
      fragment: Uint8Array,
      fin: boolean,
      maxBytes: number,
    ): Promise<Uint8Array> {
      calls.decompress++;
      const out: number[] = [];
      for (const byte of fragment) {
        if (carry === undefined) {
          if (byte === 0) {
            return Promise.reject(
              new TypeError("Cannot decompress: run of length 0"),
            );
          }
          carry = byte;
          continue;
        }
        total += carry;
        if (total > maxBytes) {
          return Promise.reject(
            new RangeError(
              `Cannot decompress: ${total} bytes exceeds ${maxBytes}`,
            ),
          );
        }
        for (let k = 0; k < carry; k++) out.push(byte);
        carry = undefined;
      }
      if (fin) {
        const dangling = carry !== undefined;
        carry = undefined;
        total = 0;
        if (dangling) {
          return Promise.reject(
            new TypeError("Cannot decompress: message ends inside a pair"),
          );
        }
      }
      return Promise.resolve(new Uint8Array(out));
    },
  };
}
