// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual } from "node:assert/strict";
import { copyMasked, useWasmMask, xorMask } from "../../ws/_mask.ts";

/** The masking of RFC 6455 section 5.3, one byte at a time. */
function naive(
  buf: Uint8Array,
  start: number,
  end: number,
  mask: Uint8Array,
  maskOffset: number,
  phase: number,
): void {
  for (let i = start; i < end; i++) {
    buf[i]! ^= mask[maskOffset + ((phase + i - start) & 3)]!;
  }
}

/**
 * Checks `xorMask` and `copyMasked` against `naive` for `lengths`, every
 * alignment and phase.
 */
function checkLengths(lengths: number[]): void {
  const mask = new Uint8Array([0xaa, 0x01, 0x5c, 0x37, 0x90, 0x42]);
  for (const length of lengths) {
    for (let byteOffset = 0; byteOffset < 4; byteOffset++) {
      for (let phase = 0; phase < 4; phase++) {
        const maskOffset = phase % 3;
        const backing = new Uint8Array(length + byteOffset + 8).map((
          _,
          i,
        ) => (i * 131 + length) & 0xff);
        const buf = new Uint8Array(backing.buffer, byteOffset, length + 5);
        const expected = buf.slice();
        const start = length % 3;
        const end = start + length;
        naive(expected, start, end, mask, maskOffset, phase);
        xorMask(buf, start, end, mask, maskOffset, phase);
        deepStrictEqual(
          buf,
          expected,
          `length ${length}, offset ${byteOffset}, phase ${phase}`,
        );
        // The same bytes copied, masked, elsewhere: the source unchanged,
        // the destination's other bytes too.
        const source = expected.slice();
        naive(source, start, end, mask, maskOffset, phase);
        const before = source.slice();
        const into = new Uint8Array(length + 9).fill(0x5a);
        const wanted = into.slice();
        wanted.set(expected.subarray(start, end), 7 - byteOffset);
        copyMasked(
          source,
          start,
          into,
          7 - byteOffset,
          length,
          mask,
          maskOffset,
          phase,
        );
        deepStrictEqual(source, before, `copy's source, length ${length}`);
        deepStrictEqual(
          into,
          wanted,
          `copy, length ${length}, offset ${byteOffset}, phase ${phase}`,
        );
      }
    }
  }
}

const LENGTHS = [
  ...Array.from({ length: 80 }, (_, i) => i),
  127,
  128,
  1023,
  4096,
  // Around where the WebAssembly routine takes over, and over several of
  // its 64 KiB blocks.
  8191,
  8192,
  8193,
  65_536 + 3,
  3 * 65_536 + 17,
];

Deno.test("xorMask and copyMasked mask like the byte-by-byte definition for every length, alignment and phase", () => {
  checkLengths(LENGTHS);
});

Deno.test("xorMask and copyMasked mask the same without their WebAssembly routine", () => {
  useWasmMask(false);
  try {
    checkLengths(LENGTHS);
  } finally {
    useWasmMask(true);
  }
});
