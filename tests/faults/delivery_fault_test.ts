// Copyright 2026 the serverpush authors. MIT license.
// The delivery guarantee under faults (docs/guarantees.md, "The fault
// test"): publishers that retry with idempotency keys, and subscribers on
// SSE, the one-topic WebSocket, serverpush.v1, long polling and the TCP
// relay that resume with their last id, through round-robin TCP balancers
// in front of server processes that are killed and restarted, over the
// memory, Redis (paused and restarted) and Deno KV backends. At the end each
// subscriber's sequence is checked against the acknowledged publishes and a
// table of counts is printed.
//
// FAULT_TEST_SECONDS sets how long each backend's run publishes (default
// 12); the faults are spread over it.

import { deepStrictEqual, ok } from "node:assert/strict";
import {
  redisMissing,
  type RedisServer,
  startRedisServer,
} from "../hub/_redis_server.ts";
import { delay } from "../_wait.ts";
import { startBalancer } from "./_balancer.ts";
import {
  checkHistory,
  checkSequence,
  type HistoryCounts,
  NO_COUNTS,
  type SequenceCounts,
} from "./_check.ts";
import { type ServerProcess, serverProcess } from "./_cluster.ts";
import { type Ack, publish, type PublisherLog } from "./_publisher.ts";
import {
  startSubscriber,
  type Subscriber,
  TRANSPORTS,
} from "./_subscribers.ts";

const SECONDS = Number(Deno.env.get("FAULT_TEST_SECONDS") ?? "12");
if (!(SECONDS >= 5)) throw new RangeError("FAULT_TEST_SECONDS is below 5");
const RUN_MS = SECONDS * 1000;
const TOPIC = "faults";
const PUBLISHERS = 2;
const PUBLISH_INTERVAL_MS = 25;
const SUBSCRIBERS_PER_TRANSPORT = 2;
/** Least time publishing goes on after the last fault. */
const TAIL_MS = 2000;
/** Longest wait for the subscribers to catch up after the last publish. */
const DRAIN_MS = 30_000;

/** What one backend's run is: its servers and its faults. */
interface Setup {
  /** The row label: the backend, and how it runs. */
  readonly backend: string;
  readonly servers: readonly ServerProcess[];
  /** Whether the backend's history and keys survive every fault. */
  readonly survives: boolean;
  /**
   * When the backend last lost its history (a `performance.now()` time),
   * for a backend that does not survive.
   */
  readonly historyFrom?: () => number;
  /** Whether publishers send an Idempotency-Key (false for the control). */
  readonly keyed?: boolean;
  /** The faults, each at a fraction of the run. */
  readonly faults: readonly (readonly [number, string, () => Promise<void>])[];
  cleanup(): Promise<void>;
}

/** One row of the printed table. */
interface Row extends SequenceCounts {
  backend: string;
  transport: string;
  subscribers: number;
  published: number;
  acked: number;
  retries: number;
}

const rows: Row[] = [];
/** When the current run started publishing, for failure messages. */
let runStarted = 0;

/** Kills a server process and starts it again on its ports. */
function restart(
  server: ServerProcess,
  downMs: number,
  restarted?: (at: number) => void,
): () => Promise<void> {
  return async () => {
    await server.kill();
    await delay(downMs);
    await server.start();
    restarted?.(performance.now());
  };
}

/** POSTs until a 201; the id. */
async function publishMarker(port: number): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/${TOPIC}`, {
        method: "POST",
        body: "start",
        headers: { "idempotency-key": "start" },
      });
      const body = await response.text();
      if (response.status === 201) return JSON.parse(body).id;
    } catch {
      // Not up yet.
    }
    await delay(100);
  }
  throw new Error("cannot publish the start marker");
}

/** The topic's whole history, from any server. */
async function readHistory(
  port: number,
): Promise<{ instance: string; messages: [string, string][] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const response = await fetch(
        `http://127.0.0.1:${port}/_history/${TOPIC}`,
      );
      if (response.status === 200) {
        const { messages } = await response.json();
        return {
          instance: response.headers.get("x-fault-instance") ?? "",
          messages,
        };
      }
      await response.body?.cancel();
    } catch {
      // Try again.
    }
    await delay(100);
  }
  throw new Error("cannot read the history");
}

/** Whether `subscriber` delivered every acknowledged message. */
function caughtUp(subscriber: Subscriber, acks: readonly Ack[]): boolean {
  const delivered = new Set<string>();
  for (const event of subscriber.delivered) {
    if (event.kind === "message") delivered.add(event.data);
  }
  return acks.every((ack) => delivered.has(ack.data));
}

/**
 * Runs the publishers, subscribers and faults of `setup`, then checks and
 * records the counts. Returns them for the backend-specific assertions.
 */
