// Copyright 2026 the serverpush authors. MIT license.
// The backend contract (hub/backend.ts), tested once for every backend.
//
// A backend joins the suite with a test file that calls
// `backendConformance(factory)`: the factory opens backends on one store
// (a fresh store per test), maps the common limits onto the backend's own
// options, and says which optional parts of the contract the backend has.

import {
  deepStrictEqual,
  notStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  Hub,
  type HubBackend,
  type HubDataMessage,
  HubLimitError,
} from "../../hub/mod.ts";
import { delay, until, within } from "../_wait.ts";
import { summary } from "./_helpers.ts";
import { keyedConformance } from "./_keyed_conformance.ts";
import { presenceConformance } from "./_presence_conformance.ts";

/** The limits a test asks for; a factory maps them to its options. */
export interface ConformanceLimits {
  /** Messages kept per topic. */
  maxMessages: number;
  /** Age limit of a message (ms), when the test needs one. */
  maxAgeMs?: number;
  /** Topics that may hold messages at once, when the test needs it. */
  maxTopics?: number;
  /** Retained bytes over all topics, when the test needs it. */
  maxRetainedBytes?: number;
  /** Idempotency window (ms), when the test needs one. */
  idempotencyWindowMs?: number;
  /** Keys a topic may hold, when the test needs it. */
  maxKeysPerTopic?: number;
  /** Clock, for expiry tests of backends with `fakeClock`. */
  now?: () => number;
  /** Time-to-live of presence entries (ms), when the test needs one. */
  presenceTtlMs?: number;
}

/** A backend as the suite uses it: `close` when it has one. */
export type ConformanceBackend = HubBackend & { close?(): Promise<void> };

/** One store (a fresh one per test) on which backends are opened. */
export interface ConformanceStore {
  /** Opens a backend on this store; the suite closes it. */
  open(limits: ConformanceLimits): ConformanceBackend;
  /** Removes what the store left behind. */
  dispose(): Promise<void>;
}

