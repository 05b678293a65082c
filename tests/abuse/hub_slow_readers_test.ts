// Copyright 2026 the serverpush authors. MIT license.
// Clients that open SSE and forever-iframe streams of a hub topic and never
// read, while 64 KiB messages are published steadily: each subscriber's
// queue is bounded in bytes (the hub's `maxQueuedBytes`), so the server
// holds a bounded amount per slow reader, cuts them off (the hub's "close"
// policy), and an honest SSE client keeps receiving every message.

import { ok, strictEqual } from "node:assert/strict";
import { delay, MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";
import { within } from "../_wait.ts";
import { readSequence } from "./_sse_reader.ts";
import { drain, neverReads, readUntil } from "../_raw_socket.ts";

const SLOW_SSE = 8;
const SLOW_IFRAME = 8;
const MESSAGES = 1400;
const BYTES = 65_536;
/**
 * Growth of the server's RSS over its baseline, at its peak. Measured
 * here: the same publishing with no slow reader, +54 MiB (garbage not yet
 * collected); with the 16 slow readers, +221 MiB when queues were bounded
 * only by count (1000 messages), +98 MiB with the 8 MiB maxQueuedBytes.
 */
const PEAK_BOUND = 144 * MiB;
/** Heap and external memory after the attack, over the baseline. */
const AFTER_BOUND = 16 * MiB;

/** An honest SSE reader: resolves with the sequence numbers it received. */
function honest(port: number, last: number): Promise<number[]> {
  return readSequence(
    `http://127.0.0.1:${port}/t`,
    { accept: "text/event-stream" },
    (seen) => seen.at(-1) === last,
  );
}

Deno.test("hub handler: SSE and iframe clients that never read are cut off at maxQueuedBytes while an honest client gets every message", async () => {
  await using server = await startFixture("hub_slow_readers");
  const port = server.port;
  const before = await server.memory();
  const baseline = before.rss;
  const slow: Deno.Conn[] = [];
  try {
    for (let i = 0; i < SLOW_SSE; i++) {
      slow.push(
        await neverReads(
          port,
          "GET /t HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n",
        ),
      );
    }
    for (let i = 0; i < SLOW_IFRAME; i++) {
      slow.push(
        await neverReads(
          port,
          "GET /t?transport=iframe&callback=cb HTTP/1.1\r\nhost: 127.0.0.1\r\nsec-fetch-dest: iframe\r\n\r\n",
        ),
      );
    }
    const base = `http://127.0.0.1:${port}/control`;
    const { peak, result: seen } = await peakRssDuring(server, async () => {
      const reading = honest(port, MESSAGES);
      await delay(200);
      const started = await fetch(
        `${base}/publish?count=${MESSAGES}&bytes=${BYTES}&every=5`,
      );
      strictEqual(started.status, 202);
      return await within(reading, "the honest client", 25_000);
    });
    // Every message, in order, none twice.
    strictEqual(seen.length, MESSAGES);
    ok(seen.every((n, i) => n === i + 1), "the honest client missed none");
    // The slow readers were cut off: at most the honest client's
    // subscription is left (the server sees its cancel on its next write).
    const stats = await (await fetch(`${base}/stats`)).json();
    ok(stats.subscribers <= 1, JSON.stringify(stats));
    // The server closed the slow SSE connections: what they hold drains to
    // the end (or a reset).
    await within(drain(slow[0]!), "a slow SSE connection to close", 15_000);
    // A forever-iframe page ends by itself after its maxBytes (128 KiB):
    // the never-reading client holds one finished page, the reconnect
    // call at its end.
    const page = await within(
      readUntil(slow[SLOW_SSE]!, '"reconnect"'),
      "the end of a slow iframe page",
      15_000,
    );
    ok(page.length < 256 * 1024, `the page is ${page.length} bytes`);
    // deno-lint-ignore no-console
    console.log(
      `baseline ${mib(baseline)}, peak ${mib(peak)} (+${mib(peak - baseline)})`,
    );
    ok(
      peak - baseline < PEAK_BOUND,
      `peak RSS ${mib(peak)} is ${mib(peak - baseline)} over the baseline ${
        mib(baseline)
      }, bound ${mib(PEAK_BOUND)}`,
    );
  } finally {
    for (const conn of slow) conn.close();
  }
  await delay(300);
  const after = await server.memory();
  const grown = after.heapUsed + after.external -
    (before.heapUsed + before.external);
  // deno-lint-ignore no-console
  console.log(`heap and external after: +${mib(grown)}`);
  ok(
    grown < AFTER_BOUND,
    `heap and external memory after the attack are ${
      mib(grown)
    } over the baseline`,
  );
});
