// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  createMemoryBackend,
  Hub,
  type HubBackend,
  HubCounters,
  LATENCY_BUCKETS,
} from "../../hub/mod.ts";

Deno.test("HubCounters counts publishes, fan-out and one delivery per subscriber", async () => {
  const hub = new Hub();
  const readers = [
    hub.subscribe("t").getReader(),
    hub.subscribe("t").getReader(),
  ];
  for (const data of ["1", "2", "3"]) await hub.publish("t", { data });
  for (const reader of readers) {
    for (let i = 0; i < 3; i++) await reader.read();
  }
  strictEqual(hub.counters.published, 3);
  strictEqual(hub.counters.fannedOut, 3);
  strictEqual(hub.counters.delivered, 6);
  await hub.close();
});

Deno.test("HubCounters times one message in 16, once per delivery", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  for (let i = 0; i < 33; i++) {
    await hub.publish("t", { data: String(i) });
    await reader.read();
  }
  // Messages 0, 16 and 32 are sampled.
  strictEqual(hub.counters.latencyCount, 3);
  strictEqual(
    hub.counters.latencyBuckets.reduce((sum, n) => sum + n, 0),
    3,
  );
  await hub.close();
});

Deno.test("HubCounters puts each latency in the first bucket that holds it", () => {
  const counters = new HubCounters({ topics: () => [] });
  counters.observeLatency(0.0001);
  counters.observeLatency(0.003);
  counters.observeLatency(60);
  const buckets = [...counters.latencyBuckets];
  strictEqual(buckets.length, LATENCY_BUCKETS.length + 1);
  strictEqual(buckets[0], 1);
  strictEqual(buckets[LATENCY_BUCKETS.indexOf(0.005)], 1);
  strictEqual(buckets.at(-1), 1);
  strictEqual(counters.latencyCount, 3);
  strictEqual(counters.latencySum, 60.0031);
});

Deno.test("HubCounters keeps the last 100 events, oldest first, each at most 300 characters", () => {
  const counters = new HubCounters({ topics: () => [] });
  for (let i = 0; i < 250; i++) {
    counters.refuse(403, `request ${i} ${"x".repeat(500)}`);
  }
  const events = counters.events();
  strictEqual(events.length, 100);
  strictEqual(events[0]!.detail.startsWith("request 150 "), true);
  strictEqual(events[99]!.detail.startsWith("request 249 "), true);
  strictEqual(events.every((event) => event.detail.length === 300), true);
  strictEqual(counters.refused.get(403), 250);
});

Deno.test("HubCounters counts a failed backend append, but not a topic limit", async () => {
  const memory = createMemoryBackend({ maxTopics: 1 });
  let fail = false;
  const backend: HubBackend = {
    append: (topic, message) =>
      fail
        ? Promise.reject(new Error("disk full"))
        : memory.append(topic, message),
    read: (topic, options) => memory.read(topic, options),
    watch: (topic, onMessage, options) =>
      memory.watch(topic, onMessage, options),
    compare: (a, b) => memory.compare(a, b),
  };
  const hub = new Hub({ backend });
  await hub.publish("a", { data: "1" });
  await rejects(hub.publish("b", { data: "2" }), /maxTopics/);
  strictEqual(hub.counters.backendErrors, 0);
  fail = true;
  await rejects(hub.publish("a", { data: "3" }), /disk full/);
  strictEqual(hub.counters.backendErrors, 1);
  strictEqual(hub.counters.published, 1);
  const event = hub.counters.events().at(-1)!;
  deepStrictEqual([event.kind, event.reason], ["error", "backend"]);
  await hub.close();
});

Deno.test("HubCounters lists topics with subscribers, messages and what the memory backend retains", async () => {
  const hub = new Hub();
  hub.subscribe("b");
  hub.subscribe("a");
  hub.subscribe("a");
  await hub.publish("a", { data: "abc" });
  await hub.publish("z", { data: "no subscriber" });
  deepStrictEqual(hub.counters.topics(), [
    {
      topic: "a",
      subscribers: 2,
      messages: 1,
      retainedMessages: 1,
      retainedBytes: 131,
    },
    {
      topic: "b",
      subscribers: 1,
      messages: 0,
      retainedMessages: 0,
      retainedBytes: 0,
    },
  ]);
  await hub.close();
});
