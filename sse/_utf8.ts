// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

// Where a chunk of UTF-8 may be cut, following the WHATWG Encoding
// standard's UTF-8 decoder, so that a stream can be decoded one chunk at a
// time with plain (non-streaming) `TextDecoder.decode` calls and give the
// same text as one streaming decoder.

/**
 * Length of the UTF-8 sequence that `lead` starts: 2, 3 or 4, or 0 if
 * `lead` cannot start a multi-byte sequence.
 */
export function sequenceLength(lead: number): number {
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  if (lead < 0xf5) return 4;
  return 0;
}

/**
 * Whether `byte` can be byte number `index` (1, 2 or 3) of the sequence that
 * `lead` starts. The second byte's range depends on the lead, which excludes
 * overlong forms, surrogates and code points past U+10FFFF.
 */
export function isContinuation(
  lead: number,
  index: number,
  byte: number,
): boolean {
  if (index === 1) {
    if (lead === 0xe0) return byte >= 0xa0 && byte <= 0xbf;
    if (lead === 0xed) return byte >= 0x80 && byte <= 0x9f;
    if (lead === 0xf0) return byte >= 0x90 && byte <= 0xbf;
    if (lead === 0xf4) return byte >= 0x80 && byte <= 0x8f;
  }
  return byte >= 0x80 && byte <= 0xbf;
}

/**
 * Number of bytes at the end of `bytes[start, end)` that begin a valid UTF-8
 * sequence still waiting for more bytes. A streaming decoder holds exactly
 * these back; everything before them decodes the same on its own.
 */
export function incompleteTail(
  bytes: Uint8Array,
  start: number,
  end: number,
): number {
  const stop = end - 3 > start ? end - 3 : start;
  for (let i = end - 1; i >= stop; i--) {
    const lead = bytes[i]!;
    if (lead < 0x80) return 0;
    if (lead >= 0xc0) {
      const have = end - i;
      if (have >= sequenceLength(lead)) return 0;
      for (let k = 1; k < have; k++) {
        if (!isContinuation(lead, k, bytes[i + k]!)) return 0;
      }
      return have;
    }
  }
  return 0;
}
