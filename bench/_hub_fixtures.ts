// Copyright 2026 the serverpush authors. MIT license.
// Seeded, deterministic payloads for the hub benchmarks.

/** A `length`-character printable-ASCII string from a seeded generator. */
export function makeTextPayload(
  options: { length: number; seed: number },
): string {
  let state = options.seed >>> 0;
  const chars: string[] = [];
  for (let i = 0; i < options.length; i++) {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const random = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    chars.push(String.fromCharCode(32 + Math.floor(random * 95)));
  }
  return chars.join("");
}
