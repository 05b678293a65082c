// Copyright 2026 the serverpush authors. MIT license.
// Attack: publish one 64 KiB message to each of thousands of new topics,
// then more to the topics that exist, against a hub handler that lets
// anyone publish. The memory backend's topic cap refuses new topics with
// 429 and its retained-bytes cap evicts the oldest messages, so the
// server's memory stays within the byte cap plus a few tens of MiB, while
// an honest subscriber of an existing topic keeps receiving. The fixture
// (fixtures/hub_topics.ts) lowers the caps to 500 topics and 48 MiB. The
// same attack runs against the Deno KV backend (in a `:memory:` store),
// whose caps are the same, with payloads that fit in a KV value.

import { ok, strictEqual } from "node:assert/strict";
import { openEvents } from "../serve/_handler_clients.ts";
import { delay, MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";

/** New topics the attacker tries, and how long it may try. */
const NEW_TOPICS = 3000;
/** Further messages to the topics the attacker did create. */
const MORE_MESSAGES = 1500;
const ATTACK_MS = 12_000;
const CONCURRENCY = 8;

Deno.test("Hub handler bounds memory when a publisher floods new topics", async () => {
  await floodTopics({}, "x".repeat(65_536), 64 * MiB);
});

Deno.test("Hub handler on the KV backend bounds memory when a publisher floods new topics", async () => {
  // Deno's KV layer (SQLite and the allocator under it) keeps native memory
  // of its own that does not depend on the caps: measured in one process
  // appending 64 KB messages, RSS grew by 144 MiB with a 16 MiB byte cap
  // and by 141 MiB with 48 MiB, after 5,000 or 11,000 appends alike (the
  // store itself held 16 and 48 MiB). It levels off; allow for it.
  await floodTopics({ BACKEND: "kv" }, "x".repeat(64_000), 192 * MiB);
});

async function floodTopics(
  env: Record<string, string>,
  PAYLOAD: string,
  slack: number,
): Promise<void> {
  // A V8 heap limit of twice the byte cap makes V8 collect the garbage (the
  // request bodies) instead of growing up to its default limit, so RSS
  // shows what the hub retains; a hub that retained every message (281
  // MiB here) would run out of heap.
  await using server = await startFixture("hub_topics", {
    env,
    denoArgs: ["--v8-flags=--expose-gc,--max-old-space-size=96"],
  });
  const maxRetainedBytes = server.ready.maxRetainedBytes as number;
  const maxTopics = server.ready.maxTopics as number;
  const origin = `http://127.0.0.1:${server.port}`;

  async function publish(topic: string, body: string): Promise<number> {
    const response = await fetch(`${origin}/hub/${topic}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body,
    });
    await response.body?.cancel();
    return response.status;
  }

  // The honest topic exists before the attack, with a subscriber.
  strictEqual(await publish("honest", "hello"), 201);
  const { events } = await openEvents(`${origin}/hub/honest`);
  const baseline = await server.memory();

  const statuses = new Map<number, number>();
  let honestSent = 0;
  const deadline = Date.now() + ATTACK_MS;
  let attacking = true;
  const { peak } = await peakRssDuring(server, async () => {
    const honest = (async () => {
      while (attacking) {
        strictEqual(await publish("honest", `h${honestSent}`), 201);
        honestSent++;
        await delay(100);
      }
    })();
    let next = 0;
    const total = NEW_TOPICS + MORE_MESSAGES;
    async function worker(): Promise<void> {
      while (next < total && Date.now() < deadline) {
        const i = next++;
        // First new topics, then topics that were created.
        const topic = i < NEW_TOPICS
          ? `attack-${i}`
          : `attack-${(i - NEW_TOPICS) % (maxTopics - 1)}`;
        const status = await publish(topic, PAYLOAD);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    attacking = false;
    await honest;
  });
  const after = await server.memory();
  const report = `statuses ${JSON.stringify([...statuses])}, baseline rss ${
    mib(baseline.rss)
  } heap ${mib(baseline.heapUsed)}, peak rss ${mib(peak)}, after rss ${
    mib(after.rss)
  } heap ${mib(after.heapUsed)} external ${mib(after.external)}`;

  // Past the topic cap, a new topic is refused with 429, nothing else.
  ok((statuses.get(429) ?? 0) > 0, report);
  ok([...statuses.keys()].every((s) => s === 201 || s === 429), report);
  ok((statuses.get(201) ?? 0) >= maxTopics - 1, report);
  // Memory stays within the retained-bytes cap plus a slack.
  ok(peak - baseline.rss <= maxRetainedBytes + slack, report);
  ok(after.rss - baseline.rss <= maxRetainedBytes + slack, report);
  ok(
    after.heapUsed + after.external - baseline.heapUsed - baseline.external <=
      maxRetainedBytes + 16 * MiB,
    report,
  );

  // The honest subscriber got every honest message, in order.
  const got = await events.take(honestSent);
  strictEqual(
    got.map((e) => e.data).join(","),
    [
      ...Array.from({ length: honestSent }, (_, i) => `h${i}`),
    ].join(","),
  );
  // And is still served after the attack.
  strictEqual(await publish("honest", "still here"), 201);
  strictEqual((await events.take(1))[0]!.data, "still here");
  await events.cancel();
}
