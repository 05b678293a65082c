// Copyright 2026 the serverpush authors. MIT license.
// Tests of the Redis backend against a real redis-server on loopback.

import {
  deepStrictEqual as assertEquals,
  match,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import {
  type EventSourceMessage,
  EventSourceParserStream,
} from "eventsource-parser/stream";
import { Hub } from "../../hub/mod.ts";
import {
  createRedisBackend,
  type RedisBackend,
  type RedisBackendOptions,
} from "../../hub/redis.ts";
import { dataOnly, range, summary } from "./_helpers.ts";
import {
  redisMissing,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";
import { startTcpProxy } from "./_tcp_proxy.ts";
import { subscribed, take, within } from "./_redis_helpers.ts";
import { delay, until } from "../_wait.ts";
import { createHubHandler } from "../../serve/mod.ts";

if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the Redis backend tests: ${redisMissing}`);
}

/** A test that gets its own redis-server, stopped afterwards. */
function redisTest(
  name: string,
  fn: (redis: RedisServer) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: redisMissing !== undefined,
    async fn(): Promise<void> {
      await using redis = await startRedisServer();
      await fn(redis);
    },
  });
}

/** Hubs over backends that are all closed by `close()`. */
function instances(): {
  open(options: RedisBackendOptions): { hub: Hub; backend: RedisBackend };
  errors: Error[];
  close(): Promise<void>;
} {
  const opened: { hub: Hub; backend: RedisBackend }[] = [];
  const errors: Error[] = [];
  return {
    open(options): { hub: Hub; backend: RedisBackend } {
      const backend = createRedisBackend({
        onError: (error) => errors.push(error),
        ...options,
      });
      const instance = { hub: new Hub({ backend }), backend };
      opened.push(instance);
      return instance;
    },
    errors,
    async close(): Promise<void> {
      for (const { hub, backend } of opened) {
        await hub.close();
        await backend.close();
      }
    },
  };
}

/**
 * Waits until `hub` reads from Redis again (reads are safe to repeat, unlike
 * publishes); every failure meanwhile must be a clear error.
 */
async function reconnected(hub: Hub): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await hub.history("probe", { limit: 1 });
      return;
    } catch (error) {
      match(
        (error as Error).message,
        /^Cannot read topic "probe": Redis is unreachable \(.+\)$/,
      );
      await delay(50);
    }
  }
  throw new Error("the backend did not reconnect");
}

redisTest(
  "createRedisBackend delivers what one instance publishes to subscribers on another, in order",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({ url: redis.url });
    const readers = [
      await subscribed(b.hub, "news"),
      await subscribed(b.hub, "news"),
    ];
    const ids: string[] = [];
    for (let i = 1; i <= 50; i++) {
      ids.push(await a.hub.publish("news", { data: String(i) }));
    }
    for (const reader of readers) {
      const got = dataOnly(await take(reader, 50));
      assertEquals(got.map((m) => m.data), range(1, 50));
      assertEquals(got.map((m) => m.id), ids);
    }
    // Each message is one object shared by the instance's subscribers.
    strictEqual(b.hub.stats().subscribers, 2);
    await all.close();
  },
);

redisTest(
  "createRedisBackend lets a long-poll cursor from one instance resume on another",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({ url: redis.url });
    for (let i = 1; i <= 3; i++) await a.hub.publish("lp", { data: String(i) });
    const poll = async (hub: Hub, cursor?: string): Promise<{
      cursor: string | null;
      messages: { id: string; data: string }[];
      reset?: boolean;
    }> => {
      const url = new URL("http://localhost/lp?transport=longpoll&history=10");
      if (cursor !== undefined) url.searchParams.set("cursor", cursor);
      const response = await createHubHandler(hub)(new Request(url));
      strictEqual(response.status, 200);
      return await response.json();
    };
    // The client polls instance A first and keeps its cursor.
    const first = await poll(a.hub);
    assertEquals(first.messages.map((m) => m.data), ["1", "2", "3"]);
    await a.hub.publish("lp", { data: "4" });
    await a.hub.publish("lp", { data: "5" });
    // Its next request lands on instance B: exactly what it missed.
    const second = await poll(b.hub, first.cursor!);
    assertEquals(second.messages.map((m) => m.data), ["4", "5"]);
    strictEqual(second.reset, undefined);
    const history = await b.hub.history("lp");
    strictEqual(second.cursor, history.messages.at(-1)?.id);
    await all.close();
  },
);

redisTest(
  "createRedisBackend gives every instance the same ids, so another instance resumes after one",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({ url: redis.url });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      ids.push(await a.hub.publish("t", { data: String(i) }));
    }
    const reader = b.hub.subscribe("t", { since: ids[1]! }).getReader();
    const replayed = dataOnly(await take(reader, 3));
    assertEquals(replayed.map((m) => m.data), ["3", "4", "5"]);
    assertEquals(replayed.map((m) => m.id), ids.slice(2));
    // Then live, with no gap and no duplicate.
    const next = await a.hub.publish("t", { data: "6" });
    const [live] = dataOnly(await take(reader, 1));
    strictEqual(live?.id, next);
    strictEqual(live?.data, "6");
    const history = await b.hub.history("t", { since: ids[3]! });
    assertEquals(history.messages.map((m) => m.data), ["5", "6"]);
    strictEqual(history.reset, undefined);
    await all.close();
  },
);

redisTest(
  "createRedisBackend round-trips bytes, text and event types across instances",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({ url: redis.url });
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const reader = await subscribed(b.hub, "mixed");
    await a.hub.publish("mixed", { data: bytes });
    await a.hub.publish("mixed", {
      event: "greeting",
      data: "héllo, 世界 👋\n",
    });
    await a.hub.publish("mixed", { data: "" });
    await a.hub.publish("mixed", { data: new Uint8Array(0) });
    const live = dataOnly(await take(reader, 4));
    const history = (await b.hub.history("mixed")).messages;
    for (const got of [live, history]) {
      assertEquals(got.map((m) => [m.event, m.data]), [
        [undefined, bytes],
        ["greeting", "héllo, 世界 👋\n"],
        [undefined, ""],
        [undefined, new Uint8Array(0)],
      ]);
      strictEqual(Object.getPrototypeOf(got[0]!.data), Uint8Array.prototype);
    }
    await all.close();
  },
);

redisTest(
  "createRedisBackend reports trimmed history as window-exceeded and foreign ids as unknown-id",
  async (redis) => {
    const all = instances();
    const { hub, backend } = all.open({ url: redis.url, maxLen: 10, batch: 5 });
    const ids: string[] = [];
    for (let i = 1; i <= 250; i++) {
      ids.push(await hub.publish("t", { data: String(i) }));
    }
    const window = (await hub.history("t")).messages;
    // MAXLEN ~ keeps at least maxLen, trimming whole nodes.
    ok(window.length >= 10 && window.length < 250);
    strictEqual(window.at(-1)?.data, "250");

    const trimmed = await hub.history("t", { since: ids[0]! });
    strictEqual(trimmed.reset, "window-exceeded");
    assertEquals(trimmed.messages, window);

    const reader = hub.subscribe("t", { since: ids[0]! }).getReader();
    const [first, ...rest] = await take(reader, 1 + window.length);
    assertEquals(first, {
      kind: "reset",
      topic: "t",
      reason: "window-exceeded",
    });
    assertEquals(rest, window);

    for (
      const since of [
        "nonsense",
        "1-",
        "01-0",
        "99999999999999-0", // newer than anything issued
        "18446744073709551616-0", // past 64 bits
      ]
    ) {
      const history = await hub.history("t", { since });
      strictEqual(history.reset, "unknown-id", since);
      assertEquals(history.messages, window);
    }
    // An id this topic never issued: "fresh" has no history at all.
    const fresh = await hub.history("fresh", { since: ids[5]! });
    strictEqual(fresh.reset, "unknown-id");
    assertEquals(fresh.messages, []);
    ok(backend.compare(ids[0]!, ids[1]!) < 0);
    await all.close();
  },
);

redisTest(
  "createRedisBackend tells an id from before a Redis restart from a trimmed one",
  async (redis) => {
    const all = instances();
    const { hub } = all.open({ url: redis.url, timeoutMs: 300 });
    const old = await hub.publish("t", { data: "before" });
    await redis.stop();
    await redis.start();
    await reconnected(hub);
    await hub.publish("t", { data: "after" });
    const history = await hub.history("t", { since: old });
    strictEqual(history.reset, "unknown-id");
    assertEquals(history.messages.map((m) => m.data), ["after"]);
    await all.close();
  },
);

Deno.test("RedisBackend compare orders ids numerically and rejects malformed ones", async () => {
  const backend = createRedisBackend({
    url: "redis://127.0.0.1:1",
    onError: () => {},
  });
  ok(backend.compare("9-0", "10-0") < 0);
  ok(backend.compare("10-2", "10-10") < 0);
  ok(backend.compare("18446744073709551615-0", "9-99") > 0);
  strictEqual(backend.compare("5-5", "5-5"), 0);
  for (const bad of ["5", "a-1", "01-1", "1-1-1", ""]) {
    throws(() => backend.compare(bad, "1-1"), TypeError);
  }
  await backend.close();
});

Deno.test("createRedisBackend validates its options", async (t) => {
  const cases: [string, RedisBackendOptions][] = [
    ["maxLen 0", { maxLen: 0 }],
    ["blockMs 0", { blockMs: 0 }],
    ["batch 1.5", { batch: 1.5 }],
    ["timeoutMs -1", { timeoutMs: -1 }],
    ["maxPendingCommands NaN", { maxPendingCommands: NaN }],
    ["batch over maxLen", { maxLen: 10, batch: 11 }],
    ["ttlMs 0", { ttlMs: 0 }],
    ["catchUpMs 0", { catchUpMs: 0 }],
    ["waitForReplicas 1.5", { waitForReplicas: 1.5 }],
  ];
  for (const [name, options] of cases) {
    await t.step(name, () => {
      throws(() => createRedisBackend(options), RangeError);
    });
  }
  await t.step("cluster without root nodes", () => {
    throws(
      () => createRedisBackend({ cluster: { rootNodes: [] } }),
      /^TypeError: Cannot create Redis backend: cluster.rootNodes is not a non-empty array of URLs$/,
    );
  });
  await t.step("keyPrefix not a string", () => {
    throws(
      () => createRedisBackend({ keyPrefix: 1 as unknown as string }),
      TypeError,
    );
  });
});

redisTest(
  "RedisBackend close rejects later calls and pending ones",
  async (redis) => {
    const backend = createRedisBackend({ url: redis.url });
    await backend.append("t", { data: "x" });
    redis.pause();
    const pending = backend.append("t", { data: "y" });
    await backend.close();
    redis.resume();
    await rejects(
      pending,
      /^Error: Cannot publish to topic "t": the Redis backend is closed$/,
    );
    await rejects(
      backend.read("t", { limit: 1 }),
      /^Error: Cannot read topic "t": the Redis backend is closed$/,
    );
    throws(() => backend.watch("t", () => {}), /the Redis backend is closed/);
    await backend.close();
  },
);

redisTest(
  "createRedisBackend starts delivering a newly watched topic without waiting for blockMs",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({ url: redis.url, blockMs: 60_000 });
    const first = await subscribed(b.hub, "first");
    // Let the loop block on "first" alone.
    await a.hub.publish("first", { data: "1" });
    assertEquals(summary(await take(first, 1)), ["1"]);
    const second = await subscribed(b.hub, "second");
    await a.hub.publish("second", { data: "2" });
    // Without the wake-up this would take 60 s.
    assertEquals(summary(await take(second, 1)), ["2"]);
    await all.close();
  },
);

redisTest(
  "createRedisBackend resumes after a partition from the last id it delivered, losing and repeating nothing",
  async (redis) => {
    await using proxy = startTcpProxy(redis.port);
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({
      url: `redis://127.0.0.1:${proxy.port}`,
      timeoutMs: 300,
    });
    const reader = await subscribed(b.hub, "t");
    for (let i = 1; i <= 3; i++) await a.hub.publish("t", { data: String(i) });
    assertEquals(summary(await take(reader, 3)), ["1", "2", "3"]);

    await proxy.cut();
    await rejects(
      b.hub.publish("t", { data: "lost" }),
      /^Error: Cannot publish to topic "t": Redis is unreachable \(.+\)(; the message may have been stored)?$/,
    );
    for (let i = 4; i <= 10; i++) await a.hub.publish("t", { data: String(i) });
    proxy.restore();

    assertEquals(summary(await take(reader, 7)), range(4, 10));
    await a.hub.publish("t", { data: "11" });
    assertEquals(summary(await take(reader, 1)), ["11"]);
    ok(all.errors.some((e) => /^Cannot reach Redis/.test(e.message)));
    await all.close();
  },
);

