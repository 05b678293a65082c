// Copyright 2026 the serverpush authors. MIT license.
// Tests of the Deno KV backend beyond the shared contract: two processes on
// one file, the gap signal of its watch, its limits and options.

import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { Hub, type HubDataMessage } from "../../hub/mod.ts";
import { createKvBackend } from "../../hub/kv.ts";
import { until } from "../_wait.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "serverpush_kv_" });
}

/** Runs _kv_child.ts: another process appends to topic `t` of `path`. */
function childAppends(
  path: string,
  count: number,
  maxMessages?: number,
): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--allow-read",
      "--allow-write",
      fromFileUrl(new URL("./_kv_child.ts", import.meta.url)),
      path,
      String(count),
      ...(maxMessages === undefined ? [] : [String(maxMessages)]),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("KV backend: two processes append to one file concurrently, ids stay strictly increasing and the watcher gets every message once", async () => {
  const dir = await tempDir();
  const path = `${dir}/hub.sqlite`;
  const backend = createKvBackend(path, { pollMs: 10 });
  try {
    const seen: HubDataMessage[] = [];
    const gaps: string[] = [];
    const unwatch = backend.watch("t", (m) => seen.push(m), {
      onGap: (after) => gaps.push(after),
    });
    await backend.read("t", { limit: 1 });
    const count = 100;
    const child = childAppends(path, count);
    const mine: string[] = [];
    for (let i = 0; i < count; i++) {
      mine.push((await backend.append("t", { data: `parent-${i}` })).id);
    }
    const { success, stdout, stderr } = await child;
    strictEqual(success, true, new TextDecoder().decode(stderr));
    const theirs = new TextDecoder().decode(stdout).trim().split("\n");
    strictEqual(theirs.length, count);
    await until(() => seen.length >= 2 * count, "every message watched");
    unwatch();
    // Stored in one order, with strictly increasing ids.
    const { messages } = await backend.read("t", { limit: 1000 });
    strictEqual(messages.length, 2 * count);
    for (let i = 1; i < messages.length; i++) {
      ok(backend.compare(messages[i - 1]!.id, messages[i]!.id) < 0);
    }
    // Each process's messages in its own call order; none lost or doubled.
    const ids = messages.map((m) => m.id);
    deepStrictEqual(ids.filter((id) => mine.includes(id)), mine);
    deepStrictEqual(ids.filter((id) => theirs.includes(id)), theirs);
    deepStrictEqual(seen.map((m) => m.id), ids);
    deepStrictEqual(gaps, []);
  } finally {
    await backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KV backend: a watch that falls behind the window reports a gap, and the hub resets its subscriber", async () => {
  const dir = await tempDir();
  const path = `${dir}/hub.sqlite`;
  // The watching backend polls rarely; another process appends past the
  // window before the watch reads.
  const watching = createKvBackend(path, { maxMessages: 3, pollMs: 60_000 });
  const hub = new Hub({ backend: watching });
  try {
    const first = await watching.append("t", { data: "0" });
    const gaps: string[] = [];
    const seen: string[] = [];
    const unwatch = watching.watch("t", (m) => seen.push(String(m.data)), {
      onGap: (after) => gaps.push(after),
    });
    const reader = hub.subscribe("t", { since: first.id }).getReader();
    await watching.read("t", { limit: 1 });
    const { success } = await childAppends(path, 6, 3);
    strictEqual(success, true);
    // An append of the watching backend wakes its loop.
    await watching.append("t", { data: "7" });
    await until(() => seen.length > 0, "live messages");
    deepStrictEqual(gaps, [first.id]);
    deepStrictEqual(seen, ["child-4", "child-5", "7"]);
    // The hub's subscriber replays and is told what is gone.
    const got: string[] = [];
    while (!got.includes("7")) {
      const { value } = await reader.read();
      got.push(
        value!.kind === "reset"
          ? `reset:${value!.reason}`
          : value!.kind === "message"
          ? String(value!.data)
          : value!.kind,
      );
    }
    deepStrictEqual(got, ["reset:window-exceeded", "child-4", "child-5", "7"]);
    unwatch();
    await reader.cancel();
  } finally {
    await hub.close();
    await watching.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KV backend: a payload over what a KV value holds rejects with a RangeError", async () => {
  const backend = createKvBackend(":memory:");
  try {
    await rejects(
      backend.append("t", { data: "x".repeat(64_513) }),
      (error: unknown) =>
        error instanceof RangeError &&
        /^Cannot publish to topic "t": data is 64513 bytes, which exceeds the 64512 bytes a Deno KV value can hold$/
          .test(error.message),
    );
    const big = await backend.append("t", { data: new Uint8Array(64_512) });
    strictEqual((big.data as Uint8Array).byteLength, 64_512);
    // Text is counted in UTF-8 bytes: 30,000 three-byte characters.
    await rejects(
      backend.append("t", { data: "€".repeat(30_000) }),
      RangeError,
    );
  } finally {
    await backend.close();
  }
});

Deno.test("KV backend: appends waiting past maxPendingAppends reject at once", async () => {
  const backend = createKvBackend(":memory:", { maxPendingAppends: 3 });
  try {
    const results = await Promise.allSettled(
      Array.from(
        { length: 5 },
        (_, i) => backend.append("t", { data: `${i}` }),
      ),
    );
    deepStrictEqual(results.map((r) => r.status), [
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
    ]);
    match(
      String((results[3] as PromiseRejectedResult).reason),
      /^Error: Cannot publish to topic "t": 3 appends are waiting, the maxPendingAppends of 3$/,
    );
    // Once they settled, appends go through again.
    strictEqual((await backend.append("t", { data: "later" })).data, "later");
  } finally {
    await backend.close();
  }
});

Deno.test("createKvBackend validates its options", () => {
  for (
    const name of [
      "maxMessages",
      "maxAgeMs",
      "maxTopics",
      "maxRetainedBytes",
      "pollMs",
      "maxPendingAppends",
    ]
  ) {
    throws(
      () => createKvBackend(":memory:", { [name]: 0 }),
      new RangeError(
        `Cannot create KV backend: ${name} is 0, expected a positive integer`,
      ),
    );
  }
  throws(
    () =>
      createKvBackend(":memory:", {
        keyPrefix: "app" as unknown as Deno.KvKey,
      }),
    new TypeError("Cannot create KV backend: keyPrefix is not an array"),
  );
});

Deno.test("KV backend: a Deno.Kv passed in stays open after close, and key prefixes keep backends apart", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = createKvBackend(kv, { keyPrefix: ["app", "a"] });
    const b = createKvBackend(kv, { keyPrefix: ["app", "b"] });
    await a.append("t", { data: "a" });
    deepStrictEqual((await b.read("t", { limit: 10 })).messages, []);
    await a.close();
    await b.close();
    await kv.set(["still", "open"], 1);
    strictEqual((await kv.get(["still", "open"])).value, 1);
  } finally {
    kv.close();
  }
});

Deno.test("KV backend: the counters of expired time buckets are deleted, so they do not pile up", async () => {
  const kv = await Deno.openKv(":memory:");
  let time = 1_800_000_000_000;
  // Buckets of a sixteenth of maxAgeMs: one second here.
  const backend = createKvBackend(kv, { maxAgeMs: 16_000, now: () => time });
  try {
    for (let i = 0; i < 200; i++) {
      await backend.append(`t${i % 3}`, { data: "x" });
      time += 1000;
    }
    let counters = 0;
    for (const part of ["b", "n"]) {
      for await (const _ of kv.list({ prefix: ["serverpush", part] })) {
        counters++;
      }
    }
    // 200 buckets were used; only those of the last maxAgeMs remain.
    ok(counters <= 2 * 18, `${counters} counters`);
    // Messages of the last 16 seconds are live: 15 (one per second, the
    // newest a second ago, the one 16 seconds old expired).
    let total = 0;
    for (const topic of ["t0", "t1", "t2"]) {
      total += (await backend.read(topic, { limit: 100 })).messages.length;
    }
    strictEqual(total, 15);
  } finally {
    await backend.close();
    kv.close();
  }
});
