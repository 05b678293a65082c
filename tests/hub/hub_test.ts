// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual as assertEquals,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  createMemoryBackend,
  Hub,
  type HubDataMessage,
  hubMessageToJson,
  hubMessageToSse,
} from "../../hub/mod.ts";
import {
  dataOnly,
  gappingBackend,
  hookedBackend,
  laggingBackend,
  range,
  summary,
  take,
} from "./_helpers.ts";

Deno.test("Hub delivers concurrent publishes in call order with increasing ids", async () => {
  const backend = createMemoryBackend();
  const hub = new Hub({ backend });
  const readers = ["a", "b", "c"].map((t) => hub.subscribe(t).getReader());
  const calls: Promise<string>[] = [];
  for (let i = 1; i <= 300; i++) {
    calls.push(hub.publish(["a", "b", "c"][i % 3]!, { data: String(i) }));
  }
  const ids = await Promise.all(calls);
  for (const [index, topic] of ["a", "b", "c"].entries()) {
    const expected = range(1, 300).filter((d) =>
      ["a", "b", "c"][Number(d) % 3] === topic
    );
    const got = dataOnly(await take(readers[index]!, expected.length));
    assertEquals(got.map((m) => m.data), expected);
    assertEquals(got.map((m) => m.id), expected.map((d) => ids[Number(d) - 1]));
    for (let i = 1; i < got.length; i++) {
      ok(backend.compare(got[i - 1]!.id, got[i]!.id) < 0);
    }
  }
  await hub.close();
});

Deno.test("Hub subscribe without since yields live messages only", async () => {
  const hub = new Hub();
  await hub.publish("t", { data: "before" });
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: "after" });
  assertEquals(summary(await take(reader, 1)), ["after"]);
  await hub.close();
});

Deno.test("Hub replays exactly the missed messages after a reconnect, then live", async () => {
  const hub = new Hub();
  const first = hub.subscribe("t").getReader();
  for (const data of range(1, 5)) await hub.publish("t", { data });
  const seen = dataOnly(await take(first, 3));
  assertEquals(seen.map((m) => m.data), ["1", "2", "3"]);
  await first.cancel();
  for (const data of range(6, 8)) await hub.publish("t", { data });

  const second = hub.subscribe("t", { since: seen.at(-1)!.id }).getReader();
  assertEquals(summary(await take(second, 5)), ["4", "5", "6", "7", "8"]);
  await hub.publish("t", { data: "9" });
  assertEquals(summary(await take(second, 1)), ["9"]);
  strictEqual(hub.stats().queuedMessages, 0);
  await hub.close();
});

Deno.test("Hub subscribe with the newest id as since continues live without repeats", async () => {
  const hub = new Hub();
  const last = await hub.publish("t", { data: "1" });
  const reader = hub.subscribe("t", { since: last }).getReader();
  await hub.publish("t", { data: "2" });
  assertEquals(summary(await take(reader, 1)), ["2"]);
  await hub.close();
});

Deno.test("Hub subscribe during a tight publish loop is gap-free and duplicate-free", async () => {
  const hub = new Hub();
  const ids: string[] = [];
  for (let i = 1; i <= 300; i++) {
    ids.push(await hub.publish("t", { data: String(i) }));
  }
  const publisher = (async () => {
    for (let i = 301; i <= 900; i++) {
      await hub.publish("t", { data: String(i) });
    }
  })();
  const reader = hub.subscribe("t", { since: ids[49]! }).getReader();
  const got = summary(await take(reader, 850));
  await publisher;
  assertEquals(got, range(51, 900));
  await hub.close();
});

