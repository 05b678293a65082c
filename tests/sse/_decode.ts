// Copyright 2026 the serverpush authors. MIT license.
// Helpers for the SSE decoder tests: run input through the parser or the
// stream and collect everything the user can observe.

import { deepStrictEqual } from "node:assert/strict";
import { chunkings } from "../_chunks.ts";
import { SseDecoderStream } from "../../sse/decoder_stream.ts";
import {
  createSseParser,
  type SseEvent,
  type SseParserOptions,
} from "../../sse/parser.ts";

/** Everything a user of the parser or the stream observes. */
export interface Decoded {
  events: SseEvent[];
  retries: number[];
  comments: string[];
  lastEventId: string;
  retry: number | undefined;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes from space-separated hex. */
export function hex(text: string): Uint8Array {
  const digits = text.replaceAll(" ", "");
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/** `parts` joined into one byte array. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** Feeds `chunks` to one parser, then ends it. */
export function parse(
  chunks: Iterable<Uint8Array | string>,
  options?: SseParserOptions,
): Decoded {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = createSseParser({
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  }, options);
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return {
    events,
    retries,
    comments,
    lastEventId: parser.lastEventId,
    retry: parser.retry,
  };
}

/** Pipes `chunks` through one {@linkcode SseDecoderStream}. */
export async function decode(
  chunks: Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
  options: { maxEventBytes?: number; lastEventId?: string } = {},
): Promise<Decoded> {
  const retries: number[] = [];
  const comments: string[] = [];
  const stream = new SseDecoderStream({
    ...options,
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  });
  const events = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(stream),
  );
  return {
    events,
    retries,
    comments,
    lastEventId: stream.lastEventId,
    retry: stream.retry,
  };
}

/** What `decoded` would be for `events` and nothing else. */
export function only(
  events: SseEvent[],
  rest: Partial<Omit<Decoded, "events">> = {},
): Decoded {
  return {
    events,
    retries: rest.retries ?? [],
    comments: rest.comments ?? [],
    lastEventId: rest.lastEventId ?? "",
    retry: rest.retry,
  };
}

/** A `message` event, the commonest shape in these tests. */
export function message(data: string, lastEventId = ""): SseEvent {
  return { type: "message", data, lastEventId };
}

/**
 * Asserts that the parser gives `expected` for `input` fed whole, one byte
 * at a time and split in two at every index.
 */
export function assertParsesEveryWay(
  input: Uint8Array | string,
  expected: Decoded,
  options?: SseParserOptions,
): void {
  const bytes = typeof input === "string" ? utf8(input) : input;
  for (const { name, chunks } of chunkings(bytes)) {
    deepStrictEqual(parse(chunks, options), expected, name);
  }
}

/**
 * Asserts that {@linkcode SseDecoderStream} gives `expected` for `input` fed
 * whole, one byte at a time and split in two at every index.
 */
export async function assertDecodesEveryWay(
  input: Uint8Array | string,
  expected: Decoded,
  options?: { maxEventBytes?: number; lastEventId?: string },
): Promise<void> {
  const bytes = typeof input === "string" ? utf8(input) : input;
  for (const { name, chunks } of chunkings(bytes)) {
    deepStrictEqual(await decode(chunks, options), expected, name);
  }
}

/**
 * Ways to cut `text` into string chunks: whole, one code unit at a time, and
 * in two at every index (a surrogate pair may be cut, as a caller could).
 */
export function* textChunkings(
  text: string,
): Generator<{ name: string; chunks: string[] }> {
  yield { name: "whole", chunks: [text] };
  yield { name: "one code unit at a time", chunks: [...text.split("")] };
  for (let i = 1; i < text.length; i++) {
    yield {
      name: `split at ${i}`,
      chunks: [text.slice(0, i), text.slice(i)],
    };
  }
}