redisTest(
  "createRedisBackend signals a gap when messages were trimmed before its loop read them",
  async (redis) => {
    await using proxy = startTcpProxy(redis.port);
    const all = instances();
    const a = all.open({ url: redis.url, maxLen: 10, batch: 5 });
    const b = all.open({
      url: `redis://127.0.0.1:${proxy.port}`,
      maxLen: 10,
      batch: 5,
    });
    const reader = await subscribed(b.hub, "t");
    for (let i = 1; i <= 3; i++) await a.hub.publish("t", { data: String(i) });
    assertEquals(summary(await take(reader, 3)), ["1", "2", "3"]);

    await proxy.cut();
    for (let i = 4; i <= 300; i++) {
      await a.hub.publish("t", { data: String(i) });
    }
    const window = (await a.hub.history("t")).messages;
    proxy.restore();

    const got = await take(reader, 1 + window.length);
    assertEquals(got[0], {
      kind: "reset",
      topic: "t",
      reason: "window-exceeded",
    });
    assertEquals(got.slice(1), window);
    await a.hub.publish("t", { data: "301" });
    assertEquals(summary(await take(reader, 1)), ["301"]);
    await all.close();
  },
);

redisTest(
  "createRedisBackend delivers each message once through a Redis pause, with clear errors meanwhile",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const slow = all.open({ url: redis.url, timeoutMs: 300 });
    const b = all.open({ url: redis.url });
    const reader = await subscribed(b.hub, "t");
    await slow.hub.history("t", { limit: 1 }); // connected before the pause
    await a.hub.publish("t", { data: "1" });
    await a.hub.publish("t", { data: "2" });
    assertEquals(summary(await take(reader, 2)), ["1", "2"]);

    redis.pause();
    const waiting = a.hub.publish("t", { data: "3" });
    await rejects(
      slow.hub.publish("t", { data: "x" }),
      /^Error: Cannot publish to topic "t": Redis did not answer within 300 ms; the message may have been stored$/,
    );
    redis.resume();
    await waiting;
    await a.hub.publish("t", { data: "4" });

    // "x" was sent before the pause ended, so Redis stored it after all.
    const got = dataOnly(await take(reader, 3));
    assertEquals(got.map((m) => m.data).sort(), ["3", "4", "x"]);
    strictEqual(got[2]?.data, "4");
    await a.hub.publish("t", { data: "5" });
    assertEquals(summary(await take(reader, 1)), ["5"]);
    const ids = [...got.map((m) => m.id)];
    for (let i = 1; i < ids.length; i++) {
      ok(b.backend.compare(ids[i - 1]!, ids[i]!) < 0);
    }
    await all.close();
  },
);

