// Copyright 2026 the serverpush authors. MIT license.
// The clients' presence options against a real hub handler: connect's
// `presence` over WebSocket and SSE, SseClient's `presence`, and `from` on
// the messages connect yields.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { connect, connectMultiplex, type PushEvent } from "../../client/mod.ts";
import { SseClient } from "../../sse/mod.ts";
import type { HubIdentify } from "../../serve/mod.ts";
import { serveHub } from "../serve/_handler_clients.ts";
import { within } from "../_wait.ts";

/** Identifies a request by its `?user=` (a stand-in for a real token). */
const identify: HubIdentify = (request) => {
  const user = new URL(request.url).searchParams.get("user");
  return user === null ? undefined : { clientId: user, info: { name: user } };
};

function serveRoom() {
  const hub = new Hub({ presence: true });
  const server = serveHub(hub, {
    prefix: "/hub",
    identify,
    stampFrom: true,
    allowPublish: true,
    authorizePublish: () => true,
    // A long poll lists the members when it answers: let it answer often.
    longPoll: { timeout: 200 },
  });
  return {
    hub,
    url: (user: string) => `${server.origin}/hub/room?user=${user}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await hub.close();
    },
  };
}

/** The next event of `iterator` that is not a message. */
async function nextPresence(
  iterator: AsyncIterator<PushEvent>,
): Promise<PushEvent> {
  for (;;) {
    const { value, done } = await within(iterator.next(), "a presence event");
    if (done) throw new Error("the client ended");
    if (value.kind === "join" || value.kind === "leave") return value;
  }
}

for (const transport of ["websocket", "sse", "longpoll"] as const) {
  Deno.test(`connect with presence yields joins and leaves over ${transport}`, async () => {
    await using room = serveRoom();
    const ada = connect(room.url("ada"), {
      transports: [transport],
      presence: true,
      // A long poll answers with the members when a message or its timeout
      // comes: short ones here.
      ...(transport === "longpoll" ? { pollInterval: 10 } : {}),
    });
    const events = ada[Symbol.asyncIterator]();
    // A polling client watches but is no member (it holds no connection).
    if (transport !== "longpoll") {
      const own = await nextPresence(events);
      deepStrictEqual(
        [own.kind, own.kind === "join" && own.clientId],
        ["join", "ada"],
      );
      ok(own.kind === "join" && typeof own.since === "number");
      deepStrictEqual(own.kind === "join" && own.info, { name: "ada" });
    }
    const bob = connect(room.url("bob"), { transports: ["sse"] });
    const bobEvents = bob[Symbol.asyncIterator]();
    const joined = await nextPresence(events);
    deepStrictEqual(
      [
        joined.kind,
        joined.kind !== "message" && joined.kind !== "reset" &&
        joined.clientId,
      ],
      ["join", "bob"],
    );
    await bob.close();
    await bobEvents.return?.();
    const left = await nextPresence(events);
    deepStrictEqual(
      [left.kind, left.kind === "leave" && left.clientId],
      ["leave", "bob"],
    );
    await ada.close();
  });
}

Deno.test("connectMultiplex subscribe with presence yields joins and leaves, and from", async () => {
  await using room = serveRoom();
  const ada = connectMultiplex(room.url("ada").replace("/hub/room", "/hub/"));
  try {
    const events = ada.subscribe("room", { presence: true })[
      Symbol.asyncIterator
    ]();
    // The v1 connection of an identified client is a member.
    const own = await nextPresence(events);
    deepStrictEqual(
      [own.kind, own.kind === "join" && own.clientId],
      ["join", "ada"],
    );
    const bob = connect(room.url("bob"), { transports: ["sse"] });
    const bobEvents = bob[Symbol.asyncIterator]();
    const joined = await nextPresence(events);
    deepStrictEqual(
      [joined.kind, joined.kind === "join" && joined.clientId],
      ["join", "bob"],
    );
    await ada.publish("room", "hello");
    for (;;) {
      const { value } = await within(events.next(), "the message");
      if (value?.kind !== "message") continue;
      deepStrictEqual([value.data, value.from], ["hello", "ada"]);
      break;
    }
    await bob.close();
    await bobEvents.return?.();
    const left = await nextPresence(events);
    deepStrictEqual(
      [left.kind, left.kind === "leave" && left.clientId],
      ["leave", "bob"],
    );
    // Presence events go only to subscriptions that asked for them.
    const watcher = connectMultiplex(
      room.url("carol").replace("/hub/room", "/hub/"),
    );
    try {
      const quiet = watcher.subscribe("room")[Symbol.asyncIterator]();
      await watcher.publish("room", "after");
      const first = await within(quiet.next(), "a message");
      deepStrictEqual(
        [
          first.value?.kind,
          first.value?.kind === "message" && first.value.data,
        ],
        ["message", "after"],
      );
    } finally {
      await watcher.close();
    }
    // ...while ada's saw carol come and go.
    deepStrictEqual(
      [(await nextPresence(events)).kind, (await nextPresence(events)).kind],
      ["join", "leave"],
    );
  } finally {
    await ada.close();
  }
});

Deno.test("connect yields the sender of a stamped message as from, over WebSocket and long polling", async () => {
  await using room = serveRoom();
  const socket = connect(room.url("ada"), { transports: ["websocket"] });
  const polling = connect(room.url("eve"), {
    transports: ["longpoll"],
    pollInterval: 10,
  });
  const fromSocket = socket[Symbol.asyncIterator]();
  const fromPolling = polling[Symbol.asyncIterator]();
  // The WebSocket is subscribed once the hub counts its subscriber.
  await within(
    (async () => {
      while (room.hub.stats().subscribers === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })(),
    "the WebSocket's subscription",
  );
  const posted = await fetch(room.url("bob"), { method: "POST", body: "hi" });
  strictEqual(posted.status, 201);
  await posted.body?.cancel();
  for (const events of [fromSocket, fromPolling]) {
    const { value } = await within(events.next(), "the message");
    deepStrictEqual(
      value?.kind === "message" && [value.data, value.from],
      ["hi", "bob"],
    );
  }
  await socket.close();
  await polling.close();
});

Deno.test("SseClient with presence receives serverpush-join and serverpush-leave events", async () => {
  await using room = serveRoom();
  const client = new SseClient(room.url("ada"), { presence: true });
  ok(new URL(client.url).searchParams.get("presence") === "1");
  const next = (type: string) =>
    within(
      new Promise<MessageEvent<string>>((resolve) =>
        client.addEventListener(type, (e) => resolve(e as MessageEvent), {
          once: true,
        })
      ),
      type,
    );
  const ownJoin = JSON.parse((await next("serverpush-join")).data);
  deepStrictEqual([ownJoin.clientId, ownJoin.info], ["ada", { name: "ada" }]);
  const bob = new SseClient(room.url("bob"));
  const bobJoin = JSON.parse((await next("serverpush-join")).data);
  strictEqual(bobJoin.clientId, "bob");
  const leave = next("serverpush-leave");
  bob.close();
  strictEqual(JSON.parse((await leave).data).clientId, "bob");
  client.close();
});
