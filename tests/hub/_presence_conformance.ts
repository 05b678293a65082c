// Copyright 2026 the serverpush authors. MIT license.
// Presence (the backend's presence methods, through a Hub), tested once for
// every backend as part of the conformance suite.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  Hub,
  HubLimitError,
  type HubMessage,
  type HubPresenceMessage,
} from "../../hub/mod.ts";
import { within } from "../_wait.ts";
import type {
  BackendFactory,
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

/** Reads presence events (skipping anything else) from a subscription. */
function presenceReader(stream: ReadableStream<HubMessage>): {
  next(): Promise<[string, string]>;
  cancel(): Promise<void>;
} {
  const reader = stream.getReader();
  return {
    async next(): Promise<[string, string]> {
      for (;;) {
        const { value, done } = await within(reader.read(), "a presence event");
        if (done) throw new Error("the subscription ended");
        if (value.kind === "join" || value.kind === "leave") {
          return [value.kind, value.clientId];
        }
      }
    },
    cancel: () => reader.cancel(),
  };
}

/** Waits until `topic` has `count` members on `hub`. */
async function memberCount(
  hub: Hub,
  topic: string,
  count: number,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await ids(hub, topic)).length !== count) {
    if (Date.now() > deadline) {
      throw new Error(`Cannot see ${count} members of ${topic} within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function ids(hub: Hub, topic: string): Promise<string[]> {
  return (await hub.presence(topic)).map((m) => m.clientId);
}

/** Registers the presence tests of one backend. */
export function presenceConformance(factory: BackendFactory, test: Test): void {
  test("presence lists each client once, with its info and since, until its last connection goes", async (open) => {
    const hub = new Hub({ backend: open({ maxMessages: 10 }), presence: true });
    try {
      const before = Date.now();
      const tab1 = hub.subscribe("room", {
        member: { clientId: "ada", info: { name: "Ada" } },
      });
      const tab2 = hub.subscribe("room", {
        member: { clientId: "ada", info: { name: "Ada" } },
      });
      const bob = hub.subscribe("room", { member: { clientId: "bob" } });
      await memberCount(hub, "room", 2);
      const members = await hub.presence("room");
      deepStrictEqual(
        members.map((m) => [m.clientId, m.info]).sort(),
        [["ada", { name: "Ada" }], ["bob", null]],
      );
      for (const member of members) {
        ok(member.since >= before && member.since <= Date.now());
      }
      await tab1.cancel();
      await bob.cancel();
      await memberCount(hub, "room", 1);
      deepStrictEqual(await ids(hub, "room"), ["ada"]);
      await tab2.cancel();
      await memberCount(hub, "room", 0);
      deepStrictEqual(await hub.presence("other"), []);
    } finally {
      await hub.close();
    }
  });

  test("presence subscribers get the current members, then one join and one leave per client", async (open) => {
    const hub = new Hub({ backend: open({ maxMessages: 10 }), presence: true });
    try {
      const early = hub.subscribe("room", { member: { clientId: "ada" } });
      await memberCount(hub, "room", 1);
      const events = presenceReader(hub.subscribe("room", { presence: true }));
      deepStrictEqual(await events.next(), ["join", "ada"]);
      const bob1 = hub.subscribe("room", { member: { clientId: "bob" } });
      deepStrictEqual(await events.next(), ["join", "bob"]);
      const bob2 = hub.subscribe("room", { member: { clientId: "bob" } });
      await bob1.cancel();
      await early.cancel();
      // bob's second tab keeps bob: the next event is ada's leave.
      deepStrictEqual(await events.next(), ["leave", "ada"]);
      await bob2.cancel();
      deepStrictEqual(await events.next(), ["leave", "bob"]);
      await events.cancel();
    } finally {
      await hub.close();
    }
  });

  test("a join event carries the topic, info and since as a frozen message", async (open) => {
    const hub = new Hub({ backend: open({ maxMessages: 10 }), presence: true });
    try {
      const reader = hub.subscribe("room", { presence: true }).getReader();
      const member = hub.subscribe("room", {
        member: { clientId: "ada", info: { n: 1 } },
      });
      const { value } = await within(reader.read(), "a presence event");
      const event = value as HubPresenceMessage;
      deepStrictEqual(
        [event.kind, event.topic, event.clientId, event.info],
        ["join", "room", "ada", { n: 1 }],
      );
      strictEqual(typeof event.since, "number");
      ok(Object.isFrozen(event));
      await member.cancel();
      await reader.cancel();
    } finally {
      await hub.close();
    }
  });

  test("maxPresencePerTopic refuses one more client, not one more tab", async (open) => {
    const hub = new Hub({
      backend: open({ maxMessages: 10 }),
      presence: true,
      maxPresencePerTopic: 2,
    });
    try {
      const a = hub.subscribe("room", { member: { clientId: "a" } });
      const b = hub.subscribe("room", { member: { clientId: "b" } });
      await memberCount(hub, "room", 2);
      const tab = hub.subscribe("room", { member: { clientId: "a" } });
      const c = hub.subscribe("room", { member: { clientId: "c" } })
        .getReader();
      const error = await rejects(c.read(), (error: unknown) => {
        ok(error instanceof HubLimitError);
        strictEqual(error.code, "too-many-members");
        return true;
      });
      strictEqual(error, undefined);
      deepStrictEqual((await ids(hub, "room")).sort(), ["a", "b"]);
      await Promise.all([a.cancel(), b.cancel(), tab.cancel()]);
    } finally {
      await hub.close();
    }
  });

  test("a published message keeps its from", async (open) => {
    const backend = open({ maxMessages: 10 });
    const hub = new Hub({ backend });
    try {
      const reader = hub.subscribe("chat").getReader();
      await hub.publish("chat", { data: "hi", from: "ada" });
      const { value } = await within(reader.read(), "a presence event");
      strictEqual(value?.kind === "message" && value.from, "ada");
      const { messages } = await hub.history("chat");
      deepStrictEqual(messages.map((m) => [m.data, m.from]), [["hi", "ada"]]);
      await reader.cancel();
    } finally {
      await hub.close();
    }
  });

  test(
    "two hubs on one store see each other's members and events, and a client on both joins and leaves once",
    async (open) => {
      const one = new Hub({
        backend: open({ maxMessages: 10 }),
        presence: true,
      });
      const two = new Hub({
        backend: open({ maxMessages: 10 }),
        presence: true,
      });
      try {
        const events = presenceReader(
          two.subscribe("room", { presence: true }),
        );
        const here = one.subscribe("room", { member: { clientId: "ada" } });
        deepStrictEqual(await events.next(), ["join", "ada"]);
        const there = two.subscribe("room", { member: { clientId: "ada" } });
        const bob = two.subscribe("room", { member: { clientId: "bob" } });
        deepStrictEqual(await events.next(), ["join", "bob"]);
        await memberCount(one, "room", 2);
        await here.cancel();
        await bob.cancel();
        // ada is still on two: the next event is bob's leave, then ada's.
        deepStrictEqual(await events.next(), ["leave", "bob"]);
        await there.cancel();
        deepStrictEqual(await events.next(), ["leave", "ada"]);
        deepStrictEqual(await ids(one, "room"), []);
        await events.cancel();
      } finally {
        await one.close();
        await two.close();
      }
    },
    factory.shared ? undefined : "backends on one store do not share topics",
  );

  test(
    "the members of a backend that stops without leaving expire within presenceTtlMs",
    async (open) => {
      const crashing = open({ maxMessages: 10, presenceTtlMs: 300 });
      const gone = new Hub({ backend: crashing, presence: true });
      const hub = new Hub({
        backend: open({ maxMessages: 10, presenceTtlMs: 300 }),
        presence: true,
      });
      try {
        const events = presenceReader(
          hub.subscribe("room", { presence: true }),
        );
        const stream = gone.subscribe("room", { member: { clientId: "ada" } });
        deepStrictEqual(await events.next(), ["join", "ada"]);
        // Outlives several TTLs while its backend refreshes it.
        await new Promise((resolve) => setTimeout(resolve, 700));
        deepStrictEqual(await ids(hub, "room"), ["ada"]);
        // The "crash": the backend stops, its hub never leaves.
        await crashing.close!();
        const stopped = Date.now();
        deepStrictEqual(await events.next(), ["leave", "ada"]);
        const took = Date.now() - stopped;
        ok(took < 2_000, `left after ${took} ms`);
        deepStrictEqual(await ids(hub, "room"), []);
        await events.cancel();
        await stream.cancel();
      } finally {
        await hub.close();
        await gone.close();
      }
    },
    factory.shared && factory.closes
      ? undefined
      : "no second process shares the store",
  );
}