async function run(setup: Setup): Promise<{
  counts: Map<Subscriber, SequenceCounts>;
  logs: PublisherLog[];
  history: HistoryCounts;
}> {
  const { servers } = setup;
  await Promise.all(servers.map((server) => server.start()));
  const http = startBalancer(servers.map((s) => s.httpPort));
  const relay = startBalancer(servers.map((s) => s.relayPort));
  const subscribers: Subscriber[] = [];
  try {
    const since = await publishMarker(http.port);
    const endpoints = {
      httpPort: http.port,
      relayPort: relay.port,
      topic: TOPIC,
    };
    for (const transport of TRANSPORTS) {
      for (let i = 0; i < SUBSCRIBERS_PER_TRANSPORT; i++) {
        subscribers.push(startSubscriber(transport, endpoints, since));
      }
    }
    const stop = new AbortController();
    const giveUp = new AbortController();
    const publishing = Array.from(
      { length: PUBLISHERS },
      (_, i) =>
        publish(
          `p${i}`,
          http.port,
          TOPIC,
          PUBLISH_INTERVAL_MS,
          stop.signal,
          giveUp.signal,
          setup.keyed ?? true,
        ),
    );
    const started = runStarted = performance.now();
    for (const [at, what, fault] of setup.faults) {
      await delay(Math.max(0, started + at * RUN_MS - performance.now()));
      const t = ((performance.now() - started) / 1000).toFixed(1);
      // deno-lint-ignore no-console
      console.log(`  ${setup.backend} at ${t} s: ${what}`);
      await fault();
    }
    // Publishing goes on for at least TAIL_MS after the last fault, however
    // long a restart took on a loaded machine.
    await delay(Math.max(TAIL_MS, started + RUN_MS - performance.now()));
    stop.abort();
    const giveUpTimer = setTimeout(() => giveUp.abort(), 20_000);
    const logs = await Promise.all(publishing);
    clearTimeout(giveUpTimer);
    const acks = logs.flatMap((log) => log.acks);

    // Drain: until every subscriber has caught up, or none moves for 5 s.
    const drainEnd = performance.now() + DRAIN_MS;
    let total = -1;
    let still = performance.now();
    while (performance.now() < drainEnd) {
      if (subscribers.every((s) => caughtUp(s, acks))) break;
      const now = subscribers.reduce((n, s) => n + s.delivered.length, 0);
      if (now !== total) [total, still] = [now, performance.now()];
      else if (performance.now() - still > 5000) break;
      await delay(100);
    }

    const history = await readHistory(http.port);
    const order = setup.survives
      ? new Map(history.messages.map(([id], i) => [id, i]))
      : undefined;
    const counts = new Map<Subscriber, SequenceCounts>();
    for (const subscriber of subscribers) {
      counts.set(
        subscriber,
        checkSequence(subscriber.delivered, acks, order),
      );
    }
    // Where the backend lost its history, only the publishes whose
    // acknowledged attempt began after the last loss must be in it.
    const from = setup.historyFrom?.() ?? 0;
    const expected = acks.filter((ack) => ack.attempted >= from);
    const stored = checkHistory(
      history.messages.filter(([, data]) => data !== "start"),
      expected,
    );
    record(setup.backend, subscribers, counts, logs);
    const dump = Deno.env.get("FAULT_TEST_DUMP");
    if (dump !== undefined) {
      await Deno.writeTextFile(
        `${dump}.${setup.backend.replace(/\W+/g, "_")}.json`,
        JSON.stringify({
          acks: acks.map((a) => ({ ...a, attempted: a.attempted - started })),
          history: history.messages,
          subscribers: subscribers.map((s) => ({
            transport: s.transport,
            delivered: s.delivered,
          })),
        }),
      );
    }
    return { counts, logs, history: stored };
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
    await http.close();
    await relay.close();
    await Promise.all(servers.map((server) => server.kill()));
    await setup.cleanup();
  }
}

function record(
  backend: string,
  subscribers: readonly Subscriber[],
  counts: ReadonlyMap<Subscriber, SequenceCounts>,
  logs: readonly PublisherLog[],
): void {
  const published = logs.reduce((n, log) => n + log.published, 0);
  const acked = logs.reduce((n, log) => n + log.acks.length, 0);
  const retries = logs.reduce((n, log) => n + log.retries, 0);
  for (const transport of TRANSPORTS) {
    const row: Row = {
      backend,
      transport,
      subscribers: 0,
      published,
      acked,
      retries,
      ...NO_COUNTS,
    };
    for (const subscriber of subscribers) {
      if (subscriber.transport !== transport) continue;
      row.subscribers++;
      const c = counts.get(subscriber)!;
      row.delivered += c.delivered;
      row.resets += c.resets;
      row.lost += c.lost;
      row.coveredByReset += c.coveredByReset;
      row.duplicated += c.duplicated;
      row.repeatedAfterReset += c.repeatedAfterReset;
      row.outOfOrder += c.outOfOrder;
    }
    rows.push(row);
  }
}

