// Copyright 2026 the serverpush authors. MIT license.
// Publish-to-delivery latency of the Deno KV backend, next to memory and
// Redis, in one run.
//
//   deno run -A --unstable-kv bench/hub_kv_latency.ts [messages]
//
// 100 subscribers read one topic; one message is in flight at a time (the
// next is published once every subscriber has the previous one), so the
// figures are latency, not queueing. "A -> B" publishes on one backend and
// subscribes on another. For KV on a file, A is another process
// (bench/_kv_publisher.ts) and B learns of the message by polling a counter
// every `pollMs` (a local file's `kv.watch` does not see other processes'
// writes); the time is taken from the wall clock on both sides. For Redis,
// both backends are in this process and B reads through its blocking XREAD
// loop. A redis-server is started on loopback when installed.

import { Hub } from "../hub/mod.ts";
import { createKvBackend } from "../hub/kv.ts";
import { createRedisBackend } from "../hub/redis.ts";
import { redisMissing, startRedisServer } from "../tests/hub/_redis_server.ts";
import { fileURLToPath as fromFileUrl } from "node:url";

const SUBSCRIBERS = 100;
const MESSAGES = Number(Deno.args[0] ?? 200);
const WARMUP = 10;
const payload = "x".repeat(256);

interface Closable {
  close(): Promise<void>;
}

/** Per message, ms until the median and the last subscriber had it. */
async function measure(
  publisher: Hub,
  subscriber: Hub,
): Promise<{ median: number[]; last: number[] }> {
  const topic = `latency-${crypto.randomUUID()}`;
  const readers = Array.from(
    { length: SUBSCRIBERS },
    () => subscriber.subscribe(topic).getReader(),
  );
  await subscriber.history(topic, { limit: 1 });
  const median: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < WARMUP + MESSAGES; i++) {
    const start = performance.now();
    await publisher.publish(topic, { data: payload });
    const times = await Promise.all(
      readers.map(async (reader) => {
        const { value } = await reader.read();
        if (value?.kind !== "message") throw new Error("unexpected reset");
        return performance.now() - start;
      }),
    );
    if (i < WARMUP) continue;
    times.sort((a, b) => a - b);
    median.push(times[times.length >> 1]!);
    last.push(times.at(-1)!);
  }
  for (const reader of readers) await reader.cancel();
  return { median, last };
}

function quantile(values: number[], q: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
    .toFixed(2);
}

const rows: [string, string, string, string][] = [];
let base = 0;

async function run(
  name: string,
  open: () => Promise<[Hub, Hub, Closable[]]>,
): Promise<void> {
  const [a, b, backends] = await open();
  const { median, last } = await measure(a, b);
  await a.close();
  if (b !== a) await b.close();
  for (const backend of backends) await backend.close();
  rows.push(row(name, median, last));
}

function row(
  name: string,
  median: number[],
  last: number[],
): [string, string, string, string] {
  const p50 = Number(quantile(median, 0.5));
  base ||= p50;
  return [
    name,
    `${quantile(median, 0.5)} / ${quantile(median, 0.99)}`,
    `${quantile(last, 0.5)} / ${quantile(last, 0.99)}`,
    `${(p50 / base).toFixed(1)}x`,
  ];
}

await run("memory: one hub", () => {
  const hub = new Hub();
  return Promise.resolve([hub, hub, []]);
});
await run("kv :memory: one backend", () => {
  const backend = createKvBackend(":memory:");
  const hub = new Hub({ backend });
  return Promise.resolve([hub, hub, [backend]]);
});
/** Per message, ms from the other process's publish to each delivery. */
async function acrossProcesses(
  pollMs: number,
  path: string,
): Promise<{ median: number[]; last: number[] }> {
  const topic = "latency";
  const backend = createKvBackend(path, { pollMs });
  const hub = new Hub({ backend });
  const readers = Array.from(
    { length: SUBSCRIBERS },
    () => hub.subscribe(topic).getReader(),
  );
  await hub.history(topic, { limit: 1 });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--allow-read",
      "--allow-write",
      fromFileUrl(new URL("./_kv_publisher.ts", import.meta.url)),
      path,
      topic,
    ],
    stdin: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const median: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < WARMUP + MESSAGES; i++) {
    await writer.write(new TextEncoder().encode("\n"));
    const times = await Promise.all(
      readers.map(async (reader) => {
        const { value } = await reader.read();
        if (value?.kind !== "message") throw new Error("unexpected reset");
        return performance.timeOrigin + performance.now() - Number(value.data);
      }),
    );
    if (i < WARMUP) continue;
    times.sort((a, b) => a - b);
    median.push(times[times.length >> 1]!);
    last.push(times.at(-1)!);
  }
  await writer.close();
  await child.status;
  for (const reader of readers) await reader.cancel();
  await hub.close();
  await backend.close();
  return { median, last };
}

const dir = await Deno.makeTempDir({ prefix: "serverpush_kv_bench_" });
for (const pollMs of [50, 10]) {
  const { median, last } = await acrossProcesses(
    pollMs,
    `${dir}/hub-${pollMs}.sqlite`,
  );
  rows.push(row(`kv file, process A -> B, pollMs ${pollMs}`, median, last));
}
await Deno.remove(dir, { recursive: true });
if (redisMissing === undefined) {
  await using redis = await startRedisServer();
  await run("redis A -> B", () => {
    const a = createRedisBackend({ url: redis.url });
    const b = createRedisBackend({ url: redis.url });
    return Promise.resolve([
      new Hub({ backend: a }),
      new Hub({ backend: b }),
      [a, b],
    ]);
  });
}

// deno-lint-ignore no-console
console.log(
  `Publish-to-delivery ms (p50 / p99 over ${MESSAGES} messages), ` +
    `${SUBSCRIBERS} subscribers on one topic, 256-byte text, one message in ` +
    `flight${redisMissing === undefined ? "" : ` (Redis: ${redisMissing})`}\n`,
);
// deno-lint-ignore no-console
console.log(
  [
    "| case | median subscriber | last subscriber | p50 vs memory |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n"),
);