Deno.test("Hub joins replay and live without a gap when messages arrive during a read", async (t) => {
  for (const side of ["before", "after"] as const) {
    for (const initial of [100, 300]) {
      await t.step(
        `${initial} retained, published ${side} the snapshot`,
        async () => {
          let next = 1;
          let reads = 0;
          const publishSome = async (): Promise<void> => {
            // The first two backend reads race with 40 publishes each.
            if (++reads > 2) return;
            for (let i = 0; i < 40; i++) {
              await hub.publish("t", { data: String(next++) });
            }
          };
          const hub = new Hub({
            backend: hookedBackend(createMemoryBackend(), {
              [side]: publishSome,
            }),
          });
          const ids: string[] = [];
          while (next <= initial) {
            ids.push(await hub.publish("t", { data: String(next++) }));
          }
          const reader = hub.subscribe("t", { since: ids[9]! }).getReader();
          const got: string[] = [];
          while (got.at(-1) !== "end") {
            got.push(...summary(await take(reader, 1)));
            // Once the replay is over, no more reads happen: end the test.
            if (got.length === next - 11) {
              await hub.publish("t", { data: "end" });
            }
          }
          // At least one batch really raced with a read.
          ok(next - 1 >= initial + 40);
          assertEquals(got, [...range(11, next - 1), "end"]);
          strictEqual(hub.stats().queuedMessages, 0);
          await hub.close();
        },
      );
    }
  }
});

Deno.test("Hub delivers no duplicate when the backend's watch lags behind its reads", async () => {
  const { backend, flush } = laggingBackend(createMemoryBackend());
  const hub = new Hub({ backend });
  const ids: string[] = [];
  for (const data of range(1, 20)) ids.push(await hub.publish("t", { data }));
  const reader = hub.subscribe("t", { since: ids[4]! }).getReader();
  // Published after subscribing, but the watch has not delivered them yet:
  // the replay reads them from the backend first.
  for (const data of range(21, 25)) await hub.publish("t", { data });
  const got = summary(await take(reader, 20));
  for (const data of range(26, 30)) await hub.publish("t", { data });
  flush();
  got.push(...summary(await take(reader, 5)));
  assertEquals(got, range(6, 30));
  strictEqual(hub.stats().queuedMessages, 0);
  await hub.close();
});

Deno.test("Hub deduplicates lagging live messages queued before the replay ends", async () => {
  const { backend, flush } = laggingBackend(createMemoryBackend());
  const hub = new Hub({ backend });
  const ids: string[] = [];
  for (const data of range(1, 120)) ids.push(await hub.publish("t", { data }));
  const reader = hub.subscribe("t", { since: ids[0]! }).getReader();
  for (const data of range(121, 130)) await hub.publish("t", { data });
  // The first page holds 2..129, read before the watch delivers 121..130.
  const got = summary(await take(reader, 1));
  flush();
  got.push(...summary(await take(reader, 128)));
  await hub.publish("t", { data: "131" });
  flush();
  got.push(...summary(await take(reader, 1)));
  assertEquals(got, range(2, 131));
  strictEqual(hub.stats().queuedMessages, 0);
  await hub.close();
});

Deno.test("Hub signals a reset when since is older than the window, then replays the window", async () => {
  const hub = new Hub({ replay: { maxMessages: 5 } });
  const ids: string[] = [];
  for (const data of range(1, 10)) ids.push(await hub.publish("t", { data }));
  const reader = hub.subscribe("t", { since: ids[2]! }).getReader();
  assertEquals(summary(await take(reader, 6)), [
    "reset:window-exceeded",
    "6",
    "7",
    "8",
    "9",
    "10",
  ]);
  await hub.publish("t", { data: "11" });
  assertEquals(summary(await take(reader, 1)), ["11"]);
  await hub.close();
});

Deno.test("Hub accepts a since whose successor is still in the window", async () => {
  const hub = new Hub({ replay: { maxMessages: 5 } });
  const ids: string[] = [];
  for (const data of range(1, 10)) ids.push(await hub.publish("t", { data }));
  // Message 5 was trimmed, but everything after it (6..10) is retained.
  const reader = hub.subscribe("t", { since: ids[4]! }).getReader();
  assertEquals(summary(await take(reader, 5)), range(6, 10));
  await hub.close();
});

