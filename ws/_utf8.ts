// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: an incremental UTF-8 validator, so text can be checked as its
// bytes arrive (a fragment, or part of a frame) and decoded once at the end.

/** The state of a validation that ended on a character boundary. */
export const UTF8_ACCEPT = 0;
/** What {@linkcode checkUtf8} returns for bytes that are not UTF-8. */
export const UTF8_REJECT = -1;

/**
 * Checks `bytes[start, end)` as the continuation of UTF-8 text whose
 * validation so far ended in `state` ({@linkcode UTF8_ACCEPT} to begin).
 * Returns the new state ({@linkcode UTF8_ACCEPT} on a character boundary,
 * another non-negative number inside a character) or
 * {@linkcode UTF8_REJECT} as soon as a byte cannot continue valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included).
 */
export function checkUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  state: number,
): number {
  // State: bytes still needed << 16 | lowest << 8 | highest next byte.
  let need = state >>> 16;
  let lo = (state >>> 8) & 0xff;
  let hi = state & 0xff;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (need === 0) {
      if (b < 0x80) continue;
      if (b < 0xc2) return UTF8_REJECT;
      if (b < 0xe0) {
        need = 1;
        lo = 0x80;
        hi = 0xbf;
      } else if (b < 0xf0) {
        need = 2;
        lo = b === 0xe0 ? 0xa0 : 0x80;
        hi = b === 0xed ? 0x9f : 0xbf;
      } else if (b < 0xf5) {
        need = 3;
        lo = b === 0xf0 ? 0x90 : 0x80;
        hi = b === 0xf4 ? 0x8f : 0xbf;
      } else {
        return UTF8_REJECT;
      }
    } else {
      if (b < lo || b > hi) return UTF8_REJECT;
      need--;
      lo = 0x80;
      hi = 0xbf;
    }
  }
  return need === 0 ? UTF8_ACCEPT : (need << 16) | (lo << 8) | hi;
}
