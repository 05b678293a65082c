// Copyright 2026 the serverpush authors. MIT license.
// Keyed topics (the `key` of a publish, `state` of a backend and of a
// subscription), tested once for every backend through the conformance
// suite's `test` helper.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  Hub,
  type HubBackend,
  type HubDataMessage,
  HubLimitError,
  type HubMessage,
} from "../../hub/mod.ts";
import { delay, until, within } from "../_wait.ts";
import type {
  ConformanceBackend,
  ConformanceLimits,
} from "./_backend_conformance.ts";

type Test = (
  name: string,
  fn: (open: (limits: ConformanceLimits) => ConformanceBackend) => Promise<
    void
  >,
  skip?: string,
) => void;

/** `key=data` of a data message, `-key` of a delete, `reset:r` of a reset. */
function view(message: HubMessage): string {
  if (message.kind === "reset") return `reset:${message.reason}`;
  if (message.kind !== "message") return message.kind;
  if (message.deleted === true) return `-${message.key}`;
  return message.key === undefined
    ? String(message.data)
    : `${message.key}=${message.data}`;
}

function hasState(
  backend: HubBackend,
): asserts backend is HubBackend & Required<Pick<HubBackend, "state">> {
  strictEqual(typeof backend.state, "function", "the backend has state()");
}

/**
 * What a `state` subscriber must have received when the history of the
 * topic is `all`: the state as of some message (the latest message of every
 * key up to it, in id order), then every message after it, with nothing
 * missing and nothing twice. Returns the id the snapshot was taken at.
 */
export function assertSnapshotThenLive(
  received: readonly HubDataMessage[],
  all: readonly HubDataMessage[],
): string | undefined {
  const tried: string[] = [];
  for (let cut = 0; cut <= all.length; cut++) {
    const latest = new Map<string, HubDataMessage>();
    for (const message of all.slice(0, cut)) {
      if (message.key === undefined) continue;
      latest.delete(message.key);
      if (message.deleted !== true) latest.set(message.key, message);
    }
    const expected = [...latest.values(), ...all.slice(cut)];
    const ids = expected.map((m) => m.id).join();
    if (ids === received.map((m) => m.id).join()) {
      return cut === 0 ? undefined : all[cut - 1]!.id;
    }
    tried.push(ids);
  }
  throw new Error(
    `received ${
      received.map(view).join(" ")
    } is no snapshot of the history followed by the rest of it: ${
      all.map(view).join(" ")
    }`,
  );
}

