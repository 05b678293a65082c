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
  type HubDataMessage,
  HubLimitError,
} from "../../hub/mod.ts";

Deno.test("createMemoryBackend issues ids that increase per topic and compare in order", async () => {
  const backend = createMemoryBackend();
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) {
    ids.push((await backend.append(i % 2 ? "a" : "b", { data: "x" })).id);
  }
  for (let i = 1; i < ids.length; i++) {
    ok(backend.compare(ids[i - 1]!, ids[i]!) < 0);
    ok(backend.compare(ids[i]!, ids[i - 1]!) > 0);
  }
  strictEqual(backend.compare(ids[3]!, ids[3]!), 0);
  // Ids of one backend share an epoch prefix, then a sequence number.
  const epoch = ids[0]!.split("-")[0]!;
  ok(/^[0-9a-f]{12}$/.test(epoch));
  ok(ids.every((id) => id.startsWith(`${epoch}-`)));
});

Deno.test("createMemoryBackend uses a new epoch per instance", async () => {
  const a = await createMemoryBackend().append("t", { data: "x" });
  const b = await createMemoryBackend().append("t", { data: "x" });
  ok(a.id.split("-")[0] !== b.id.split("-")[0]);
});

Deno.test("createMemoryBackend compare rejects ids it did not issue", async () => {
  const backend = createMemoryBackend();
  const { id } = await backend.append("t", { data: "x" });
  const other = (await createMemoryBackend().append("t", { data: "x" })).id;
  throws(() => backend.compare(id, other), TypeError);
  throws(() => backend.compare("junk", id), TypeError);
});

Deno.test("createMemoryBackend stores frozen messages with topic, id, event and data", async () => {
  const backend = createMemoryBackend();
  const plain = await backend.append("t", { data: "a" });
  const typed = await backend.append("t", { event: "e", data: "b" });
  assertEquals(plain, { kind: "message", topic: "t", id: plain.id, data: "a" });
  ok(!("event" in plain));
  assertEquals(typed, {
    kind: "message",
    topic: "t",
    id: typed.id,
    event: "e",
    data: "b",
  });
  ok(Object.isFrozen(typed));
  const { messages } = await backend.read("t", { limit: 10 });
  // Reads return the stored objects themselves.
  strictEqual(messages[0], plain);
  strictEqual(messages[1], typed);
});

Deno.test("createMemoryBackend read honours since and limit", async () => {
  const backend = createMemoryBackend();
  const ids: string[] = [];
  for (let i = 1; i <= 10; i++) {
    ids.push((await backend.append("t", { data: String(i) })).id);
  }
  const data = (m: HubDataMessage[]): unknown[] => m.map((x) => x.data);
  assertEquals(data((await backend.read("t", { limit: 3 })).messages), [
    "1",
    "2",
    "3",
  ]);
  assertEquals(
    data((await backend.read("t", { since: ids[6]!, limit: 10 })).messages),
    ["8", "9", "10"],
  );
  assertEquals(await backend.read("t", { since: ids[9]!, limit: 10 }), {
    messages: [],
  });
  assertEquals(await backend.read("none", { limit: 10 }), { messages: [] });
});

Deno.test("createMemoryBackend keeps at most maxMessages per topic and reports trimmed history", async () => {
  const backend = createMemoryBackend({ maxMessages: 3 });
  const ids: string[] = [];
  for (let i = 1; i <= 100; i++) {
    ids.push((await backend.append("t", { data: String(i) })).id);
  }
  assertEquals(backend.stats(), {
    topics: 1,
    messages: 3,
    bytes: 2 + 2 + 3 + 3 * 128,
  });
  const fromStart = await backend.read("t", { limit: 10 });
  assertEquals(fromStart.messages.map((m) => m.data), ["98", "99", "100"]);
  const trimmed = await backend.read("t", { since: ids[50]!, limit: 10 });
  strictEqual(trimmed.reset, "window-exceeded");
  assertEquals(trimmed.messages.map((m) => m.data), ["98", "99", "100"]);
  // The id just before the window is fine: nothing after it is missing.
  const edge = await backend.read("t", { since: ids[96]!, limit: 10 });
  strictEqual(edge.reset, undefined);
  assertEquals(edge.messages.map((m) => m.data), ["98", "99", "100"]);
});

Deno.test("createMemoryBackend reports ids it did not issue as unknown", async (t) => {
  const backend = createMemoryBackend();
  const { id } = await backend.append("t", { data: "a" });
  const epoch = id.split("-")[0]!;
  const foreign = (await createMemoryBackend().append("t", { data: "x" })).id;
  const cases: Record<string, string> = {
    "another epoch": foreign,
    "a future sequence": `${epoch}-2`,
    "garbage": "garbage",
    "no sequence": `${epoch}-`,
    "a huge sequence": `${epoch}-99999999999999999999`,
  };
  for (const [name, since] of Object.entries(cases)) {
    await t.step(name, async () => {
      const result = await backend.read("t", { since, limit: 10 });
      strictEqual(result.reset, "unknown-id");
      assertEquals(result.messages.map((m) => m.data), ["a"]);
    });
  }
});