redisTest(
  "createRedisBackend bounds the publishes waiting for Redis",
  async (redis) => {
    const all = instances();
    const { hub } = all.open({ url: redis.url, maxPendingCommands: 5 });
    await hub.history("t", { limit: 1 }); // connected
    redis.pause();
    const waiting = Array.from(
      { length: 5 },
      (_, i) => hub.publish("t", { data: String(i) }),
    );
    await delay(50); // written, unanswered
    for (let i = 5; i < 8; i++) {
      // Rejected at once, while Redis is still paused.
      await rejects(
        hub.publish("t", { data: String(i) }),
        /^Error: Cannot publish to topic "t": 5 commands are already waiting for Redis$/,
      );
    }
    redis.resume();
    await Promise.all(waiting);
    const history = await hub.history("t");
    assertEquals(history.messages.map((m) => m.data), [
      "0",
      "1",
      "2",
      "3",
      "4",
    ]);
    await all.close();
  },
);

redisTest(
  "createRedisBackend fails publishes clearly while Redis is down, then reconnects and resets subscribers",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url, timeoutMs: 300 });
    const b = all.open({ url: redis.url });
    const reader = await subscribed(b.hub, "t");
    await a.hub.publish("t", { data: "1" });
    assertEquals(summary(await take(reader, 1)), ["1"]);

    await redis.stop();
    await rejects(
      a.hub.publish("t", { data: "2" }),
      /^Error: Cannot publish to topic "t": Redis is unreachable \(.+\)(; the message may have been stored)?$/,
    );
    ok(all.errors.some((e) => /^Cannot reach Redis/.test(e.message)));
    await redis.start();

    // Redis started empty (no persistence): the backend reconnects on its own.
    await reconnected(a.hub);
    await a.hub.publish("t", { data: "3" });
    // The subscriber stayed connected; what it had seen is gone from Redis.
    assertEquals(summary(await take(reader, 2)), ["reset:unknown-id", "3"]);
    await a.hub.publish("t", { data: "4" });
    assertEquals(summary(await take(reader, 1)), ["4"]);
    await all.close();
  },
);

