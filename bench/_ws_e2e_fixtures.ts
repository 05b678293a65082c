// Copyright 2026 the serverpush authors. MIT license.
// Seeded, deterministic messages for bench/ws_e2e.ts: JSON-like text of an
// exact byte length, as compressible as typical application messages (a few
// words and numbers repeated with variations), so permessage-deflate has
// realistic work to do.

const WORDS: readonly string[] = Object.freeze([
  "price",
  "symbol",
  "volume",
  "bid",
  "ask",
  "temperature",
  "voltage",
  "status",
  "online",
  "offline",
  "user",
  "message",
  "channel",
  "updated",
]);

/** The message sizes of the benchmark, in bytes. */
export const E2E_SIZES: readonly number[] = Object.freeze([32, 1024, 65536]);

/**
 * A text message of exactly `bytes` ASCII bytes, the same for the same
 * `seed`.
 */
export function makeE2eMessage(
  options: { bytes: number; seed: number },
): string {
  let state = options.seed >>> 0;
  function random(): number {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const parts: string[] = [];
  let length = 0;
  while (length < options.bytes) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    const part = `{"${word}":${Math.floor(random() * 100000)},"t":${
      Math.floor(random() * 1000)
    }},`;
    parts.push(part);
    length += part.length;
  }
  return parts.join("").slice(0, options.bytes);
}
