// Copyright 2026 the serverpush authors. MIT license.
// Shared helpers for the WebSocket codec tests.

import {
  type WsCompressor,
  WsFrameDecoderStream,
  type WsMessage,
  WsMessageDecoderStream,
} from "../../ws/mod.ts";

/** Bytes from a hex string ("81 02" or "8102"). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/** Hex string of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Joins byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** What came out of a stream: every item, then the error if it failed. */
export interface Outcome<T> {
  items: T[];
  error: unknown;
}

/** Reads `stream` to its end or its error. */
export async function collect<T>(
  stream: ReadableStream<T>,
): Promise<Outcome<T>> {
  const items: T[] = [];
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return { items, error: undefined };
      items.push(value);
    }
  } catch (error) {
    return { items, error };
  }
}

/** Options of the decoding pipeline used by the conformance tests. */
export interface PipelineOptions {
  role: "client" | "server";
  maxFrameBytes?: number;
  maxMessageBytes?: number;
  compressor?: WsCompressor;
}

/** Bytes → WsFrameDecoderStream → WsMessageDecoderStream. */
export function decodeMessages(
  chunks: Uint8Array[],
  options: PipelineOptions,
): Promise<Outcome<WsMessage>> {
  const { role, maxFrameBytes, maxMessageBytes, compressor } = options;
  return collect(
    ReadableStream.from(chunks)
      .pipeThrough(
        new WsFrameDecoderStream({
          role,
          allowRsv1: compressor !== undefined,
          ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
        }),
      )
      .pipeThrough(
        new WsMessageDecoderStream({
          ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
          ...(compressor === undefined ? {} : { compressor }),
        }),
      ),
  );
}

/** Mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
