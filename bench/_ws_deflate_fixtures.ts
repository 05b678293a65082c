// Copyright 2026 the serverpush authors. MIT license.
// Seeded, deterministic payloads for the permessage-deflate tests and
// benchmarks: JSON chat messages that repeat words and keys, the way real
// WebSocket traffic does.

const WORDS = [
  "hello",
  "world",
  "push",
  "server",
  "socket",
  "deflate",
  "message",
  "client",
  "topic",
  "event",
  "stream",
  "window",
] as const;

/** A small, fast, seeded pseudo-random generator (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options for {@linkcode makeChatMessages}. */
export interface ChatMessagesOptions {
  count: number;
  /** Approximate size of each message in bytes. */
  bytes: number;
  seed: number;
}

/** `count` UTF-8 JSON messages of about `bytes` bytes each. */
export function makeChatMessages(options: ChatMessagesOptions): Uint8Array[] {
  const next = random(options.seed);
  const encoder = new TextEncoder();
  const out: Uint8Array[] = [];
  for (let i = 0; i < options.count; i++) {
    const words: string[] = [];
    let size = 0;
    while (size < options.bytes - 60) {
      const word = WORDS[Math.floor(next() * WORDS.length)]!;
      words.push(word);
      size += word.length + 1;
    }
    const text = JSON.stringify({
      id: i,
      topic: WORDS[i % WORDS.length],
      at: 1_700_000_000_000 + Math.floor(next() * 1e9),
      text: words.join(" "),
    });
    out.push(encoder.encode(text));
  }
  return out;
}

/** `bytes` seeded random bytes, which do not compress. */
export function makeRandomBytes(bytes: number, seed: number): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length: bytes }, () => Math.floor(next() * 256));
}