Deno.test("Hub signals a reset with reason unknown-id", async (t) => {
  const hub = new Hub();
  const valid = await hub.publish("t", { data: "1" });
  await hub.publish("t", { data: "2" });
  const epoch = valid.slice(0, valid.lastIndexOf("-"));
  const cases: Record<string, string> = {
    "malformed id": "not an id",
    "empty id": "",
    "id newer than any issued": `${epoch}-999999`,
    "zero sequence": `${epoch}-0`,
    "leading zero": `${epoch}-01`,
    "trailing garbage": `${valid}x`,
  };
  for (const [name, since] of Object.entries(cases)) {
    await t.step(name, async () => {
      const reader = hub.subscribe("t", { since }).getReader();
      assertEquals(summary(await take(reader, 3)), [
        "reset:unknown-id",
        "1",
        "2",
      ]);
      await reader.cancel();
    });
  }
  await hub.close();
});

Deno.test("Hub treats an id from before a restart as unknown", async () => {
  const before = new Hub();
  const old = await before.publish("t", { data: "old" });
  await before.close();

  // A new memory backend is a new epoch, as after a process restart.
  const after = new Hub();
  for (const data of ["a", "b"]) await after.publish("t", { data });
  const reader = after.subscribe("t", { since: old }).getReader();
  assertEquals(summary(await take(reader, 3)), ["reset:unknown-id", "a", "b"]);
  await after.close();
});

Deno.test("Hub signals a reset when the window is exceeded in the middle of a replay", async () => {
  let reads = 0;
  const backend = hookedBackend(createMemoryBackend({ maxMessages: 200 }), {
    async before(): Promise<void> {
      if (++reads !== 2) return;
      for (const data of range(201, 500)) await hub.publish("t", { data });
    },
  });
  const hub = new Hub({ backend });
  const ids: string[] = [];
  for (const data of range(1, 200)) ids.push(await hub.publish("t", { data }));
  const reader = hub.subscribe("t", { since: ids[0]! }).getReader();
  // First page: 2..129. Before the second read, 300 more are published and
  // 130..300 are trimmed. 201..500 were queued live meanwhile.
  const got = summary(await take(reader, 128 + 1 + 300));
  assertEquals(got, [
    ...range(2, 129),
    "reset:window-exceeded",
    ...range(201, 500),
  ]);
  await hub.close();
});

Deno.test("Hub trims by maxAgeMs using the injected clock", async () => {
  let time = 0;
  const hub = new Hub({ replay: { maxAgeMs: 1000 }, now: () => time });
  const a = await hub.publish("t", { data: "a" });
  time = 500;
  await hub.publish("t", { data: "b" });
  time = 1200;
  const history = await hub.history("t", { since: a });
  assertEquals(history.messages.map((m) => m.data), ["b"]);
  strictEqual(history.reset, undefined);
  assertEquals((await hub.history("t")).messages.map((m) => m.data), ["b"]);

  time = 1500;
  const late = await hub.history("t", { since: a });
  assertEquals(late, { messages: [], reset: "window-exceeded" });
  const reader = hub.subscribe("t", { since: a }).getReader();
  await hub.publish("t", { data: "c" });
  assertEquals(summary(await take(reader, 2)), ["reset:window-exceeded", "c"]);
  await hub.close();
});

Deno.test("Hub delivers every message to 1,000 subscribers of one topic", async () => {
  const hub = new Hub();
  const readers = Array.from(
    { length: 1000 },
    () => hub.subscribe("crowd").getReader(),
  );
  for (const data of range(1, 100)) await hub.publish("crowd", { data });
  strictEqual(hub.stats().subscribers, 1000);
  strictEqual(hub.stats().queuedMessages, 100_000);
  const expected = range(1, 100);
  let reference: HubDataMessage[] | undefined;
  for (const reader of readers) {
    const got = dataOnly(await take(reader, 100));
    assertEquals(got.map((m) => m.data), expected);
    reference ??= got;
    // The same message object reaches everyone, so encodings are shared.
    strictEqual(got[99], reference[99]);
  }
  strictEqual(hub.stats().queuedMessages, 0);
  await hub.close();
});

