// Copyright 2026 the serverpush authors. MIT license.
// Live delivery through Redis as the number of watched topics grows: the
// previous algorithm (one XREAD over every watched stream per wake-up) and
// the current one (a Pub/Sub notification, then a read of one stream), side
// by side in one run.
//
//   deno run -A bench/hub_redis_scale.ts [messages] [topics,...] [seconds]
//
// Each case runs in a process of its own with a redis-server of its own on
// loopback (redis-server must be installed); the previous backend comes
// from git (`git archive 644f180 hub message
// _internal` into a temporary directory). Two hubs, A and B, each over a
// backend of its own (as two server instances would be). Hub B holds one
// subscriber on each of N topics; hub A publishes one message at a time to
// a random topic, the next once B's subscriber has it. A sample is the time from just before
// `hub.publish` on A to the subscriber's `read()` on B resolving. Then, with
// the most topics, 100 publishers in flight for `seconds`, each publishing
// to a random topic and waiting for its delivery before the next: delivered
// messages per second, and Redis's CPU time (user + system, from
// /proc/<pid>/stat) per delivered message.

import { Hub, type HubBackend } from "../hub/mod.ts";
import { createRedisBackend } from "../hub/redis.ts";
import { startRedisServer } from "../tests/hub/_redis_server.ts";
import { makeTextPayload } from "./_hub_fixtures.ts";

const OLD_COMMIT = "644f180";
const MESSAGES = Number(Deno.args[0] ?? 200);
const TOPIC_COUNTS = (Deno.args[1] ?? "10,1000,20000,100000").split(",")
  .map(Number);
const SUSTAINED_SECONDS = Number(Deno.args[2] ?? 5);
const PUBLISHERS = 100;
/** Room for the watch starts of a batch of subscriptions. */
const maxPendingCommands = 100_000;
/** The previous backend can keep Redis busy for seconds at 100,000 topics. */
const timeoutMs = 60_000;
const WARMUP = 20;
const payload = makeTextPayload({ length: 256, seed: 7 });

type BackendFactory = (url: string) => HubBackend & { close(): Promise<void> };

/**
 * The Redis backend as it was at OLD_COMMIT, extracted into a temporary
 * directory (outside the repository, where `deno test --doc` would find it),
 * removed when the process exits.
 */