Deno.test("createMemoryBackend trims messages older than maxAgeMs", async () => {
  let time = 1000;
  const backend = createMemoryBackend({ maxAgeMs: 100, now: () => time });
  const a = await backend.append("t", { data: "a" });
  time = 1050;
  await backend.append("t", { data: "b" });
  time = 1099;
  strictEqual((await backend.read("t", { limit: 10 })).messages.length, 2);
  time = 1100;
  const result = await backend.read("t", { since: a.id, limit: 10 });
  assertEquals(result.messages.map((m) => m.data), ["b"]);
  strictEqual(result.reset, undefined);
  time = 1150;
  assertEquals(await backend.read("t", { since: a.id, limit: 10 }), {
    messages: [],
    reset: "window-exceeded",
  });
});

Deno.test("createMemoryBackend forgets a topic with no messages and no watchers", async () => {
  let time = 0;
  const backend = createMemoryBackend({ maxAgeMs: 10, now: () => time });
  const unwatch = backend.watch("watched", () => {});
  strictEqual(backend.stats().topics, 1);
  unwatch();
  unwatch();
  strictEqual(backend.stats().topics, 0);

  for (let i = 0; i < 20; i++) {
    await backend.append(`stale-${i}`, { data: "x" });
  }
  strictEqual(backend.stats().topics, 20);
  time = 100;
  // Appends elsewhere sweep a few expired topics each, with no timer.
  for (let i = 0; i < 10; i++) await backend.append("busy", { data: "x" });
  assertEquals(backend.stats(), {
    topics: 1,
    messages: 10,
    bytes: 10 * (1 + 128),
  });
});

Deno.test("createMemoryBackend keeps a watched topic whose messages expired", async () => {
  let time = 0;
  const backend = createMemoryBackend({ maxAgeMs: 10, now: () => time });
  const seen: unknown[] = [];
  const unwatch = backend.watch("kept", (m) => seen.push(m.data));
  await backend.append("kept", { data: "1" });
  time = 100;
  for (let i = 0; i < 10; i++) await backend.append("busy", { data: "x" });
  await backend.append("kept", { data: "2" });
  assertEquals(seen, ["1", "2"]);
  unwatch();
  strictEqual((await backend.read("kept", { limit: 10 })).messages.length, 1);
});

Deno.test("createMemoryBackend watch delivers appends in order until unwatched", async () => {
  const backend = createMemoryBackend();
  const seen: string[] = [];
  await backend.append("t", { data: "before" });
  const unwatch = backend.watch("t", (m) => seen.push(String(m.data)));
  await Promise.all([
    backend.append("t", { data: "1" }),
    backend.append("other", { data: "no" }),
    backend.append("t", { data: "2" }),
  ]);
  unwatch();
  await backend.append("t", { data: "after" });
  assertEquals(seen, ["1", "2"]);
});

Deno.test("createMemoryBackend append rejects with a watcher's error after calling every watcher", async () => {
  const backend = createMemoryBackend();
  const failure = new Error("watcher failed");
  const seen: string[] = [];
  backend.watch("t", () => {
    throw failure;
  });
  backend.watch("t", (m) => seen.push(String(m.data)));
  await rejects(backend.append("t", { data: "x" }), failure);
  assertEquals(seen, ["x"]);
  strictEqual((await backend.read("t", { limit: 10 })).messages.length, 1);
});

Deno.test("createMemoryBackend rejects invalid options", () => {
  throws(() => createMemoryBackend({ maxMessages: 0 }), RangeError);
  throws(() => createMemoryBackend({ maxMessages: 2.5 }), RangeError);
  throws(() => createMemoryBackend({ maxAgeMs: -1 }), RangeError);
  throws(() => createMemoryBackend({ maxIdleMs: 0 }), RangeError);
  throws(() => createMemoryBackend({ maxTopics: 1.5 }), RangeError);
  throws(() => createMemoryBackend({ maxRetainedBytes: 0 }), RangeError);
  createMemoryBackend({ maxIdleMs: Infinity });
  throws(() => createMemoryBackend({ maxAgeMs: NaN }), RangeError);
  createMemoryBackend({ maxAgeMs: Infinity });
});

Deno.test("createMemoryBackend refuses a new topic past maxTopics with HubLimitError too-many-topics", async () => {
  const backend = createMemoryBackend({ maxTopics: 2 });
  await backend.append("a", { data: "1" });
  await backend.append("b", { data: "1" });
  await rejects(
    backend.append("c", { data: "1" }),
    (error: unknown) =>
      error instanceof HubLimitError && error instanceof RangeError &&
      error.code === "too-many-topics" &&
      error.message ===
        'Cannot publish to topic "c": 2 topics hold messages, the maxTopics of 2',
  );
  // Existing topics, and a topic with a watcher, still take messages.
  await backend.append("a", { data: "2" });
  const unwatch = backend.watch("d", () => {});
  await backend.append("d", { data: "1" });
  unwatch();
  assertEquals(backend.stats().topics, 3);
});

