// Copyright 2026 the serverpush authors. MIT license.
// Clients that never read an `sseResponse` fed by a per-client push queue,
// and long-poll clients that never read their answers: what the server
// holds for each is bounded in bytes (`maxQueuedBytes` of the queue,
// `maxBatchBytes` of a poll answer), whatever the message count, and an
// honest client keeps being served.

import { ok, strictEqual } from "node:assert/strict";
import { delay, MiB, mib, startFixture } from "./_harness.ts";
import { within } from "../_wait.ts";
import { readSequence } from "./_sse_reader.ts";
import { neverReads } from "../_raw_socket.ts";

const SLOW = 4;
const MESSAGES = 600;
const BYTES = 65_536;
/**
 * What the slow SSE clients may add to heap and external memory: their
 * queues at 8 MiB each (the default `maxQueuedBytes`), plus slack. With the
 * queue bounded only by count (1000 messages), each held all 600 messages
 * (37.5 MiB).
 */
const SSE_BOUND = SLOW * 8 * MiB + 16 * MiB;
const POLLERS = 16;
/**
 * What 16 long polls that never read may add to the RSS: their answers at
 * 1 MiB each (the default `maxBatchBytes`), plus slack. Unbounded in
 * bytes, each answer carried 100 messages (6.4 MiB).
 */
const POLL_BOUND = POLLERS * MiB + 40 * MiB;

/** An honest SSE reader: the sequence numbers of the first `count` events. */
function honest(port: number, count: number): Promise<number[]> {
  return readSequence(
    `http://127.0.0.1:${port}/sse`,
    {},
    (seen) => seen.length >= count,
  );
}

Deno.test("sseResponse with createSsePushQueue holds at most maxQueuedBytes for each client that never reads", async () => {
  await using server = await startFixture("sse_push_queue");
  const port = server.port;
  const before = await server.memory();
  const slow: Deno.Conn[] = [];
  try {
    for (let i = 0; i < SLOW; i++) {
      slow.push(
        await neverReads(
          port,
          "GET /sse?policy=drop-oldest HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
        ),
      );
    }
    await delay(200);
    const reading = honest(port, MESSAGES);
    await delay(200);
    const pushed = await fetch(
      `http://127.0.0.1:${port}/control/push?count=${MESSAGES}&bytes=${BYTES}`,
    );
    strictEqual((await pushed.json()).open, SLOW + 1);
    const seen = await within(reading, "the honest client", 25_000);
    ok(seen.every((n, i) => n === i + 1), "the honest client missed none");
    // The slow clients are still connected (drop-oldest): what their
    // queues hold is in the heap now.
    const during = await server.memory();
    const grown = during.heapUsed + during.external -
      (before.heapUsed + before.external);
    // deno-lint-ignore no-console
    console.log(`heap and external with ${SLOW} slow clients: +${mib(grown)}`);
    ok(
      grown < SSE_BOUND,
      `heap and external grew by ${
        mib(grown)
      } with ${SLOW} slow clients, bound ${mib(SSE_BOUND)}`,
    );
  } finally {
    for (const conn of slow) conn.close();
  }
  await delay(300);
  const after = await server.memory();
  const left = after.heapUsed + after.external -
    (before.heapUsed + before.external);
  ok(left < 16 * MiB, `${mib(left)} still held after the clients left`);
});

Deno.test("longPoll answers hold at most maxBatchBytes for each client that never reads", async () => {
  await using server = await startFixture("sse_push_queue");
  const port = server.port;
  const base = `http://127.0.0.1:${port}`;
  strictEqual(
    (await fetch(`${base}/control/backlog?count=100&bytes=${BYTES}`)).status,
    204,
  );
  await server.memory();
  const baseline = server.rss();
  const slow: Deno.Conn[] = [];
  try {
    for (let i = 0; i < POLLERS; i++) {
      slow.push(
        await neverReads(
          port,
          // From the topic's start: each answer is a full batch of the backlog.
          "GET /poll?cursor=%5E HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
        ),
      );
    }
    await delay(1000);
    await server.memory();
    const held = server.rss() - baseline;
    // deno-lint-ignore no-console
    console.log(`RSS with ${POLLERS} unread long polls: +${mib(held)}`);
    ok(
      held < POLL_BOUND,
      `RSS grew by ${mib(held)} with ${POLLERS} unread long polls, bound ${
        mib(POLL_BOUND)
      }`,
    );
    // An honest client pages through the whole backlog.
    let cursor = "?cursor=%5E";
    let count = 0;
    for (let more = true; more;) {
      const answer = await (await fetch(`${base}/poll${cursor}`)).json();
      count += answer.messages.length;
      cursor = `?cursor=${encodeURIComponent(answer.cursor)}`;
      more = answer.more === true;
    }
    strictEqual(count, 100);
  } finally {
    for (const conn of slow) conn.close();
  }
});