/** How to test one backend. */
export interface BackendFactory {
  /** Shown in test names, e.g. `memory` or `kv (file)`. */
  name: string;
  /** Why the tests cannot run here (printed), or undefined. */
  missing?: string;
  /** Sets up a fresh store for one test. */
  store(): Promise<ConformanceStore>;
  /**
   * Whether a second backend opened on one store shares its topics (and a
   * new backend on the store after a restart keeps the history).
   */
  shared: boolean;
  /** Whether the backend takes a fake clock (`now`) for `maxAgeMs`. */
  fakeClock: boolean;
  /** Whether `maxTopics` and `maxRetainedBytes` are enforced. */
  hubWideCaps: boolean;
  /** Whether the backend has `close()`. */
  closes: boolean;
  /**
   * The stores share a server that outlives each test (started once per
   * file, stopped by a last test), so the per-test resource checks are off.
   */
  sharedServer?: boolean;
}

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance(ms: number): void } {
  let time = 1_800_000_000_000;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** Registers the conformance tests of one backend. */
export function backendConformance(factory: BackendFactory): void {
  if (factory.missing !== undefined) {
    // deno-lint-ignore no-console
    console.log(
      `Skipping the ${factory.name} conformance tests: ${factory.missing}`,
    );
  }

  /** A test with a fresh store; every backend it opens is closed after. */
  function test(
    name: string,
    fn: (open: (limits: ConformanceLimits) => ConformanceBackend) => Promise<
      void
    >,
    skip?: string,
  ): void {
    if (skip !== undefined && factory.missing === undefined) {
      // deno-lint-ignore no-console
      console.log(
        `Skipping "${factory.name}: ${name}": ${skip}`,
      );
    }
    Deno.test({
      name: `${factory.name} backend: ${name}`,
      ignore: factory.missing !== undefined || skip !== undefined,
      ...(factory.sharedServer === true
        ? { sanitizeResources: false, sanitizeOps: false }
        : {}),
      async fn(): Promise<void> {
        const store = await factory.store();
        const opened: ConformanceBackend[] = [];
        try {
          await fn((limits) => {
            const backend = store.open(limits);
            opened.push(backend);
            return backend;
          });
        } finally {
          for (const backend of opened) await backend.close?.();
          await store.dispose();
        }
      },
    });
  }

  presenceConformance(factory, test);

  test("read with last returns the newest messages, oldest first, within the window", async (open) => {
    const backend = open({ maxMessages: 4 });
    deepStrictEqual(
      (await backend.read("t", { last: 3, limit: 10 })).messages,
      [],
    );
    const ids: string[] = [];
    for (const data of ["a", "b", "c", "d", "e", "f"]) {
      ids.push((await backend.append("t", { data })).id);
    }
    const last = async (n: number, limit = 10) =>
      (await backend.read("t", { last: n, limit })).messages.map((m) => [
        m.id,
        m.data,
      ]);
    deepStrictEqual(await last(2), [[ids[4], "e"], [ids[5], "f"]]);
    // What the window holds (Redis trims approximately), at most `limit`.
    const window = (await backend.read("t", { limit: 10 })).messages;
    deepStrictEqual(await last(10), window.map((m) => [m.id, m.data]));
    deepStrictEqual((await last(3, 2)).map(([, d]) => d), ["e", "f"]);
    deepStrictEqual(await last(0), []);
  });

  test("append stores text, bytes and event types, and read returns them", async (open) => {
    const backend = open({ maxMessages: 10 });
    const a = await backend.append("t", { data: "héllo" });
    const b = await backend.append("t", {
      event: "bin",
      data: new Uint8Array([0, 255, 7]),
    });
    deepStrictEqual(
      [a.kind, a.topic, a.data, a.event],
      ["message", "t", "héllo", undefined],
    );
    deepStrictEqual([b.event, b.data], ["bin", new Uint8Array([0, 255, 7])]);
    const { messages, reset } = await backend.read("t", { limit: 10 });
    strictEqual(reset, undefined);
    deepStrictEqual(
      messages.map((m) => [m.id, m.event, m.data]),
      [[a.id, undefined, "héllo"], [b.id, "bin", new Uint8Array([0, 255, 7])]],
    );
    deepStrictEqual((await backend.read("other", { limit: 10 })).messages, []);
  });

  test("ids are strictly increasing per topic, in call order, and compare orders them", async (open) => {
    const backend = open({ maxMessages: 100 });
    const appended = await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) => backend.append(i % 2 ? "odd" : "even", { data: String(i) }),
      ),
    );
    for (const topic of ["odd", "even"]) {
      const mine = appended.filter((m) => m.topic === topic);
      for (let i = 1; i < mine.length; i++) {
        ok(
          backend.compare(mine[i - 1]!.id, mine[i]!.id) < 0,
          `${mine[i - 1]!.id} < ${mine[i]!.id}`,
        );
        ok(backend.compare(mine[i]!.id, mine[i - 1]!.id) > 0);
        ok(Number(mine[i - 1]!.data) < Number(mine[i]!.data), "call order");
      }
      strictEqual(backend.compare(mine[0]!.id, mine[0]!.id), 0);
      const { messages } = await backend.read(topic, { limit: 100 });
      deepStrictEqual(messages.map((m) => m.id), mine.map((m) => m.id));
    }
    throws(() => backend.compare("not an id", appended[0]!.id), TypeError);
  });

  test("read after an id returns exactly what follows it, page by page", async (open) => {
    const backend = open({ maxMessages: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await backend.append("t", { data: `m${i}` })).id);
    }
    const page = await backend.read("t", { since: ids[1]!, limit: 3 });
    strictEqual(page.reset, undefined);
    deepStrictEqual(page.messages.map((m) => m.data), ["m2", "m3", "m4"]);
    const rest = await backend.read("t", { since: ids[4]!, limit: 10 });
    deepStrictEqual(rest.messages.map((m) => m.data), ["m5", "m6"]);
    const none = await backend.read("t", { since: ids[6]!, limit: 10 });
    deepStrictEqual([none.messages, none.reset], [[], undefined]);
  });

  test("read signals trimmed messages with window-exceeded and returns the window", async (open) => {
    const backend = open({ maxMessages: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await backend.append("t", { data: `m${i}` })).id);
    }
    const all = await backend.read("t", { limit: 10 });
    ok(all.messages.length >= 3);
    deepStrictEqual(
      all.messages.slice(-3).map((m) => m.data),
      ["m3", "m4", "m5"],
    );
    // Redis trims approximately: only ask about what every backend dropped.
    if (all.messages.length === 3) {
      const history = await backend.read("t", { since: ids[0]!, limit: 10 });
      strictEqual(history.reset, "window-exceeded");
      deepStrictEqual(
        history.messages.map((m) => m.data),
        ["m3", "m4", "m5"],
      );
    }
    const kept = await backend.read("t", { since: ids[3]!, limit: 10 });
    deepStrictEqual(
      [kept.reset, kept.messages.map((m) => m.data)],
      [undefined, ["m4", "m5"]],
    );
  });

  test("read signals an unknown id with unknown-id and returns the window", async (open) => {
    const backend = open({ maxMessages: 10 });
    await backend.append("t", { data: "a" });
    for (const since of ["nope", "", "12-x", "-1"]) {
      const history = await backend.read("t", { since, limit: 10 });
      strictEqual(history.reset, "unknown-id", since);
      deepStrictEqual(history.messages.map((m) => m.data), ["a"]);
    }
  });

  test("a new backend on the store resumes after an id, or says the id is unknown", async (open) => {
    const first = open({ maxMessages: 10 });
    const a = await first.append("t", { data: "a" });
    await first.append("t", { data: "b" });
    await first.close?.();
    const again = open({ maxMessages: 10 });
    const c = await again.append("t", { data: "c" });
    const history = await again.read("t", { since: a.id, limit: 10 });
    if (factory.shared) {
      deepStrictEqual(
        [history.reset, history.messages.map((m) => m.data)],
        [undefined, ["b", "c"]],
      );
      ok(again.compare(a.id, c.id) < 0);
    } else {
      deepStrictEqual(
        [history.reset, history.messages.map((m) => m.data)],
        ["unknown-id", ["c"]],
      );
    }
  });

  test(
    "messages older than maxAgeMs are gone, and resuming before them is window-exceeded",
    async (open) => {
      const clock = fakeClock();
      const backend = open({
        maxMessages: 10,
        maxAgeMs: 60_000,
        now: clock.now,
      });
      const old = await backend.append("t", { data: "old" });
      await backend.append("t", { data: "old too" });
      clock.advance(40_000);
      const kept = await backend.append("t", { data: "kept" });
      clock.advance(30_000);
      const history = await backend.read("t", { since: old.id, limit: 10 });
      deepStrictEqual(
        [history.reset, history.messages.map((m) => m.data)],
        ["window-exceeded", ["kept"]],
      );
      clock.advance(60_000);
      // Nothing after `kept` was lost: a backend may still say it cannot
      // tell, once the topic is gone.
      const gone = await backend.read("t", { since: kept.id, limit: 10 });
      deepStrictEqual(gone.messages, []);
      ok(gone.reset === undefined || gone.reset === "window-exceeded");
      // The topic starts again, with ids newer than before.
      const next = await backend.append("t", { data: "next" });
      ok(backend.compare(kept.id, next.id) < 0);
      deepStrictEqual(
        (await backend.read("t", { limit: 10 })).messages.map((m) => m.data),
        ["next"],
      );
    },
    factory.fakeClock ? undefined : "the backend takes no fake clock",
  );

  test("a topic with no append for maxAgeMs is forgotten (real clock)", async (open) => {
    const backend = open({ maxMessages: 10, maxAgeMs: 300 });
    const old = await backend.append("t", { data: "old" });
    await delay(700);
    deepStrictEqual((await backend.read("t", { limit: 10 })).messages, []);
    const gone = await backend.read("t", { since: old.id, limit: 10 });
    deepStrictEqual(gone.messages, []);
    const next = await backend.append("t", { data: "next" });
    const after = await backend.read("t", { since: old.id, limit: 10 });
    deepStrictEqual(after.messages.map((m) => m.id), [next.id]);
  });

  test(
    "maxTopics rejects one topic too many with HubLimitError too-many-topics",
    async (open) => {
      const backend = open({ maxMessages: 10, maxTopics: 2 });
      await backend.append("a", { data: "1" });
      await backend.append("b", { data: "1" });
      const error = await backend.append("c", { data: "1" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      ok(error instanceof HubLimitError, String(error));
      strictEqual(error.code, "too-many-topics");
      // Existing topics still take messages.
      strictEqual((await backend.append("a", { data: "2" })).data, "2");
      deepStrictEqual((await backend.read("c", { limit: 10 })).messages, []);
    },
    factory.hubWideCaps ? undefined : "the backend has no hub-wide caps",
  );

  test(
    "maxRetainedBytes evicts the oldest messages of any topic",
    async (open) => {
      // Each message counts 128 + 100 bytes: four fit in 1000.
      const backend = open({ maxMessages: 100, maxRetainedBytes: 1000 });
      const data = "x".repeat(100);
      const first = await backend.append("a", { data });
      await backend.append("b", { data });
      await backend.append("a", { data });
      await backend.append("b", { data });
      await backend.append("c", { data });
      const a = await backend.read("a", { since: first.id, limit: 10 });
      strictEqual(a.reset, undefined); // nothing after `first` was evicted
      strictEqual(a.messages.length, 1);
      const all = await backend.read("a", { limit: 10 });
      strictEqual(all.messages.length, 1, "the oldest message of a is gone");
      let total = 0;
      for (const topic of ["a", "b", "c"]) {
        total += (await backend.read(topic, { limit: 10 })).messages.length;
      }
      strictEqual(total, 4);
    },
    factory.hubWideCaps ? undefined : "the backend has no hub-wide caps",
  );

  test("watch delivers new messages in order until unwatched", async (open) => {
    const backend = open({ maxMessages: 100 });
    await backend.append("t", { data: "before" });
    const seen: HubDataMessage[] = [];
    const gaps: string[] = [];
    const unwatch = backend.watch("t", (m) => seen.push(m), {
      onGap: (after) => gaps.push(after),
    });
    await backend.read("t", { limit: 1 }); // the watch's start is fixed
    const appended: string[] = [];
    for (let i = 0; i < 5; i++) {
      appended.push((await backend.append("t", { data: `m${i}` })).id);
    }
    await until(() => seen.length >= 5, "five messages");
    deepStrictEqual(seen.map((m) => m.id), appended);
    unwatch();
    unwatch(); // again: nothing
    await backend.append("t", { data: "after" });
    await backend.read("t", { limit: 1 });
    await delay(200);
    strictEqual(seen.length, 5);
    deepStrictEqual(gaps, []);
  });

  test(
    "a backend on the same store receives what another appends",
    async (open) => {
      const a = open({ maxMessages: 100 });
      const b = open({ maxMessages: 100 });
      const seen: HubDataMessage[] = [];
      const unwatch = b.watch("t", (m) => seen.push(m));
      await b.read("t", { limit: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await a.append("t", { data: `m${i}` })).id);
      }
      await until(() => seen.length >= 5, "five messages");
      deepStrictEqual(seen.map((m) => m.id), ids);
      unwatch();
    },
    factory.shared ? undefined : "backends do not share a store",
  );

  test("a hub over the backend replays then delivers live, with no gap or duplicate", async (open) => {
    const backend = open({ maxMessages: 100 });
    const hub = new Hub({ backend });
    try {
      const first = await hub.publish("t", { data: "1" });
      await hub.publish("t", { data: "2" });
      const reader = hub.subscribe("t", { since: first }).getReader();
      const publishing = (async () => {
        for (let i = 3; i <= 6; i++) await hub.publish("t", { data: `${i}` });
      })();
      const got = [];
      while (got.length < 5) {
        const { value } = await within(reader.read(), "a message");
        got.push(value!);
      }
      await publishing;
      deepStrictEqual(summary(got), ["2", "3", "4", "5", "6"]);
      await reader.cancel();
    } finally {
      await hub.close();
    }
  });

  test(
    "close makes later appends reject and watches throw",
    async (open) => {
      const backend = open({ maxMessages: 10 });
      await backend.append("t", { data: "a" });
      await backend.close!();
      await backend.close!(); // again: nothing
      await rejects(backend.append("t", { data: "b" }), /closed/);
      throws(() => backend.watch("t", () => {}), /closed/);
    },
    factory.closes ? undefined : "the backend has no close()",
  );

  test("an append that repeats an idempotency key stores and delivers nothing and returns the first message", async (open) => {
    const backend = open({ maxMessages: 10 });
    const seen: HubDataMessage[] = [];
    const unwatch = backend.watch("t", (m) => seen.push(m));
    await backend.read("t", { limit: 1 }); // the watch's start is fixed
    const key = { idempotencyKey: "order-7" };
    const first = await backend.append("t", { event: "e", data: "a" }, key);
    const again = await backend.append("t", { event: "e", data: "a" }, key);
    deepStrictEqual(
      [again.id, again.topic, again.event, again.data],
      [first.id, "t", "e", "a"],
    );
    const other = await backend.append("t", { data: "b" }, {
      idempotencyKey: "order-8",
    });
    const plain = await backend.append("t", { data: "c" });
    notStrictEqual(other.id, first.id);
    deepStrictEqual(
      (await backend.read("t", { limit: 10 })).messages.map((m) => m.id),
      [first.id, other.id, plain.id],
    );
    await until(() => seen.length >= 3, "three messages");
    await delay(100);
    deepStrictEqual(seen.map((m) => m.data), ["a", "b", "c"]);
    unwatch();
  });

  test("an idempotency key on one topic does not affect another", async (open) => {
    const backend = open({ maxMessages: 10 });
    const key = { idempotencyKey: "k" };
    const a = await backend.append("a", { data: "1" }, key);
    const b = await backend.append("b", { data: "1" }, key);
    strictEqual(b.topic, "b");
    strictEqual((await backend.append("a", { data: "1" }, key)).id, a.id);
    strictEqual((await backend.append("b", { data: "1" }, key)).id, b.id);
    for (const topic of ["a", "b"]) {
      strictEqual(
        (await backend.read(topic, { limit: 10 })).messages.length,
        1,
        topic,
      );
    }
  });

  test("20 concurrent appends with one idempotency key store exactly one message", async (open) => {
    const backends = factory.shared
      ? [open({ maxMessages: 100 }), open({ maxMessages: 100 })]
      : [open({ maxMessages: 100 })];
    const appended = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          backends[i % backends.length]!.append("t", { data: "once" }, {
            idempotencyKey: "same",
          }),
      ),
    );
    const ids = new Set(appended.map((m) => m.id));
    strictEqual(ids.size, 1, [...ids].join(", "));
    const { messages } = await backends[0]!.read("t", { limit: 100 });
    deepStrictEqual(messages.map((m) => m.id), [...ids]);
  });

  test("an idempotency key is forgotten after idempotencyWindowMs (real clock)", async (open) => {
    const backend = open({ maxMessages: 10, idempotencyWindowMs: 300 });
    const key = { idempotencyKey: "k" };
    const first = await backend.append("t", { data: "a" }, key);
    strictEqual((await backend.append("t", { data: "a" }, key)).id, first.id);
    await delay(700);
    const later = await backend.append("t", { data: "a" }, key);
    notStrictEqual(later.id, first.id);
    strictEqual((await backend.read("t", { limit: 10 })).messages.length, 2);
  });

  test(
    "an idempotency key is forgotten after idempotencyWindowMs (fake clock)",
    async (open) => {
      const clock = fakeClock();
      const backend = open({
        maxMessages: 10,
        idempotencyWindowMs: 60_000,
        now: clock.now,
      });
      const key = { idempotencyKey: "k" };
      const first = await backend.append("t", { data: "a" }, key);
      clock.advance(59_000);
      strictEqual((await backend.append("t", { data: "a" }, key)).id, first.id);
      clock.advance(1_000);
      const later = await backend.append("t", { data: "a" }, key);
      notStrictEqual(later.id, first.id);
      clock.advance(30_000);
      strictEqual((await backend.append("t", { data: "a" }, key)).id, later.id);
      strictEqual((await backend.read("t", { limit: 10 })).messages.length, 2);
    },
    factory.fakeClock ? undefined : "the backend takes no fake clock",
  );

  test("different topics keep separate histories", async (open) => {
    const backend = open({ maxMessages: 10 });
    const a = await backend.append("a", { data: "a1" });
    const b = await backend.append("b", { data: "b1" });
    notStrictEqual(a.topic, b.topic);
    deepStrictEqual(
      (await backend.read("a", { limit: 10 })).messages.map((m) => m.data),
      ["a1"],
    );
    deepStrictEqual(
      (await backend.read("b", { limit: 10 })).messages.map((m) => m.data),
      ["b1"],
    );
  });

  keyedConformance(test);
}