/** Registers the keyed-topic tests of one backend. */
export function keyedConformance(test: Test): void {
  test("a keyed append sets its key's state and a delete removes it, atomically with the append", async (open) => {
    const backend = open({ maxMessages: 100 });
    hasState(backend);
    deepStrictEqual(await backend.state("t"), {
      messages: [],
      last: undefined,
    });
    const seen: HubDataMessage[] = [];
    const unwatch = backend.watch("t", (m) => seen.push(m));
    await backend.read("t", { limit: 1 }); // the watch's start is fixed
    const a1 = await backend.append("t", { key: "a", data: "1" });
    const b1 = await backend.append("t", {
      key: "b",
      event: "e",
      data: new Uint8Array([1, 2]),
    });
    const plain = await backend.append("t", { data: "plain" });
    const a2 = await backend.append("t", { key: "a", data: "2" });
    const gone = await backend.append("t", {
      key: "b",
      data: "",
      delete: true,
    });
    deepStrictEqual(
      [a1.key, b1.key, plain.key, a2.key, gone.key, gone.deleted, gone.data],
      ["a", "b", undefined, "a", "b", true, ""],
    );
    strictEqual("deleted" in a2, false);
    let state = await backend.state("t");
    deepStrictEqual(state.messages, [a2]);
    strictEqual(state.last, gone.id);
    const c = await backend.append("t", { key: "c", data: "3" });
    const b2 = await backend.append("t", {
      key: "b",
      event: "e",
      data: new Uint8Array([3]),
    });
    state = await backend.state("t");
    deepStrictEqual(state.messages, [a2, c, b2]);
    strictEqual(state.last, b2.id);
    // read and watch carry the key fields too.
    deepStrictEqual(
      (await backend.read("t", { limit: 10 })).messages.map(view),
      ["a=1", "b=1,2", "plain", "a=2", "-b", "c=3", "b=3"],
    );
    await until(() => seen.length >= 7, "seven messages");
    deepStrictEqual(seen.map(view), [
      "a=1",
      "b=1,2",
      "plain",
      "a=2",
      "-b",
      "c=3",
      "b=3",
    ]);
    unwatch();
  });

  test("an unkeyed message moves the state's last id; deleting an unknown key is a plain delete", async (open) => {
    const backend = open({ maxMessages: 100 });
    hasState(backend);
    const a = await backend.append("t", { key: "a", data: "1" });
    const plain = await backend.append("t", { data: "x" });
    const gone = await backend.append("t", {
      key: "never",
      data: "",
      delete: true,
    });
    deepStrictEqual(await backend.state("t"), {
      messages: [a],
      last: gone.id,
    });
    strictEqual(backend.compare(plain.id, gone.id) < 0, true);
    deepStrictEqual(await backend.state("other"), {
      messages: [],
      last: undefined,
    });
  });

  test("a topic holds at most maxKeysPerTopic keys: one more is a too-many-keys HubLimitError that stores nothing", async (open) => {
    const backend = open({ maxMessages: 100, maxKeysPerTopic: 3 });
    hasState(backend);
    for (const key of ["a", "b", "c"]) {
      await backend.append("t", { key, data: key });
    }
    const before = await backend.read("t", { limit: 100 });
    await rejects(
      backend.append("t", { key: "d", data: "d" }),
      (error) =>
        error instanceof HubLimitError && error.code === "too-many-keys" &&
        /maxKeysPerTopic of 3/.test(error.message),
    );
    deepStrictEqual(await backend.read("t", { limit: 100 }), before);
    // Setting a held key, plain messages and deletes still go through.
    await backend.append("t", { key: "a", data: "a2" });
    await backend.append("t", { data: "plain" });
    await backend.append("t", { key: "b", data: "", delete: true });
    const d = await backend.append("t", { key: "d", data: "d" });
    deepStrictEqual(
      (await backend.state("t")).messages.map(view),
      ["c=c", "a=a2", "d=d"],
    );
    strictEqual(d.key, "d");
    // Another topic has its own keys.
    await backend.append("u", { key: "z", data: "z" });
  });

  test("a hub's state subscriber gets the state, then live messages, with a publisher running in parallel", async (open) => {
    const backend = open({ maxMessages: 1000 });
    const hub = new Hub({ backend });
    try {
      let count = 0;
      const publishing = (async () => {
        while (count < 60) {
          const n = count++;
          await hub.publish(
            "t",
            n % 7 === 3
              ? { key: `k${n % 5}`, delete: true }
              : n % 11 === 5
              ? { data: `plain${n}` }
              : { key: `k${n % 5}`, data: `${n}` },
          );
          // Let the subscribers in between (a memory hub never waits).
          if (n % 2 === 0) await delay(0);
        }
      })();
      const readers = [];
      for (let i = 0; i < 3; i++) {
        await until(() => count >= 10 + 15 * i, "more messages");
        readers.push(hub.subscribe("t", { state: true }).getReader());
      }
      await publishing;
      const all = (await hub.history("t", { limit: 1000 })).messages;
      strictEqual(all.length, count);
      const last = all.at(-1)!.id;
      const cuts = new Set<string | undefined>();
      for (const reader of readers) {
        const received: HubDataMessage[] = [];
        while (received.at(-1)?.id !== last) {
          const { value } = await within(reader.read(), "a message");
          ok(value?.kind === "message", `no reset: ${JSON.stringify(value)}`);
          received.push(value);
        }
        cuts.add(assertSnapshotThenLive(received, all));
        await reader.cancel();
      }
      ok(cuts.size >= 2, "the subscribers took different snapshots");
    } finally {
      await hub.close();
    }
  });

  test("a state subscriber on an empty topic gets live messages only", async (open) => {
    const backend = open({ maxMessages: 100 });
    const hub = new Hub({ backend });
    try {
      const reader = hub.subscribe("t", { state: true }).getReader();
      await delay(50);
      await hub.publish("t", { key: "a", data: "1" });
      await hub.publish("t", { data: "x" });
      const got = [
        (await within(reader.read(), "a")).value!,
        (await within(reader.read(), "x")).value!,
      ];
      deepStrictEqual(got.map(view), ["a=1", "x"]);
      await reader.cancel();
    } finally {
      await hub.close();
    }
  });

  test("a state subscriber whose since the window cannot cover gets the reset, then the state instead of the window", async (open) => {
    const backend = open({ maxMessages: 3 });
    const hub = new Hub({ backend });
    try {
      const first = await hub.publish("t", { key: "a", data: "1" });
      // Redis trims approximately (whole nodes of 100 entries): publish
      // enough that every backend trimmed the first message.
      for (let i = 2; i <= 300; i++) {
        await hub.publish("t", { key: `k${i % 4}`, data: `${i}` });
      }
      const window = (await hub.history("t", { since: first })).reset;
      strictEqual(window, "window-exceeded");
      const reader = hub.subscribe("t", { since: first, state: true })
        .getReader();
      const got = [];
      for (let i = 0; i < 6; i++) {
        got.push(view((await within(reader.read(), "a message")).value!));
      }
      deepStrictEqual(got, [
        "reset:window-exceeded",
        "a=1",
        "k1=297",
        "k2=298",
        "k3=299",
        "k0=300",
      ]);
      await hub.publish("t", { key: "a", data: "live" });
      strictEqual(view((await within(reader.read(), "live")).value!), "a=live");
      await reader.cancel();
      const unknown = hub.subscribe("t", { since: "no-such-id", state: true })
        .getReader();
      got.length = 0;
      for (let i = 0; i < 6; i++) {
        got.push(view((await within(unknown.read(), "a message")).value!));
      }
      deepStrictEqual(got, [
        "reset:unknown-id",
        "k1=297",
        "k2=298",
        "k3=299",
        "k0=300",
        "a=live",
      ]);
      await unknown.cancel();
      // Without state, the same since replays the window after the reset.
      const plain = hub.subscribe("t", { since: first }).getReader();
      got.length = 0;
      for (let i = 0; i < 2; i++) {
        got.push(view((await within(plain.read(), "a message")).value!));
      }
      strictEqual(got[0], "reset:window-exceeded");
      ok(got[1] !== "a=1", "the window, not the state");
      await plain.cancel();
    } finally {
      await hub.close();
    }
  });

  test("a state subscriber that falls behind under drop-oldest gets a dropped reset, then the state, then live messages", async (open) => {
    const backend = open({ maxMessages: 100 });
    const hub = new Hub({
      backend,
      maxQueuedMessages: 3,
      queuePolicy: "drop-oldest",
    });
    try {
      await hub.publish("t", { key: "a", data: "0" });
      const reader = hub.subscribe("t", { state: true }).getReader();
      strictEqual(view((await within(reader.read(), "state")).value!), "a=0");
      let last = "";
      for (let i = 1; i <= 20; i++) {
        last = await hub.publish("t", { key: `k${i % 3}`, data: `${i}` });
      }
      await until(
        () => hub.counters.droppedQueueFull > 0,
        "the queue to overflow",
      );
      await delay(100); // every live message reached the subscriber
      const got: HubMessage[] = [];
      const lastId = (m: HubMessage | undefined) =>
        m?.kind === "message" ? m.id : undefined;
      while (lastId(got.at(-1)) !== last) {
        got.push((await within(reader.read(), "a message")).value!);
      }
      deepStrictEqual(got.map(view), [
        "reset:dropped",
        "a=0",
        "k0=18",
        "k1=19",
        "k2=20",
      ]);
      await hub.publish("t", { key: "a", data: "live" });
      strictEqual(view((await within(reader.read(), "live")).value!), "a=live");
      await reader.cancel();
    } finally {
      await hub.close();
    }
  });

  test("an idempotent keyed publish sets the state once", async (open) => {
    const backend = open({ maxMessages: 100 });
    hasState(backend);
    const options = { idempotencyKey: "set-a" };
    const first = await backend.append("t", { key: "a", data: "1" }, options);
    await backend.append("t", { key: "b", data: "2" });
    const again = await backend.append(
      "t",
      { key: "a", data: "1" },
      options,
    );
    strictEqual(again.id, first.id);
    deepStrictEqual(
      (await backend.state("t")).messages.map(view),
      ["a=1", "b=2"],
    );
  });
}