Deno.test("createMemoryBackend forgets a topic idle for maxIdleMs and takes a new one in its place", async () => {
  let time = 0;
  const backend = createMemoryBackend({
    maxTopics: 2,
    maxIdleMs: 1000,
    now: () => time,
  });
  const old = await backend.append("old", { data: "1" });
  time = 500;
  await backend.append("recent", { data: "1" });
  await rejects(backend.append("new", { data: "1" }), HubLimitError);
  time = 1000;
  // "old" has had no append for maxIdleMs and no watcher: it goes.
  await backend.append("new", { data: "1" });
  assertEquals(backend.stats().topics, 2);
  assertEquals(await backend.read("old", { since: old.id, limit: 10 }), {
    messages: [],
    reset: "window-exceeded",
  });
  strictEqual((await backend.read("recent", { limit: 10 })).messages.length, 1);
});

Deno.test("createMemoryBackend keeps an idle topic that has a watcher", async () => {
  let time = 0;
  const backend = createMemoryBackend({ maxIdleMs: 1000, now: () => time });
  const unwatch = backend.watch("watched", () => {});
  await backend.append("watched", { data: "kept" });
  time = 5000;
  for (let i = 0; i < 10; i++) {
    await backend.append(`other-${i}`, { data: "x" });
  }
  strictEqual(
    (await backend.read("watched", { limit: 10 })).messages.length,
    1,
  );
  unwatch();
  time = 10_000;
  for (let i = 0; i < 10; i++) await backend.append("busy", { data: "x" });
  assertEquals(await backend.read("watched", { limit: 10 }), { messages: [] });
});

Deno.test("createMemoryBackend evicts the oldest messages of any topic past maxRetainedBytes", async () => {
  // Each message counts 100 payload bytes plus 128: three fit in 700.
  const backend = createMemoryBackend({ maxRetainedBytes: 700 });
  const payload = "x".repeat(100);
  const a1 = await backend.append("a", { data: payload });
  const b1 = await backend.append("b", { data: payload });
  const a2 = await backend.append("a", { data: payload });
  assertEquals(backend.stats(), { topics: 2, messages: 3, bytes: 684 });
  await backend.append("c", { data: payload });
  // a1, the oldest of the backend, is gone; a resume before it is a reset.
  assertEquals(backend.stats(), { topics: 3, messages: 3, bytes: 684 });
  const fromA1 = await backend.read("a", { since: a1.id, limit: 10 });
  strictEqual(fromA1.reset, undefined);
  assertEquals(fromA1.messages.map((m) => m.id), [a2.id]);
  const beforeA1 = await backend.read("a", { limit: 10 });
  assertEquals(beforeA1.messages.map((m) => m.id), [a2.id]);
  await backend.append("c", { data: payload });
  // Then b1: topic "b" holds nothing and is forgotten.
  assertEquals(backend.stats(), { topics: 2, messages: 3, bytes: 684 });
  assertEquals(await backend.read("b", { since: b1.id, limit: 10 }), {
    messages: [],
    reset: "window-exceeded",
  });
});

Deno.test("createMemoryBackend reports a reset to a resume before a message evicted by bytes", async () => {
  const backend = createMemoryBackend({ maxRetainedBytes: 3 * 129 });
  const first = await backend.append("t", { data: "1" });
  await backend.append("t", { data: "2" });
  await backend.append("t", { data: "3" });
  await backend.append("u", { data: "4" });
  await backend.append("u", { data: "5" });
  // "1" and "2" were evicted: resuming after "1" misses "2".
  const history = await backend.read("t", { since: first.id, limit: 10 });
  strictEqual(history.reset, "window-exceeded");
  assertEquals(history.messages.map((m) => m.data), ["3"]);
});

Deno.test("createMemoryBackend evicts by bytes in append order after topics trimmed themselves", async () => {
  const backend = createMemoryBackend({
    maxMessages: 2,
    maxRetainedBytes: 1000,
  });
  for (let i = 0; i < 20_000; i++) {
    await backend.append(`t${i % 3}`, { data: "x" });
  }
  // 6 messages of 129 bytes; then bytes evict in order across topics.
  assertEquals(backend.stats(), { topics: 3, messages: 6, bytes: 6 * 129 });
  await backend.append("t0", { data: "y".repeat(300) });
  // t0 trims its oldest to keep 2; then the oldest of all (a t2) goes.
  assertEquals(backend.stats(), {
    topics: 3,
    messages: 5,
    bytes: 4 * 129 + 428,
  });
});