Deno.test("Hub cuts off a subscriber that never reads while others receive everything", async () => {
  const hub = new Hub({ maxQueuedMessages: 10 });
  const slow = hub.subscribe("t").getReader();
  const fast = hub.subscribe("t").getReader();
  const got: string[] = [];
  for (const data of range(1, 50)) {
    await hub.publish("t", { data });
    got.push(...summary(await take(fast, 1)));
    ok(hub.stats().topics[0]!.largestQueue <= 10);
  }
  assertEquals(got, range(1, 50));
  strictEqual(hub.stats().subscribers, 1);
  await rejects(slow.read(), (error: unknown) => {
    ok(error instanceof RangeError);
    strictEqual(
      error.message,
      'Cannot deliver message to subscriber of topic "t": 11 messages queued, which exceeds maxQueuedMessages of 10',
    );
    return true;
  });
  await hub.close();
});

Deno.test("Hub drops the oldest queued messages and signals the gap with drop-oldest", async () => {
  const hub = new Hub({ maxQueuedMessages: 10, queuePolicy: "drop-oldest" });
  const slow = hub.subscribe("t").getReader();
  const fast = hub.subscribe("t").getReader();
  const got: string[] = [];
  for (const data of range(1, 50)) {
    await hub.publish("t", { data });
    got.push(...summary(await take(fast, 1)));
    ok(hub.stats().topics[0]!.largestQueue <= 10);
  }
  assertEquals(got, range(1, 50));
  strictEqual(hub.stats().subscribers, 2);
  assertEquals(summary(await take(slow, 11)), [
    "reset:dropped",
    ...range(41, 50),
  ]);
  await hub.publish("t", { data: "51" });
  assertEquals(summary(await take(slow, 1)), ["51"]);
  await hub.close();
});

Deno.test("Hub drop-oldest while replaying loses nothing the window still holds", async () => {
  let reads = 0;
  const backend = hookedBackend(createMemoryBackend(), {
    async after(): Promise<void> {
      if (++reads > 3) return;
      for (let i = 0; i < 25; i++) {
        await hub.publish("t", {
          data: String(300 + (reads - 1) * 25 + i + 1),
        });
      }
    },
  });
  const hub = new Hub({
    backend,
    maxQueuedMessages: 5,
    queuePolicy: "drop-oldest",
  });
  const ids: string[] = [];
  for (const data of range(1, 300)) ids.push(await hub.publish("t", { data }));
  const reader = hub.subscribe("t", { since: ids[0]! }).getReader();
  const got = summary(await take(reader, 374));
  assertEquals(got, range(2, 375));
  ok(hub.stats().topics[0]!.largestQueue <= 5);
  await hub.close();
});

Deno.test("Hub keeps every queue within maxQueuedMessages", async (t) => {
  for (const queuePolicy of ["close", "drop-oldest"] as const) {
    await t.step(queuePolicy, async () => {
      const hub = new Hub({ maxQueuedMessages: 7, queuePolicy });
      const readers = Array.from({ length: 5 }, () => hub.subscribe("t"));
      let largest = 0;
      for (const data of range(1, 100)) {
        await hub.publish("t", { data });
        for (const topic of hub.stats().topics) {
          largest = Math.max(largest, topic.largestQueue);
        }
      }
      strictEqual(largest, 7);
      strictEqual(
        hub.stats().subscribers,
        queuePolicy === "close" ? 0 : readers.length,
      );
      await hub.close();
    });
  }
});

Deno.test("Hub stats counts topics, subscribers and queued messages and bytes", async () => {
  const hub = new Hub();
  assertEquals(hub.stats(), {
    topics: [],
    subscribers: 0,
    queuedMessages: 0,
    queuedBytes: 0,
  });
  const b = hub.subscribe("b").getReader();
  hub.subscribe("a");
  hub.subscribe("a");
  await hub.publish("a", { data: "héllo" });
  await hub.publish("a", { data: new Uint8Array(10) });
  await hub.publish("b", { data: "x" });
  await take(b, 1);
  assertEquals(hub.stats(), {
    topics: [
      {
        topic: "a",
        subscribers: 2,
        queuedMessages: 4,
        queuedBytes: 32,
        largestQueue: 2,
      },
      {
        topic: "b",
        subscribers: 1,
        queuedMessages: 0,
        queuedBytes: 0,
        largestQueue: 0,
      },
    ],
    subscribers: 3,
    queuedMessages: 4,
    queuedBytes: 32,
  });
  await hub.close();
});