/** Sends one inline command to the redis-server on `port`; its reply line. */
async function redisCommand(port: number, command: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${command}\r\n`));
    const buffer = new Uint8Array(256);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).trim();
  } finally {
    conn.close();
  }
}

redisTest(
  "createRedisBackend subscribes again when its SUBSCRIBE fails, so live delivery starts once Redis accepts it",
  async (redis) => {
    // A SUBSCRIBE refused (here by an ACL; in the fault test, one in flight
    // while Redis paused) was never made again: the backend stayed deaf to
    // notifications and heartbeats, and its subscribers got nothing more.
    strictEqual(
      await redisCommand(redis.port, "ACL SETUSER default resetchannels"),
      "+OK",
    );
    const all = instances();
    const b = all.open({ url: redis.url });
    const reader = await subscribed(b.hub, "t");
    await until(
      () =>
        all.errors.some((e) =>
          /^Cannot subscribe on Redis: NOPERM/.test(e.message)
        ),
      "a refused SUBSCRIBE",
    );
    strictEqual(
      await redisCommand(redis.port, "ACL SETUSER default allchannels"),
      "+OK",
    );
    const a = all.open({ url: redis.url });
    await a.hub.publish("t", { data: "1" });
    assertEquals(summary(await take(reader, 1)), ["1"]);
    await a.hub.publish("t", { data: "2" });
    assertEquals(summary(await take(reader, 1)), ["2"]);
    await reader.cancel();
    await all.close();
  },
);

/** A child process serving SSE over a hub on `url`; resolves with its port. */
async function spawnServer(
  url: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fromFileUrl(new URL("./_redis_sse_server.ts", import.meta.url)),
      url,
    ],
    cwd: fromFileUrl(new URL("../..", import.meta.url)),
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await within(lines.read(), 20_000);
    if (done) throw new Error("server exited before listening");
    text += value;
  }
  return {
    port: Number(text.split("\n")[0]),
    async stop(): Promise<void> {
      child.kill("SIGTERM");
      await lines.cancel();
      await child.status;
    },
  };
}

/** Opens an event stream; `events()` reads the next `count` events. */
async function openEvents(
  port: number,
  lastId?: string,
): Promise<{
  events(count: number): Promise<EventSourceMessage[]>;
  close(): Promise<void>;
}> {
  const response = await fetch(`http://127.0.0.1:${port}/events?topic=t`, {
    headers: lastId === undefined ? {} : { "last-event-id": lastId },
  });
  strictEqual(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream()).getReader();
  return {
    events(count): Promise<EventSourceMessage[]> {
      return within(
        (async () => {
          const out: EventSourceMessage[] = [];
          while (out.length < count) {
            const { value, done } = await reader.read();
            if (done) throw new Error("event stream ended");
            out.push(value);
          }
          return out;
        })(),
        10_000,
      );
    },
    close(): Promise<void> {
      return reader.cancel();
    },
  };
}

