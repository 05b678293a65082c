// Copyright 2026 the serverpush authors. MIT license.
// Publish-to-delivery latency of the hub, in memory and through Redis.
//
//   deno run -A bench/hub_redis_latency.ts [messages]
//
// Starts its own redis-server on loopback (it must be installed). For each
// case, 1,000 subscribers read one topic; messages are published one at a
// time, the next once every subscriber has the previous one (so the figures
// are latency, not queueing). A sample is the time from just before
// `hub.publish` to a subscriber's `read()` resolving with the message.
// The Redis cases run two backends in this one process (two connections
// each, as two server instances would have); "A -> B" publishes on one and
// subscribes on the other, so every message goes through Redis's XADD and
// the other backend's blocking XREAD loop.

import { Hub, type HubMessage } from "../hub/mod.ts";
import { createRedisBackend, type RedisBackend } from "../hub/redis.ts";
import { startRedisServer } from "../tests/hub/_redis_server.ts";
import { makeTextPayload } from "./_hub_fixtures.ts";

const SUBSCRIBERS = 1000;
const MESSAGES = Number(Deno.args[0] ?? 300);
const WARMUP = 20;
const payload = makeTextPayload({ length: 256, seed: 7 });

interface Result {
  name: string;
  /** Per subscriber and message, in ms. */
  deliveries: number[];
  /** Per message: until the last subscriber had it, in ms. */
  lastDelivery: number[];
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

async function measure(
  name: string,
  publisher: Hub,
  subscriber: Hub,
): Promise<Result> {
  const topic = `latency-${crypto.randomUUID()}`;
  const deliveries: number[] = [];
  const lastDelivery: number[] = [];
  let pending = 0;
  let allDelivered: (() => void) | undefined;
  let sent = 0;
  let publishedAt = 0;

  const readers = Array.from(
    { length: SUBSCRIBERS },
    () => subscriber.subscribe(topic).getReader(),
  );
  // The subscriptions' watch start is in place once a later read completed.
  await subscriber.history(topic, { limit: 1 });
  const loops = readers.map(async (reader) => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const now = performance.now();
      const message = value as HubMessage;
      if (message.kind !== "message") throw new Error("unexpected reset");
      if (sent > WARMUP) deliveries.push(now - publishedAt);
      if (--pending === 0) {
        if (sent > WARMUP) lastDelivery.push(now - publishedAt);
        allDelivered?.();
      }
    }
  });

  for (let i = 0; i < WARMUP + MESSAGES; i++) {
    const done = new Promise<void>((resolve) => allDelivered = resolve);
    pending = SUBSCRIBERS;
    sent++;
    publishedAt = performance.now();
    await publisher.publish(topic, { data: payload });
    await done;
  }
  for (const reader of readers) await reader.cancel();
  await Promise.all(loops);
  return { name, deliveries, lastDelivery };
}

function row(result: Result): string[] {
  const d = [...result.deliveries].sort((a, b) => a - b);
  const l = [...result.lastDelivery].sort((a, b) => a - b);
  const ms = (x: number): string => x.toFixed(3);
  return [
    result.name,
    String(result.lastDelivery.length),
    String(d.length),
    ms(percentile(d, 0.5)),
    ms(percentile(d, 0.99)),
    ms(percentile(l, 0.5)),
    ms(percentile(l, 0.99)),
  ];
}

function table(rows: string[][]): string {
  const header = [
    "case",
    "messages",
    "samples",
    "p50 ms",
    "p99 ms",
    "all p50 ms",
    "all p99 ms",
  ];
  const all = [header, ...rows];
  const widths = header.map((_, c) =>
    Math.max(...all.map((r) => r[c]!.length))
  );
  const line = (r: string[]): string =>
    "| " +
    r.map((cell, c) =>
      c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)
    )
      .join(" | ") +
    " |";
  return [
    line(header),
    "|" +
    widths.map((w, c) => "-" + "-".repeat(w) + (c === 0 ? "-" : ":")).join(
      "|",
    ) + "|",
    ...rows.map(line),
  ].join("\n");
}

await using redis = await startRedisServer();
const results: Result[] = [];

{
  const hub = new Hub();
  results.push(await measure("memory: one hub", hub, hub));
  await hub.close();
}

const backends: RedisBackend[] = [
  createRedisBackend({ url: redis.url }),
  createRedisBackend({ url: redis.url }),
];
const [hubA, hubB] = backends.map((backend) => new Hub({ backend }));
results.push(await measure("redis: same instance", hubA!, hubA!));
results.push(await measure("redis: instance A -> instance B", hubA!, hubB!));
await hubA!.close();
await hubB!.close();
for (const backend of backends) await backend.close();

// deno-lint-ignore no-console
console.log(
  `Publish-to-delivery latency, ${SUBSCRIBERS} subscribers on one topic, ` +
    `${payload.length}-byte text messages, one message in flight at a time ` +
    `(p50 / p99 over every subscriber's delivery; "all": until the last ` +
    `subscriber had it).\n\n${table(results.map(row))}`,
);