Deno.test("Hub close ends every stream and rejects further publishes", async () => {
  const backend = createMemoryBackend();
  const hub = new Hub({ backend });
  const live = hub.subscribe("a").getReader();
  const queued = hub.subscribe("b").getReader();
  await hub.publish("b", { data: "pending" });
  const pendingRead = live.read();
  await hub.close();
  strictEqual((await pendingRead).done, true);
  strictEqual((await queued.read()).done, true);
  await rejects(
    hub.publish("a", { data: "late" }),
    new Error('Cannot publish to topic "a": the hub is closed'),
  );
  throws(
    () => hub.subscribe("a"),
    new Error('Cannot subscribe to topic "a": the hub is closed'),
  );
  strictEqual(hub.stats().subscribers, 0);
  // The hub stopped watching; only the retained message is left.
  assertEquals(backend.stats(), { topics: 1, messages: 1, bytes: 7 + 128 });
  await hub.close();
});

Deno.test("Hub close ends a stream that is in the middle of a replay", async () => {
  let release: (() => void) | undefined;
  const entered = Promise.withResolvers<void>();
  const backend = hookedBackend(createMemoryBackend(), {
    before: () =>
      new Promise<void>((resolve) => {
        release = resolve;
        entered.resolve();
      }),
  });
  const hub = new Hub({ backend });
  const first = await hub.publish("t", { data: "1" });
  await hub.publish("t", { data: "2" });
  const reader = hub.subscribe("t", { since: first }).getReader();
  const read = reader.read();
  await entered.promise;
  await hub.close();
  strictEqual((await read).done, true);
  release!();
});

Deno.test("Hub rejects invalid topic names with a TypeError", async (t) => {
  const hub = new Hub();
  const bad: unknown[] = [
    "",
    "x".repeat(129),
    "a b",
    "é",
    "a\n",
    "a*",
    42,
    undefined,
  ];
  for (const topic of bad) {
    await t.step(JSON.stringify(topic) ?? "undefined", async () => {
      await rejects(
        hub.publish(topic as string, { data: "x" }),
        (e: unknown) =>
          e instanceof TypeError &&
          e.message.startsWith("Cannot publish to topic "),
      );
      throws(
        () => hub.subscribe(topic as string),
        (e: unknown) =>
          e instanceof TypeError &&
          e.message.startsWith("Cannot subscribe to topic "),
      );
      await rejects(
        hub.history(topic as string),
        (e: unknown) =>
          e instanceof TypeError &&
          e.message.startsWith("Cannot read history of topic "),
      );
    });
  }
  for (const topic of ["x".repeat(128), "a.b_c~d:e/f-G9"]) {
    await t.step(`accepts ${topic}`, async () => {
      strictEqual(typeof await hub.publish(topic, { data: "x" }), "string");
    });
  }
  await hub.close();
});

Deno.test("Hub rejects invalid messages", async (t) => {
  const hub = new Hub({ maxMessageBytes: 4 });
  const cases: [string, unknown, typeof TypeError | typeof RangeError][] = [
    ["data that is a number", { data: 1 }, TypeError],
    ["a missing message", undefined, TypeError],
    ["an event with LF", { event: "a\nb", data: "x" }, TypeError],
    ["an event that is not a string", { event: 1, data: "x" }, TypeError],
    ["a string over the limit", { data: "abcde" }, RangeError],
    ["UTF-8 bytes over the limit", { data: "ééé" }, RangeError],
    ["bytes over the limit", { data: new Uint8Array(5) }, RangeError],
  ];
  for (const [name, message, type] of cases) {
    await t.step(name, async () => {
      await rejects(
        hub.publish("t", message as { data: string }),
        (e: unknown) =>
          e instanceof type &&
          e.message.startsWith('Cannot publish to topic "t"'),
      );
    });
  }
  await t.step("data exactly at the limit", async () => {
    strictEqual(typeof await hub.publish("t", { data: "éé" }), "string");
    strictEqual(typeof await hub.publish("t", { data: "abcd" }), "string");
  });
  await rejects(
    hub.publish("t", { data: "ééé" }),
    new RangeError(
      'Cannot publish to topic "t": data is 6 bytes, which exceeds maxMessageBytes of 4',
    ),
  );
  await hub.close();
});