async function publishVia(port: number, data: string): Promise<string> {
  const response = await fetch(
    `http://127.0.0.1:${port}/publish?topic=t`,
    { method: "POST", body: data },
  );
  strictEqual(response.status, 200);
  return await response.text();
}

redisTest(
  "createRedisBackend lets an SSE client move to another server process with Last-Event-ID and miss nothing",
  async (redis) => {
    const [serverA, serverB] = await Promise.all([
      spawnServer(redis.url),
      spawnServer(redis.url),
    ]);
    try {
      const onA = await openEvents(serverA.port);
      const ids: string[] = [];
      for (const data of ["1", "2", "3"]) {
        ids.push(await publishVia(serverA.port, data));
      }
      const first = await onA.events(3);
      assertEquals(first.map((e) => [e.id, e.data]), [
        [ids[0], "1"],
        [ids[1], "2"],
        [ids[2], "3"],
      ]);
      await onA.close();

      // Published while the client is away, through the other process.
      for (const data of ["4", "5", "6"]) {
        ids.push(await publishVia(serverB.port, data));
      }
      const onB = await openEvents(serverB.port, first.at(-1)!.id);
      const missed = await onB.events(3);
      assertEquals(missed.map((e) => [e.id, e.data]), [
        [ids[3], "4"],
        [ids[4], "5"],
        [ids[5], "6"],
      ]);
      // And live again, published on the first process.
      const seven = await publishVia(serverA.port, "7");
      assertEquals((await onB.events(1)).map((e) => [e.id, e.data]), [
        [seven, "7"],
      ]);
      await onB.close();
    } finally {
      await Promise.all([serverA.stop(), serverB.stop()]);
    }
  },
);

