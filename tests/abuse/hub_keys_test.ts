// Copyright 2026 the serverpush authors. MIT license.
// Attack: publish 64 KiB messages under thousands of distinct keys to a few
// keyed topics, against a hub handler that lets anyone publish. A topic's
// state holds the latest message of every key, so without a bound it would
// grow with every new key (4,000 keys here: 250 MiB). `maxKeysPerTopic`
// (200 in the fixture, fixtures/hub_keys.ts) refuses a new key past it
// with 429, so the server's memory stays within topics x keys x 64 KiB
// (about 37.5 MiB) plus the replay window and a slack, while an honest
// state subscriber keeps receiving.

import { ok, strictEqual } from "node:assert/strict";
import { openEvents } from "../serve/_handler_clients.ts";
import { MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";

const TOPICS = 3;
const KEYS_PER_TOPIC = 1400;
const ATTACK_MS = 12_000;
const CONCURRENCY = 8;
const PAYLOAD = "x".repeat(65_536);

Deno.test("Hub handler bounds memory when a publisher floods a keyed topic with new keys", async () => {
  // A V8 heap limit well under what unbounded state would take (250 MiB)
  // makes V8 collect garbage instead of growing, so RSS shows what the hub
  // retains.
  await using server = await startFixture("hub_keys", {
    denoArgs: ["--v8-flags=--expose-gc,--max-old-space-size=80"],
  });
  const maxKeys = server.ready.maxKeysPerTopic as number;
  const maxMessages = server.ready.maxMessages as number;
  const origin = `http://127.0.0.1:${server.port}`;

  async function publish(path: string, body: string): Promise<number> {
    const response = await fetch(`${origin}/hub/${path}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body,
    });
    await response.body?.cancel();
    return response.status;
  }

  strictEqual(await publish("honest?key=status", "ok"), 201);
  const { events } = await openEvents(`${origin}/hub/honest?state=1`);
  strictEqual((await events.take(1))[0]!.data, "ok");
  const baseline = await server.memory();

  const statuses = new Map<number, number>();
  let next = 0;
  const total = TOPICS * KEYS_PER_TOPIC;
  const deadline = Date.now() + ATTACK_MS;
  const { peak } = await peakRssDuring(server, async () => {
    async function worker(): Promise<void> {
      while (next < total && Date.now() < deadline) {
        const i = next++;
        const status = await publish(
          `attack-${i % TOPICS}?key=k${Math.floor(i / TOPICS)}`,
          PAYLOAD,
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  });
  const after = await server.memory();
  // What the topics may hold: every key's latest message, plus the window.
  const bound = TOPICS * (maxKeys + maxMessages) * PAYLOAD.length;
  const report = `statuses ${JSON.stringify([...statuses])}, sent ${next}, ` +
    `bound ${mib(bound)}, baseline rss ${mib(baseline.rss)} heap ${
      mib(baseline.heapUsed)
    }, peak rss ${mib(peak)}, after rss ${mib(after.rss)} heap ${
      mib(after.heapUsed)
    } external ${mib(after.external)}`;

  // Past the key cap, a new key is refused with 429, nothing else.
  strictEqual(statuses.get(201), TOPICS * maxKeys, report);
  ok((statuses.get(429) ?? 0) > TOPICS * maxKeys, report);
  ok([...statuses.keys()].every((s) => s === 201 || s === 429), report);
  // Memory stays within the bound plus a slack.
  ok(peak - baseline.rss <= bound + 64 * MiB, report);
  ok(
    after.heapUsed + after.external - baseline.heapUsed - baseline.external <=
      bound + 16 * MiB,
    report,
  );

  // The honest state subscriber is still served, and a held key still
  // takes new values on an attacked topic.
  strictEqual(await publish("honest?key=status", "still here"), 201);
  strictEqual((await events.take(1))[0]!.data, "still here");
  strictEqual(await publish("attack-0?key=k0", "small"), 201);
  await events.cancel();
});
