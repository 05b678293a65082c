// Copyright 2026 the serverpush authors. MIT license.
// History on subscribe (`history: N`): the newest N messages, then live
// ones, joined with no gap and no duplicate, the same on every transport;
// and no `since` and no `history` means live only everywhere.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  createMemoryBackend,
  Hub,
  type HubBackend,
  type HubDataMessage,
} from "../../hub/mod.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import { SERVERPUSH_V1 } from "../../message/mod.ts";
import { redisMissing, startRedisServer } from "./_redis_server.ts";
import { openEvents, openSocket, serveHub } from "../serve/_handler_clients.ts";
import { within } from "../_wait.ts";

if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the Redis history tests: ${redisMissing}`);
}

async function take(
  stream: ReadableStream<unknown>,
  count: number,
): Promise<HubDataMessage[]> {
  const reader = stream.getReader();
  const out: HubDataMessage[] = [];
  while (out.length < count) {
    const { done, value } = await within(reader.read(), "a message");
    if (done) throw new Error(`stream ended after ${out.length} messages`);
    out.push(value as HubDataMessage);
  }
  reader.releaseLock();
  return out;
}

const data = (messages: { data?: unknown }[]): string[] =>
  messages.map((m) => String(m.data));

Deno.test("hub: history N gives the newest N retained messages, then live ones", async () => {
  const hub = new Hub();
  for (const d of ["a", "b", "c", "d"]) await hub.publish("t", { data: d });
  const stream = hub.subscribe("t", { history: 2 });
  deepStrictEqual(data(await take(stream, 2)), ["c", "d"]);
  await hub.publish("t", { data: "e" });
  deepStrictEqual(data(await take(stream, 1)), ["e"]);
  await stream.cancel();
  await hub.close();
});

Deno.test("hub: history larger than the window gives all of it; 0 and none are live only", async () => {
  const hub = new Hub();
  for (const d of ["a", "b"]) await hub.publish("t", { data: d });
  const all = hub.subscribe("t", { history: 50 });
  const none = hub.subscribe("t", { history: 0 });
  const live = hub.subscribe("t");
  await hub.publish("t", { data: "c" });
  deepStrictEqual(data(await take(all, 3)), ["a", "b", "c"]);
  deepStrictEqual(data(await take(none, 1)), ["c"]);
  deepStrictEqual(data(await take(live, 1)), ["c"]);
  for (const s of [all, none, live]) await s.cancel();
  await hub.close();
});

Deno.test("hub: a bad history is a RangeError; since wins over history", async () => {
  const hub = new Hub();
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    let thrown: unknown;
    try {
      hub.subscribe("t", { history: bad });
    } catch (error) {
      thrown = error;
    }
    ok(thrown instanceof RangeError, `history ${bad}`);
  }
  const first = await hub.publish("t", { data: "a" });
  await hub.publish("t", { data: "b" });
  await hub.publish("t", { data: "c" });
  const stream = hub.subscribe("t", { since: first, history: 1 });
  deepStrictEqual(data(await take(stream, 2)), ["b", "c"]);
  await stream.cancel();
  await rejects(hub.history("t", { last: -2 }), RangeError);
  deepStrictEqual(data((await hub.history("t", { last: 2 })).messages), [
    "b",
    "c",
  ]);
  await hub.close();
});

/**
 * Subscribes with `history` while a publisher runs: what arrives must be
 * consecutive numbers (no gap, no duplicate), starting at most `history`
 * before the first live one.
 */
async function raceHistory(backend: HubBackend, rounds: number): Promise<void> {
  const hub = new Hub({ backend });
  let n = 0;
  for (; n < 20; n++) await hub.publish("race", { data: String(n) });
  let stop = false;
  const publisher = (async () => {
    while (!stop) {
      await hub.publish("race", { data: String(n++) });
      // A memory backend resolves at once: let timers and readers run.
      if (n % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
  })();
  try {
    for (let round = 0; round < rounds; round++) {
      await new Promise((resolve) => setTimeout(resolve, round % 3));
      const stream = hub.subscribe("race", { history: 5 });
      const got = (await take(stream, 40)).map((m) => Number(m.data));
      await stream.cancel();
      for (let i = 1; i < got.length; i++) {
        strictEqual(got[i], got[i - 1]! + 1, `round ${round}: ${got}`);
      }
    }
  } finally {
    stop = true;
    await publisher;
    await hub.close();
  }
}

Deno.test("hub: history joins live messages with no gap or duplicate while publishing (memory)", async () => {
  await raceHistory(createMemoryBackend(), 30);
});

Deno.test({
  name:
    "hub: history joins live messages with no gap or duplicate while publishing (Redis)",
  ignore: redisMissing !== undefined,
  async fn(): Promise<void> {
    await using redis = await startRedisServer();
    const backend = createRedisBackend({ url: redis.url });
    try {
      await raceHistory(backend, 15);
      const hub = new Hub({ backend });
      deepStrictEqual(
        (await hub.history("race", { last: 3 })).messages.length,
        3,
      );
      await hub.close();
    } finally {
      await backend.close();
    }
  },
});

Deno.test("transports: ?history=N and serverpush.v1 history give the newest N first, live only without", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, {});
  for (const d of ["a", "b", "c"]) await hub.publish("t", { data: d });
  const base = `${server.origin}/t`;

  // SSE
  const withHistory = await openEvents(`${base}?history=2`);
  const liveOnly = await openEvents(base);
  // One-topic WebSocket
  const socket = openSocket(`${base}?history=2`);
  await socket.opened;
  const bare = openSocket(base);
  await bare.opened;
  // serverpush.v1
  const v1 = openSocket(`${server.origin}/`, SERVERPUSH_V1);
  await v1.opened;
  v1.send({ type: "subscribe", topic: "t", history: 2 });
  strictEqual((await v1.next()).type, "subscribed");
  // Long polling and short polling with history
  const long = await (await fetch(`${base}?transport=longpoll&history=2`))
    .json();
  const short = await (await fetch(`${base}?transport=poll&history=1`)).json();
  const head = await (await fetch(`${base}?transport=poll`)).json();

  deepStrictEqual(
    (await withHistory.events.take(2)).map((e) => e.data),
    ["b", "c"],
  );
  const fromSocket = [await socket.next(), await socket.next()];
  deepStrictEqual(fromSocket.map((m) => m.data), ["b", "c"]);
  const fromV1 = [await v1.next(), await v1.next()];
  deepStrictEqual(fromV1.map((m) => m.data), ["b", "c"]);
  deepStrictEqual(
    long.messages.map((m: { data: string }) => m.data),
    ["b", "c"],
  );
  deepStrictEqual(short.messages.map((m: { data: string }) => m.data), ["c"]);
  // Without a cursor or history: no messages, and the newest id as cursor.
  deepStrictEqual(head.messages, []);
  strictEqual(head.cursor, short.cursor);

  const id = await hub.publish("t", { data: "d" });
  deepStrictEqual((await liveOnly.events.take(1)).map((e) => e.data), ["d"]);
  strictEqual((await bare.next()).data, "d");
  strictEqual((await socket.next()).data, "d");
  strictEqual((await v1.next()).data, "d");
  const next = await (await fetch(
    `${base}?transport=poll&cursor=${encodeURIComponent(head.cursor)}`,
  )).json();
  deepStrictEqual(next.messages, [{ id, data: "d" }]);
  strictEqual(bare.pending, 0);

  for (const bad of ["-1", "x", "1.5", "99999999"]) {
    const response = await fetch(`${base}?history=${bad}`, {
      headers: { accept: "text/event-stream" },
    });
    strictEqual(response.status, 400, `?history=${bad}`);
    await response.body?.cancel();
    const polled = await fetch(`${base}?transport=poll&history=${bad}`);
    strictEqual(polled.status, 400, `poll ?history=${bad}`);
    await polled.body?.cancel();
  }
  v1.send({ type: "subscribe", topic: "u", history: -3 });
  strictEqual((await v1.next()).code, "invalid-message");

  await withHistory.events.cancel();
  await liveOnly.events.cancel();
  await socket.close();
  await bare.close();
  await v1.close();
  await hub.close();
});

Deno.test("long polling without a cursor waits for the next message, also on an empty topic", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, {});
  const pending = fetch(`${server.origin}/empty?transport=longpoll`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const id = await hub.publish("empty", { data: "first" });
  const batch = await (await pending).json();
  deepStrictEqual(batch, { cursor: id, messages: [{ id, data: "first" }] });
  await hub.close();
});