Deno.test("Hub copies published bytes", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  const bytes = new Uint8Array([1, 2, 3]);
  await hub.publish("t", { data: bytes });
  bytes[0] = 9;
  const [message] = dataOnly(await take(reader, 1));
  assertEquals(message!.data, new Uint8Array([1, 2, 3]));
  await hub.close();
});

Deno.test("Hub subscribe ends and releases the subscription on abort", async () => {
  const backend = createMemoryBackend();
  const hub = new Hub({ backend });
  const controller = new AbortController();
  const reader = hub.subscribe("t", { signal: controller.signal }).getReader();
  strictEqual(hub.stats().subscribers, 1);
  strictEqual(backend.stats().topics, 1);
  const read = reader.read();
  controller.abort();
  strictEqual((await read).done, true);
  strictEqual(hub.stats().subscribers, 0);
  strictEqual(backend.stats().topics, 0);
  await hub.close();
});

Deno.test("Hub subscribe with an aborted signal returns an ended stream", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t", { signal: AbortSignal.abort() })
    .getReader();
  strictEqual((await reader.read()).done, true);
  strictEqual(hub.stats().subscribers, 0);
  await hub.close();
});

Deno.test("Hub releases a subscription when its stream is cancelled", async () => {
  const backend = createMemoryBackend();
  const hub = new Hub({ backend });
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: "x" });
  await reader.cancel();
  assertEquals(hub.stats().subscribers, 0);
  assertEquals(backend.stats(), { topics: 1, messages: 1, bytes: 1 + 128 });
  await hub.close();
});

Deno.test("Hub errors the stream when the backend read fails", async () => {
  const inner = createMemoryBackend();
  const failure = new Error("backend down");
  const hub = new Hub({
    backend: {
      append: (topic, message) => inner.append(topic, message),
      read: () => Promise.reject(failure),
      watch: (topic, onMessage) => inner.watch(topic, onMessage),
      compare: (a, b) => inner.compare(a, b),
    },
  });
  const since = await hub.publish("t", { data: "x" });
  const reader = hub.subscribe("t", { since }).getReader();
  await rejects(reader.read(), failure);
  strictEqual(hub.stats().subscribers, 0);
  await hub.close();
});

Deno.test("Hub history returns messages after since, up to limit", async () => {
  const hub = new Hub();
  const ids: string[] = [];
  for (const data of range(1, 5)) ids.push(await hub.publish("t", { data }));
  const page = await hub.history("t", { since: ids[0]!, limit: 2 });
  assertEquals(page.messages.map((m) => m.data), ["2", "3"]);
  strictEqual(page.reset, undefined);
  assertEquals(
    (await hub.history("t", { since: "nope" })).reset,
    "unknown-id",
  );
  assertEquals(await hub.history("empty"), { messages: [] });
  await rejects(hub.history("t", { limit: 0 }), RangeError);
  await hub.close();
});

Deno.test("Hub delivers the same message object to live and replaying subscribers", async () => {
  const hub = new Hub();
  const live = hub.subscribe("t").getReader();
  const since = await hub.publish("t", { data: "0" });
  await take(live, 1);
  const replaying = hub.subscribe("t", { since }).getReader();
  await hub.publish("t", { data: "1" });
  const [a] = await take(live, 1);
  const [b] = await take(replaying, 1);
  strictEqual(a, b);
  strictEqual(hubMessageToSse(a!), hubMessageToSse(b!));
  strictEqual(hubMessageToJson(a!), hubMessageToJson(b!));
  await hub.close();
});

Deno.test("Hub constructor rejects conflicting or invalid options", () => {
  throws(
    () =>
      new Hub({ backend: createMemoryBackend(), replay: { maxMessages: 5 } }),
    TypeError,
  );
  throws(
    () => new Hub({ backend: createMemoryBackend(), now: Date.now }),
    TypeError,
  );
  throws(() => new Hub({ maxQueuedMessages: 0 }), RangeError);
  throws(() => new Hub({ maxMessageBytes: 1.5 }), RangeError);
  throws(
    () => new Hub({ queuePolicy: "block" as "close" }),
    TypeError,
  );
  throws(() => new Hub({ replay: { maxMessages: -1 } }), RangeError);
});