async function oldBackend(): Promise<BackendFactory> {
  const root = new URL("../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: `redis_scale_${OLD_COMMIT}_` });
  globalThis.addEventListener("unload", () => {
    Deno.removeSync(dir, { recursive: true });
  });
  const archive = new Deno.Command("git", {
    args: ["archive", OLD_COMMIT, "hub", "message", "_internal"],
    cwd: root,
    stdout: "piped",
  }).spawn();
  const untar = new Deno.Command("tar", {
    args: ["-x", "-C", dir],
    stdin: "piped",
  }).spawn();
  await archive.stdout.pipeTo(untar.stdin);
  if (!(await archive.status).success || !(await untar.status).success) {
    throw new Error(`cannot extract the backend of ${OLD_COMMIT} from git`);
  }
  const module = await import(`${dir}/hub/redis.ts`);
  return (url) =>
    module.createRedisBackend({ url, maxPendingCommands, timeoutMs });
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** Redis's CPU time so far, user + system, in ms. */
function redisCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Two hubs over `create`, B subscribed to `topics` topics. */
async function setUp(create: BackendFactory, url: string, topics: number) {
  const backends = [create(url), create(url)];
  const [a, b] = backends.map((backend) => new Hub({ backend })) as [Hub, Hub];
  const waiting = new Map<string, () => void>();
  let resets = 0;
  const loops: Promise<void>[] = [];
  const readers: ReadableStreamDefaultReader<unknown>[] = [];
  const stop = async (): Promise<void> => {
    for (const reader of readers) await reader.cancel();
    await Promise.all(loops);
    await a.close();
    await b.close();
    for (const backend of backends) await backend.close();
  };
  try {
    for (let i = 0; i < topics; i++) {
      const reader = b.subscribe(`t${i}`).getReader();
      readers.push(reader);
      loops.push((async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const message = value as { kind: string; data?: unknown };
          if (message.kind !== "message") {
            // A reset: the backend lost track; the sample waits for the
            // message (the reset's replay brings it) and the run says so.
            resets++;
            continue;
          }
          const tag = (message.data as string).slice(0, 12);
          waiting.get(tag)?.();
          waiting.delete(tag);
        }
      })());
      // Every watch start so far precedes this read on B's command
      // connection.
      if (i % 5000 === 4999 || i === topics - 1) {
        await b.history("t0", { limit: 1 });
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  let sequence = 0;
  return {
    /** Resets the subscribers received so far. */
    resets: (): number => resets,
    /** Publishes to a random topic; resolves with ms until delivery. */
    async once(): Promise<number> {
      const tag = String(++sequence).padStart(12, "0");
      const delivered = new Promise<void>((resolve) =>
        waiting.set(tag, resolve)
      );
      const start = performance.now();
      await a.publish(`t${Math.floor(Math.random() * topics)}`, {
        data: tag + payload,
      });
      await delivered;
      return performance.now() - start;
    },
    close: stop,
  };
}

interface Row {
  topics: number;
  p50: number;
  p99: number;
  perSecond: number;
  /** Why the case could not be measured, if it could not. */
  failed?: string;
  /** Resets the subscribers received (a backend that lost track). */
  resets?: number;
}

/** `run()`, or the case's failure as a result. */
async function attempt<T>(
  run: () => Promise<T>,
  failed: (reason: string) => T,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const { message, cause } = error as Error;
    return failed(
      cause === undefined ? message : `${message} (cause: ${cause})`,
    );
  }
}

async function oneInFlight(
  create: BackendFactory,
  topics: number,
): Promise<Row> {
  // A redis-server of its own, so that no case disturbs the next.
  await using redis = await startRedisServer();
  const bench = await setUp(create, redis.url, topics);
  const samples: number[] = [];
  let elapsed: number;
  try {
    for (let i = 0; i < WARMUP; i++) await bench.once();
    const start = performance.now();
    for (let i = 0; i < MESSAGES; i++) samples.push(await bench.once());
    elapsed = performance.now() - start;
  } finally {
    await bench.close();
  }
  samples.sort((x, y) => x - y);
  return {
    resets: bench.resets(),
    topics,
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    perSecond: MESSAGES / elapsed * 1000,
  };
}

interface Sustained {
  failed?: string;
  resets?: number;
  perSecond: number;
  p50: number;
  p99: number;
  cpuPerMessageUs: number;
}

async function sustained(
  create: BackendFactory,
  topics: number,
): Promise<Sustained> {
  await using redis = await startRedisServer();
  const redisPid = redis.pid();
  const bench = await setUp(create, redis.url, topics);
  const samples: number[] = [];
  let elapsed: number;
  let cpu: number;
  try {
    for (let i = 0; i < WARMUP; i++) await bench.once();
    const cpuBefore = redisCpuMs(redisPid);
    const start = performance.now();
    const end = start + SUSTAINED_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: PUBLISHERS }, async () => {
        while (performance.now() < end) samples.push(await bench.once());
      }),
    );
    elapsed = performance.now() - start;
    cpu = redisCpuMs(redisPid) - cpuBefore;
  } finally {
    await bench.close();
  }
  samples.sort((x, y) => x - y);
  return {
    resets: bench.resets(),
    perSecond: samples.length / elapsed * 1000,
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    cpuPerMessageUs: cpu * 1000 / samples.length,
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.map((r) => r[c]!.length))
  );
  const line = (r: string[]): string =>
    "| " + r.map((cell, c) => cell.padStart(widths[c]!)).join(" | ") + " |";
  return [
    line(header),
    "|" + widths.map((w) => "-".repeat(w + 1) + ":").join("|") + "|",
    ...rows.map(line),
  ].join("\n");
}

const ms = (x: number): string => x.toFixed(2);
const ratio = (x: number, y: number): string => (x / y).toFixed(2) + "x";

const IMPLEMENTATIONS = [`previous (${OLD_COMMIT})`, "current"];

async function factory(index: number): Promise<BackendFactory> {
  if (index === 0) return await oldBackend();
  return (url) => createRedisBackend({ url, maxPendingCommands, timeoutMs });
}

/**
 * One case, in a process of its own (so that memory and connections left by
 * one case cannot slow the next): `--case <implementation> <topics>
 * <sustained>` prints the result as JSON.
 */
async function runCase<T>(
  index: number,
  topics: number,
  load: boolean,
  failed: (reason: string) => T,
): Promise<T> {
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      String(MESSAGES),
      String(topics),
      String(SUSTAINED_SECONDS),
      "--case",
      String(index),
      String(load),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const out = new TextDecoder().decode(child.stdout).trim().split("\n").at(-1);
  if (!child.success || out === undefined || out === "") {
    return failed(`the case's process failed (${child.code})`);
  }
  // JSON has no NaN: a case that failed comes back with nulls.
  return JSON.parse(out, (_, value) => value === null ? NaN : value) as T;
}