/** Acknowledged messages `subscriber` did not deliver, for a failure. */
function missing(subscriber: Subscriber, acks: readonly Ack[]): string {
  const delivered = new Set<string>();
  for (const event of subscriber.delivered) {
    if (event.kind === "message") delivered.add(event.data);
  }
  const absent = acks.filter((ack) => !delivered.has(ack.data));
  return absent.slice(0, 20).map((ack) =>
    `${ack.data}@${((ack.attempted - runStarted) / 1000).toFixed(2)}s`
  ).join(" ");
}

/** Every subscriber: 0 lost without a reset, 0 duplicated, 0 out of order. */
function assertGuarantee(
  counts: ReadonlyMap<Subscriber, SequenceCounts>,
  acks: readonly Ack[],
): void {
  for (const [subscriber, c] of counts) {
    deepStrictEqual(
      { lost: c.lost, duplicated: c.duplicated, outOfOrder: c.outOfOrder },
      { lost: 0, duplicated: 0, outOfOrder: 0 },
      `${subscriber.transport} subscriber; missing: ${
        missing(subscriber, acks)
      }`,
    );
    ok(c.delivered > 0, `${subscriber.transport} subscriber delivered nothing`);
  }
}

const COLUMNS: readonly (keyof Row)[] = [
  "backend",
  "transport",
  "subscribers",
  "published",
  "acked",
  "retries",
  "delivered",
  "resets",
  "coveredByReset",
  "repeatedAfterReset",
  "lost",
  "duplicated",
  "outOfOrder",
];

function printTable(): void {
  const cells = [
    COLUMNS.map(String),
    ...rows.map((row) => COLUMNS.map((c) => String(row[c]))),
  ];
  const widths = COLUMNS.map((_, i) =>
    Math.max(...cells.map((line) => line[i]!.length))
  );
  const text = cells.map((line) =>
    line.map((cell, i) =>
      i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
    ).join("  ")
  ).join("\n");
  // deno-lint-ignore no-console
  console.log(`\n${text}\n`);
}

const options = {};

/** Asserts that every subscriber got a reset, each `unknown-id`. */
function assertResets(counts: ReadonlyMap<Subscriber, SequenceCounts>): void {
  for (const [subscriber, c] of counts) {
    // Each subscriber resumed with an id the backend no longer has.
    ok(c.resets >= 1, `${subscriber.transport} subscriber got no reset`);
    for (const event of subscriber.delivered) {
      if (event.kind === "reset") deepStrictEqual(event.reason, "unknown-id");
    }
  }
}

/** Asserts that no subscriber got a reset or a message twice. */
function assertNoResets(counts: ReadonlyMap<Subscriber, SequenceCounts>): void {
  for (const [subscriber, c] of counts) {
    deepStrictEqual(
      { resets: c.resets, repeatedAfterReset: c.repeatedAfterReset },
      { resets: 0, repeatedAfterReset: 0 },
      `${subscriber.transport} subscriber`,
    );
  }
}

/** Every acknowledged publish the history should hold is there once. */
function assertHistory(history: HistoryCounts): void {
  ok(history.checked > 0, "no acknowledged publish to look for in history");
  deepStrictEqual(history, {
    ...history,
    missing: 0,
    otherId: 0,
    duplicated: 0,
  });
}

/** Redis with `--appendfsync always`, or without persistence. */
function startRedis(persistent: boolean): Promise<RedisServer> {
  // appendfsync always: an acknowledged XADD is on disk before Redis
  // answers, so a SIGKILL loses nothing and the restart keeps history and
  // idempotency keys.
  return startRedisServer(
    persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : [],
  );
}

function pauseRedis(redis: RedisServer): () => Promise<void> {
  return async () => {
    redis.pause();
    await delay(2500);
    redis.resume();
  };
}

function restartRedis(
  redis: RedisServer,
  restarted?: (at: number) => void,
): () => Promise<void> {
  return async () => {
    await redis.kill();
    await delay(1000);
    await redis.start();
    restarted?.(performance.now());
  };
}

Deno.test({
  name:
    "delivery guarantee, memory backend: one server process killed twice; every subscriber gets an unknown-id reset, never a silent gap",
  ...options,
  async fn() {
    const server = serverProcess("memory");
    let lost = 0;
    const restarted = (at: number): void => {
      lost = at;
    };
    const { counts, logs, history } = await run({
      backend: "memory",
      servers: [server],
      survives: false,
      historyFrom: () => lost,
      faults: [
        [
          0.3,
          "SIGKILL the server, restart it 1 s later",
          restart(server, 1000, restarted),
        ],
        [
          0.65,
          "SIGKILL the server, restart it at once",
          restart(server, 0, restarted),
        ],
      ],
      cleanup: async () => {},
    });
    assertGuarantee(counts, logs.flatMap((log) => log.acks));
    assertResets(counts);
    ok(logs.some((log) => log.retries > 0), "no publish was retried");
    assertHistory(history);
  },
});