Deno.test("Hub replays what a backend's watch skipped once the backend reports the gap", async () => {
  const { backend, skip, gap } = gappingBackend(createMemoryBackend());
  const hub = new Hub({ backend });
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: "1" });
  await hub.publish("t", { data: "2" }); // queued, not read yet
  skip(true);
  await hub.publish("t", { data: "3" });
  skip(false);
  gap();
  await hub.publish("t", { data: "4" });
  assertEquals(summary(await take(reader, 4)), ["1", "2", "3", "4"]);
  await hub.publish("t", { data: "5" });
  assertEquals(summary(await take(reader, 1)), ["5"]);
  await hub.close();
});

Deno.test("Hub answers a pending read after a reported gap", async () => {
  const { backend, skip, gap } = gappingBackend(createMemoryBackend());
  const hub = new Hub({ backend });
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: "1" });
  await take(reader, 1);
  const pending = reader.read();
  skip(true);
  await hub.publish("t", { data: "2" });
  skip(false);
  gap();
  const { value } = await pending;
  strictEqual(value?.kind === "message" && value.data, "2");
  await hub.close();
});

Deno.test("Hub resets a subscriber when messages after a reported gap were trimmed", async () => {
  const { backend, skip, gap } = gappingBackend(
    createMemoryBackend({ maxMessages: 2 }),
  );
  const hub = new Hub({ backend });
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: "1" });
  assertEquals(summary(await take(reader, 1)), ["1"]);
  skip(true);
  for (const data of ["2", "3", "4", "5"]) await hub.publish("t", { data });
  skip(false);
  gap();
  await hub.publish("t", { data: "6" });
  assertEquals(summary(await take(reader, 3)), [
    "reset:window-exceeded",
    "5",
    "6",
  ]);
  await hub.close();
});

Deno.test("Hub handles a gap reported while a subscriber replays", async () => {
  const inner = createMemoryBackend();
  let hold: Promise<void> | undefined;
  const { backend: gapping, skip, gap } = gappingBackend(inner);
  const backend = hookedBackend(gapping, { after: () => hold });
  const hub = new Hub({ backend });
  const since = await hub.publish("t", { data: "0" });
  await hub.publish("t", { data: "1" });
  let release!: () => void;
  hold = new Promise((resolve) => release = resolve);
  const reader = hub.subscribe("t", { since }).getReader();
  const first = reader.read(); // the replay's read is held after its snapshot
  await hub.publish("t", { data: "2" }); // queued live
  skip(true);
  await hub.publish("t", { data: "3" });
  skip(false);
  gap();
  await hub.publish("t", { data: "4" });
  hold = undefined;
  release();
  assertEquals(summary([(await first).value!]), ["1"]);
  assertEquals(summary(await take(reader, 3)), ["2", "3", "4"]);
  await hub.publish("t", { data: "5" });
  assertEquals(summary(await take(reader, 1)), ["5"]);
  await hub.close();
});

Deno.test("Hub delivers the last replayed page before a live message that arrives as the replay ends", async () => {
  // The live message lands at every microtask offset after the replay's
  // read resolved, including the one between the end of the replay and the
  // delivery of its last page.
  for (let hops = 0; hops < 12; hops++) {
    const inner = createMemoryBackend();
    let arm = false;
    const backend = hookedBackend(inner, {
      after() {
        if (!arm) return;
        arm = false;
        let chain = Promise.resolve();
        for (let i = 0; i < hops; i++) chain = chain.then(() => {});
        chain.then(() => inner.append("t", { data: "3" }));
      },
    });
    const hub = new Hub({ backend });
    try {
      const first = await hub.publish("t", { data: "1" });
      await hub.publish("t", { data: "2" });
      arm = true;
      const reader = hub.subscribe("t", { since: first }).getReader();
      assertEquals(summary(await take(reader, 2)), ["2", "3"], `hops ${hops}`);
      await reader.cancel();
    } finally {
      await hub.close();
    }
  }
});