/** Sends one command to Redis in RESP and returns its integer reply. */
async function integerReply(port: number, args: string[]): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const encoder = new TextEncoder();
    let request = `*${args.length}\r\n`;
    for (const arg of args) {
      request += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
    }
    await conn.write(encoder.encode(request));
    const buffer = new Uint8Array(64);
    let reply = "";
    while (!reply.endsWith("\r\n")) {
      const n = await within(conn.read(buffer), 5000);
      if (n === null) break;
      reply += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const match = /^:(-?\d+)\r\n$/.exec(reply);
    if (!match) throw new Error(`Unexpected reply ${JSON.stringify(reply)}`);
    return Number(match[1]);
  } finally {
    conn.close();
  }
}

redisTest(
  "RedisBackend gives a topic's stream a TTL, refreshed on publish, so an idle topic vanishes",
  async (redis) => {
    const backend = createRedisBackend({ url: redis.url, ttlMs: 1500 });
    try {
      const one = await backend.append("idle", { data: "1" });
      const key = "serverpush:idle";
      const first = await integerReply(redis.port, ["PTTL", key]);
      ok(first > 0 && first <= 1500, `PTTL ${first}`);
      await delay(800);
      await backend.append("idle", { data: "2" });
      // Refreshed: more than what was left of the first TTL.
      const second = await integerReply(redis.port, ["PTTL", key]);
      ok(second > 1500 - 800 && second <= 1500, `PTTL ${second}`);
      strictEqual(await integerReply(redis.port, ["EXISTS", key]), 1);
      // No publish for longer than ttlMs: the stream is gone.
      const deadline = Date.now() + 10_000;
      while (
        await integerReply(redis.port, ["EXISTS", key]) === 1 &&
        Date.now() < deadline
      ) {
        await delay(100);
      }
      strictEqual(await integerReply(redis.port, ["EXISTS", key]), 0);
      // A client resuming on it gets a reset rather than a silent gap.
      const history = await backend.read("idle", { since: one.id, limit: 10 });
      ok(history.reset !== undefined);
    } finally {
      await backend.close();
    }
  },
);

