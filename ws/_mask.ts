// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

// Masking (RFC 6455 section 5.3): XOR with a 4-byte key, byte i with key
// byte i % 4. Short runs go byte by byte; medium runs 32 bits at a time
// through a DataView (no alignment needed, endianness explicit); long runs
// through an aligned Uint32Array, the fastest loop V8 has here, once the
// view's construction cost is paid off.

const DATA_VIEW_MIN = 16;
const WORD_ARRAY_MIN = 8192;

/**
 * XORs `buf[start..end)` in place with the 4-byte key at
 * `mask[maskOffset..]`, key byte 0 at `start`.
 */
export function xorMask(
  buf: Uint8Array,
  start: number,
  end: number,
  mask: Uint8Array,
  maskOffset = 0,
): void {
  const n = end - start;
  const m0 = mask[maskOffset]!, m1 = mask[maskOffset + 1]!;
  const m2 = mask[maskOffset + 2]!, m3 = mask[maskOffset + 3]!;
  let i = start;
  if (n >= WORD_ARRAY_MIN) {
    const abs = buf.byteOffset + start;
    const lead = -abs & 3;
    for (; i < start + lead; i++) {
      buf[i]! ^= mask[maskOffset + ((i - start) & 3)]!;
    }
    const words = (end - i) >>> 2;
    const view = new Uint32Array(buf.buffer, abs + lead, words);
    // The key as a native-endian word: XOR the first word byte by byte and
    // see how it changed.
    const before = view[0]!;
    for (let j = 0; j < 4; j++, i++) {
      buf[i]! ^= mask[maskOffset + ((i - start) & 3)]!;
    }
    const word = before ^ view[0]!;
    for (let k = 1; k < words; k++) view[k]! ^= word;
    i = start + lead + words * 4;
  } else if (n >= DATA_VIEW_MIN) {
    const view = new DataView(buf.buffer, buf.byteOffset + start, n);
    const word = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
    const stop = n & ~3;
    for (let o = 0; o < stop; o += 4) {
      view.setInt32(o, view.getInt32(o, true) ^ word, true);
    }
    i = start + stop;
  }
  for (; i < end; i++) {
    const k = (i - start) & 3;
    buf[i]! ^= k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3;
  }
}

/** XORs `words[first..stop)` in place with `word`. */
export function xorWords(
  words: Uint32Array,
  first: number,
  stop: number,
  word: number,
): void {
  for (let w = first; w < stop; w++) words[w]! ^= word;
}