Deno.test({
  name:
    "delivery guarantee, Redis backend with AOF: two server processes, each killed once, Redis paused and killed; no reset, nothing lost or repeated",
  ignore: redisMissing !== undefined,
  ...options,
  async fn() {
    const redis = await startRedis(true);
    const servers = [
      serverProcess("redis", redis.url),
      serverProcess("redis", redis.url),
    ];
    const { counts, logs, history } = await run({
      backend: "redis",
      servers,
      survives: true,
      faults: [
        [
          0.15,
          "SIGKILL server 1, restart it 1 s later",
          restart(servers[0]!, 1000),
        ],
        [
          0.4,
          "SIGSTOP Redis for 2.5 s (publish timeout 1 s)",
          pauseRedis(redis),
        ],
        [0.6, "SIGKILL Redis, restart it 1 s later", restartRedis(redis)],
        [0.8, "SIGKILL server 2, restart it at once", restart(servers[1]!, 0)],
      ],
      cleanup: () => redis[Symbol.asyncDispose](),
    });
    assertGuarantee(counts, logs.flatMap((log) => log.acks));
    assertNoResets(counts);
    ok(logs.some((log) => log.retries > 0), "no publish was retried");
    assertHistory(history);
  },
});

Deno.test({
  name:
    "delivery guarantee, Redis backend without persistence: Redis killed and restarted empty; every subscriber gets an unknown-id reset, never a silent gap",
  ignore: redisMissing !== undefined,
  ...options,
  async fn() {
    const redis = await startRedis(false);
    const servers = [
      serverProcess("redis", redis.url),
      serverProcess("redis", redis.url),
    ];
    let lost = 0;
    const { counts, logs, history } = await run({
      backend: "redis, no AOF",
      servers,
      survives: false,
      historyFrom: () => lost,
      faults: [
        [
          0.45,
          "SIGKILL Redis, restart it empty 1 s later",
          restartRedis(redis, (at) => lost = at),
        ],
      ],
      cleanup: () => redis[Symbol.asyncDispose](),
    });
    assertGuarantee(counts, logs.flatMap((log) => log.acks));
    assertResets(counts);
    assertHistory(history);
  },
});

Deno.test({
  name:
    "delivery guarantee, Deno KV backend: two server processes on one SQLite file, each killed once; no reset, nothing lost or repeated",
  ...options,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "serverpush_faults_" });
    const path = `${dir}/kv.sqlite`;
    const servers = [serverProcess("kv", path), serverProcess("kv", path)];
    const { counts, logs, history } = await run({
      backend: "kv",
      servers,
      survives: true,
      faults: [
        [
          0.3,
          "SIGKILL server 1, restart it 1 s later",
          restart(servers[0]!, 1000),
        ],
        [0.65, "SIGKILL server 2, restart it at once", restart(servers[1]!, 0)],
      ],
      cleanup: () => Deno.remove(dir, { recursive: true }),
    });
    assertGuarantee(counts, logs.flatMap((log) => log.acks));
    assertNoResets(counts);
    assertHistory(history);
  },
});

Deno.test({
  name:
    "delivery guarantee, control: the same retries without Idempotency-Key across a Redis pause are caught as duplicates",
  ignore: redisMissing !== undefined,
  ...options,
  async fn() {
    // Shows that the checks above can fail: a publish that timed out while
    // Redis was paused is stored when it resumes, and its keyless retry is
    // stored again.
    const redis = await startRedis(false);
    const servers = [serverProcess("redis", redis.url)];
    const { counts, logs, history } = await run({
      backend: "redis, no keys",
      servers,
      survives: true,
      keyed: false,
      faults: [
        [
          0.3,
          "SIGSTOP Redis for 2.5 s (publish timeout 1 s)",
          pauseRedis(redis),
        ],
      ],
      cleanup: () => redis[Symbol.asyncDispose](),
    });
    ok(logs.some((log) => log.retries > 0), "no publish was retried");
    ok(history.duplicated > 0, "the history holds no duplicate");
    for (const [subscriber, c] of counts) {
      ok(
        c.duplicated > 0,
        `${subscriber.transport} subscriber delivered no duplicate`,
      );
    }
  },
});

Deno.test({
  name: "delivery guarantee: the counts",
  ...options,
  fn() {
    if (redisMissing !== undefined) {
      // deno-lint-ignore no-console
      console.log(`Redis runs skipped: ${redisMissing}`);
    }
    printTable();
    ok(rows.length > 0, "no backend ran");
  },
});