redisTest(
  "RedisBackend sets no TTL when ttlMs is Infinity",
  async (redis) => {
    const backend = createRedisBackend({ url: redis.url, ttlMs: Infinity });
    try {
      await backend.append("kept", { data: "1" });
      strictEqual(
        await integerReply(redis.port, ["PTTL", "serverpush:kept"]),
        -1,
      );
    } finally {
      await backend.close();
    }
  },
);

redisTest(
  "createRedisBackend catches up on what was published while its Pub/Sub connection was down",
  async (redis) => {
    const all = instances();
    const a = all.open({ url: redis.url });
    const b = all.open({ url: redis.url });
    const reader = await subscribed(b.hub, "t");
    await a.hub.publish("t", { data: "1" });
    assertEquals(summary(await take(reader, 1)), ["1"]);
    // Only the subscriber connections go; the notifications of what
    // follows reach nobody until they are back.
    ok(
      await integerReply(redis.port, ["CLIENT", "KILL", "TYPE", "pubsub"]) >= 2,
    );
    for (let i = 2; i <= 6; i++) await a.hub.publish("t", { data: String(i) });
    assertEquals(summary(await take(reader, 5)), range(2, 6));
    await a.hub.publish("t", { data: "7" });
    assertEquals(summary(await take(reader, 1)), ["7"]);
    await all.close();
  },
);

redisTest(
  "createRedisBackend delivers entries another program added without a notification, within catchUpMs",
  async (redis) => {
    const all = instances();
    const b = all.open({ url: redis.url, catchUpMs: 200 });
    const reader = await subscribed(b.hub, "t");
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: redis.port,
    });
    try {
      // A plain XADD: no script, no PUBLISH.
      const command = "*5\r\n$4\r\nXADD\r\n$12\r\nserverpush:t\r\n$1\r\n*\r\n" +
        "$4\r\ndata\r\n$5\r\nhello\r\n";
      await conn.write(new TextEncoder().encode(command));
      await conn.read(new Uint8Array(64));
    } finally {
      conn.close();
    }
    assertEquals(summary(await take(reader, 1)), ["hello"]);
    await all.close();
  },
);

redisTest(
  "createRedisBackend with waitForReplicas rejects a publish no replica acknowledged, saying it may be stored",
  async (redis) => {
    const all = instances();
    const { hub } = all.open({
      url: redis.url,
      waitForReplicas: 1,
      timeoutMs: 1000,
    });
    await hub.history("t", { limit: 1 }); // connected
    await rejects(
      hub.publish("t", { data: "x" }),
      /^Error: Cannot publish to topic "t": 0 of 1 replicas acknowledged it within 500 ms; the message may have been stored$/,
    );
    // It was stored on the master.
    assertEquals((await hub.history("t")).messages.map((m) => m.data), ["x"]);
    await all.close();
  },
);
