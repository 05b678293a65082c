// Copyright 2026 the serverpush authors. MIT license.
// The honest client of the SSE abuse tests: reads a stream whose events
// carry `data: <sequence number>:...` and collects the numbers.

import { strictEqual } from "node:assert/strict";

/**
 * Reads the SSE stream at `url` and resolves with the sequence numbers of
 * its events, once `enough(seen)` holds; a stream that ends first rejects.
 */
export async function readSequence(
  url: string,
  headers: HeadersInit,
  enough: (seen: number[]) => boolean,
): Promise<number[]> {
  const response = await fetch(url, { headers });
  strictEqual(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  const seen: number[] = [];
  let text = "";
  try {
    while (!enough(seen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Honest stream ended after ${seen.length}`);
      text += value;
      let at: number;
      while ((at = text.indexOf("\n\n")) >= 0) {
        const match = /^data: (\d+):/m.exec(text.slice(0, at));
        text = text.slice(at + 2);
        if (match) seen.push(Number(match[1]));
      }
    }
  } finally {
    await reader.cancel();
  }
  return seen;
}