if (Deno.args[3] === "--case") {
  const create = await factory(Number(Deno.args[4]));
  const topics = TOPIC_COUNTS[0]!;
  const result = Deno.args[5] === "true"
    ? await attempt(() => sustained(create, topics), (reason) => ({
      perSecond: NaN,
      p50: NaN,
      p99: NaN,
      cpuPerMessageUs: NaN,
      failed: reason,
    }))
    : await attempt(() => oneInFlight(create, topics), (reason) => ({
      topics,
      p50: NaN,
      p99: NaN,
      perSecond: NaN,
      failed: reason,
    }));
  // deno-lint-ignore no-console
  console.log(JSON.stringify(result));
  Deno.exit(0);
}

const results = new Map<string, Row[]>();
for (const [index, name] of IMPLEMENTATIONS.entries()) {
  const rows: Row[] = [];
  for (const topics of TOPIC_COUNTS) {
    rows.push(
      await runCase<Row>(index, topics, false, (reason) => ({
        topics,
        p50: NaN,
        p99: NaN,
        perSecond: NaN,
        failed: reason,
      })),
    );
    // deno-lint-ignore no-console
    console.error(`${name}, ${topics} topics:`, JSON.stringify(rows.at(-1)));
  }
  results.set(name, rows);
}
const [previous, current] = IMPLEMENTATIONS.map((name) =>
  results.get(name)!
) as [Row[], Row[]];

const maxTopics = Math.max(...TOPIC_COUNTS);
const loads: Sustained[] = [];
for (const [index, name] of IMPLEMENTATIONS.entries()) {
  loads.push(
    await runCase<Sustained>(index, maxTopics, true, (reason) => ({
      perSecond: NaN,
      p50: NaN,
      p99: NaN,
      cpuPerMessageUs: NaN,
      failed: reason,
    })),
  );
  // deno-lint-ignore no-console
  console.error(`${name}, sustained:`, JSON.stringify(loads.at(-1)));
}

// deno-lint-ignore no-console
console.log(
  `Publish-to-delivery through Redis, hub A -> hub B, hub B with one ` +
    `subscriber on each of N topics, ${payload.length + 12}-byte messages to ` +
    `a random topic, one in flight (${MESSAGES} messages after ${WARMUP} ` +
    `of warm-up):\n\n` +
    table(
      [
        "topics",
        "previous p50 ms",
        "p99 ms",
        "msg/s",
        "current p50 ms",
        "p99 ms",
        "msg/s",
        "p50 previous/current",
      ],
      previous.map((old, i) => {
        const now = current[i]!;
        return [
          old.topics.toLocaleString("en"),
          ms(old.p50),
          ms(old.p99),
          old.perSecond.toFixed(0),
          ms(now.p50),
          ms(now.p99),
          now.perSecond.toFixed(0),
          ratio(old.p50, now.p50),
        ];
      }),
    ) +
    `\n\ncurrent: p50 at ${maxTopics.toLocaleString("en")} topics / p50 at ` +
    `${Math.min(...TOPIC_COUNTS).toLocaleString("en")} topics = ` +
    `${ratio(current.at(-1)!.p50, current[0]!.p50)} (previous: ` +
    `${ratio(previous.at(-1)!.p50, previous[0]!.p50)})\n\n` +
    `Sustained, ${maxTopics.toLocaleString("en")} topics, ${PUBLISHERS} ` +
    `publishers in flight for ${SUSTAINED_SECONDS} s:\n\n` +
    table(
      ["backend", "delivered msg/s", "p50 ms", "p99 ms", "Redis CPU µs/msg"],
      IMPLEMENTATIONS.map((name, i) => {
        const load = loads[i]!;
        return [
          name,
          load.perSecond.toFixed(0),
          ms(load.p50),
          ms(load.p99),
          load.cpuPerMessageUs.toFixed(1),
        ];
      }),
    ) +
    `\n\nmsg/s current/previous: ${
      ratio(loads[1]!.perSecond, loads[0]!.perSecond)
    }` +
    `; Redis CPU per message previous/current: ` +
    `${ratio(loads[0]!.cpuPerMessageUs, loads[1]!.cpuPerMessageUs)}` +
    failures(),
);

/** Why cases show NaN, if any did. */
function failures(): string {
  const notes: string[] = [];
  for (const name of IMPLEMENTATIONS) {
    for (const row of results.get(name)!) {
      if (row.failed !== undefined) {
        notes.push(`${name}, ${row.topics} topics: ${row.failed}`);
      }
      if (row.resets) {
        notes.push(`${name}, ${row.topics} topics: ${row.resets} resets`);
      }
    }
  }
  IMPLEMENTATIONS.forEach((name, i) => {
    const { failed, resets } = loads[i]!;
    if (failed !== undefined) notes.push(`${name}, sustained: ${failed}`);
    if (resets) notes.push(`${name}, sustained: ${resets} resets`);
  });
  return notes.length === 0
    ? ""
    : `\n\nNot measured (NaN), or resets received:\n${notes.join("\n")}`;
}
