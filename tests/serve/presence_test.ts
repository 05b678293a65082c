// Copyright 2026 the serverpush authors. MIT license.
// Presence through the hub handler: the identify hook makes SSE streams and
// WebSockets members of a topic, join and leave events reach the clients
// that asked (?presence=1 on SSE and one-topic WebSockets, "presence": true
// in a serverpush.v1 subscribe), and stampFrom marks publishes with their
// sender.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { SERVERPUSH_V1 } from "../../message/mod.ts";
import type { HubHandlerOptions, HubIdentify } from "../../serve/mod.ts";
import {
  type EventReader,
  openEvents,
  openSocket,
  serveHub,
  upgradeStatus,
} from "./_handler_clients.ts";
import { until } from "../_wait.ts";

/** Identifies a request by its `?user=` (a stand-in for a real token). */
const identify: HubIdentify = (request) => {
  const user = new URL(request.url).searchParams.get("user");
  if (user === "refused") return new Response("no", { status: 401 });
  if (user === "broken") throw new Error("the token store is down");
  return user === null ? undefined : { clientId: user, info: { name: user } };
};

const OPTIONS: HubHandlerOptions = {
  prefix: "/hub",
  identify,
  allowPublish: true,
  authorizePublish: () => true,
};

async function memberIds(hub: Hub, topic: string): Promise<string[]> {
  return (await hub.presence(topic)).map((m) => m.clientId);
}

async function waitForMembers(
  hub: Hub,
  topic: string,
  expected: string[],
): Promise<void> {
  let last: string[] = [];
  await until(() => {
    void memberIds(hub, topic).then((ids) => last = ids);
    return JSON.stringify(last) === JSON.stringify(expected);
  }, `members ${expected.join()}`);
}

/** Reads the next SSE event and checks its type and client id. */
async function expectEvent(
  events: EventReader,
  type: string,
  clientId: string,
): Promise<void> {
  const [event] = await events.take(1);
  deepStrictEqual([event!.type, JSON.parse(event!.data).clientId], [
    type,
    clientId,
  ]);
}

Deno.test("createHubHandler delivers join and leave as serverpush-join / serverpush-leave SSE events with ?presence=1", async () => {
  const hub = new Hub({ presence: true });
  await using server = serveHub(hub, OPTIONS);
  const url = `${server.origin}/hub/room`;
  const { events: watcher } = await openEvents(`${url}?presence=1`);
  const ada = await openEvents(`${url}?user=ada`);
  const [join] = await watcher.take(1);
  strictEqual(join!.type, "serverpush-join");
  const body = JSON.parse(join!.data);
  deepStrictEqual([body.clientId, body.info], ["ada", { name: "ada" }]);
  strictEqual(typeof body.since, "number");
  strictEqual(join!.lastEventId, "");
  await ada.events.cancel();
  await expectEvent(watcher, "serverpush-leave", "ada");
  await watcher.cancel();
  await hub.close();
});

Deno.test("createHubHandler joins a client with two tabs once and leaves when the last closes", async () => {
  const hub = new Hub({ presence: true });
  await using server = serveHub(hub, OPTIONS);
  const url = `${server.origin}/hub/room`;
  const { events: watcher } = await openEvents(`${url}?presence=1&user=bob`);
  const tab1 = await openEvents(`${url}?user=ada`);
  const tab2 = openSocket(`${url}?user=ada`);
  await tab2.opened;
  const joins = await watcher.take(2);
  deepStrictEqual(
    joins.map((e) => [e.type, JSON.parse(e.data).clientId]).sort(),
    [["serverpush-join", "ada"], ["serverpush-join", "bob"]],
  );
  await waitForMembers(hub, "room", ["bob", "ada"]);
  await tab1.events.cancel();
  // ada's WebSocket keeps her: no leave yet.
  await new Promise((resolve) => setTimeout(resolve, 100));
  deepStrictEqual((await memberIds(hub, "room")).sort(), ["ada", "bob"]);
  await tab2.close();
  await expectEvent(watcher, "serverpush-leave", "ada");
  await watcher.cancel();
  await hub.close();
});

Deno.test("createHubHandler sends presence events on a one-topic WebSocket with ?presence=1 as JSON", async () => {
  const hub = new Hub({ presence: true });
  await using server = serveHub(hub, OPTIONS);
  const url = `${server.origin}/hub/room`;
  const watcher = openSocket(`${url}?presence=1&user=eve`);
  deepStrictEqual(await watcher.next(), {
    join: {
      clientId: "eve",
      info: { name: "eve" },
      since: (await hub.presence("room"))[0]!.since,
    },
  });
  const ada = await openEvents(`${url}?user=ada`);
  strictEqual(
    ((await watcher.next()).join as { clientId: string }).clientId,
    "ada",
  );
  await ada.events.cancel();
  strictEqual(
    ((await watcher.next()).leave as { clientId: string }).clientId,
    "ada",
  );
  await watcher.close();
  await hub.close();
});

Deno.test("createHubHandler gives a second ?presence=1 WebSocket on a watched topic the members present", async () => {
  // The first watcher makes this instance watch the topic's presence; the
  // second then gets the joins of the members present as soon as its
  // subscription opens.
  const hub = new Hub({ presence: true });
  await using server = serveHub(hub, OPTIONS);
  const url = `${server.origin}/hub/room`;
  const ada = await openEvents(`${url}?user=ada`);
  await waitForMembers(hub, "room", ["ada"]);
  const first = openSocket(`${url}?presence=1`);
  strictEqual(
    ((await first.next()).join as { clientId: string }).clientId,
    "ada",
  );
  const second = openSocket(`${url}?presence=1`);
  strictEqual(
    ((await second.next()).join as { clientId: string }).clientId,
    "ada",
  );
  await ada.events.cancel();
  for (const watcher of [first, second]) {
    strictEqual(
      ((await watcher.next()).leave as { clientId: string }).clientId,
      "ada",
    );
  }
  await first.close();
  await second.close();
  await hub.close();
});

Deno.test("createHubHandler delivers presence to a serverpush.v1 subscribe with presence: true", async () => {
  const hub = new Hub({ presence: (topic) => topic.startsWith("room") });
  await using server = serveHub(hub, OPTIONS);
  const socket = openSocket(`${server.origin}/hub/?user=ada`, SERVERPUSH_V1);
  socket.send({ type: "subscribe", topic: "room1", presence: true });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "room1" });
  const own = await socket.next();
  deepStrictEqual(
    [own.type, own.topic, own.clientId, own.info],
    ["join", "room1", "ada", { name: "ada" }],
  );
  const bob = openSocket(`${server.origin}/hub/?user=bob`, SERVERPUSH_V1);
  bob.send({ type: "subscribe", topic: "room1" });
  deepStrictEqual(await bob.next(), { type: "subscribed", topic: "room1" });
  const join = await socket.next();
  deepStrictEqual([join.type, join.clientId], ["join", "bob"]);
  await bob.close();
  const leave = await socket.next();
  deepStrictEqual([leave.type, leave.clientId], ["leave", "bob"]);
  // A topic without presence refuses presence: true.
  socket.send({ type: "subscribe", topic: "news", presence: true });
  const refused = await socket.next();
  deepStrictEqual([refused.type, refused.code], ["error", "no-presence"]);
  socket.send({ type: "subscribe", topic: "room2", presence: "yes" });
  deepStrictEqual((await socket.next()).code, "invalid-message");
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler stamps publishes of identified clients with from when stampFrom is on", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, { ...OPTIONS, stampFrom: true });
  const url = `${server.origin}/hub/chat`;
  const v1 = openSocket(`${server.origin}/hub/?user=ada`, SERVERPUSH_V1);
  v1.send({ type: "subscribe", topic: "chat" });
  deepStrictEqual(await v1.next(), { type: "subscribed", topic: "chat" });
  // POST as bob; a client-sent from is not taken.
  const posted = await fetch(`${url}?user=bob`, {
    method: "POST",
    body: "hi from bob",
  });
  strictEqual(posted.status, 201);
  await posted.body?.cancel();
  const first = await v1.next();
  deepStrictEqual([first.data, first.from], ["hi from bob", "bob"]);
  v1.send({ type: "publish", topic: "chat", data: "hi", from: "mallory" });
  // The answer and the message may come in either order.
  const pair = [await v1.next(), await v1.next()];
  deepStrictEqual(pair.map((m) => m.type).sort(), ["message", "published"]);
  const second = pair.find((m) => m.type === "message")!;
  deepStrictEqual([second.data, second.from], ["hi", "ada"]);
  // Anonymous: no from.
  const anonymous = await fetch(url, { method: "POST", body: "who?" });
  await anonymous.body?.cancel();
  const third = await v1.next();
  deepStrictEqual([third.data, "from" in third], ["who?", false]);
  const { messages } = await hub.history("chat");
  deepStrictEqual(messages.map((m) => m.from), ["bob", "ada", undefined]);
  await v1.close();
  await hub.close();
});

Deno.test("createHubHandler does not stamp from without stampFrom", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, OPTIONS);
  const posted = await fetch(`${server.origin}/hub/chat?user=bob`, {
    method: "POST",
    body: "x",
  });
  await posted.body?.cancel();
  strictEqual(posted.status, 201);
  strictEqual((await hub.history("chat")).messages[0]!.from, undefined);
  await hub.close();
});

Deno.test("createHubHandler answers identify refusals and failures before streaming or upgrading", async () => {
  const hub = new Hub({ presence: true });
  const errors: unknown[] = [];
  await using server = serveHub(hub, {
    ...OPTIONS,
    onError: (error) => errors.push(error),
  });
  const url = `${server.origin}/hub/room`;
  const refused = await fetch(`${url}?user=refused`, {
    headers: { accept: "text/event-stream" },
  });
  strictEqual(refused.status, 401);
  await refused.body?.cancel();
  const broken = await fetch(`${url}?user=broken`, {
    headers: { accept: "text/event-stream" },
  });
  strictEqual(broken.status, 500);
  strictEqual(
    await broken.text(),
    "Cannot identify request: the identify hook failed",
  );
  strictEqual(await upgradeStatus(server.port, "/hub/room?user=broken"), 500);
  strictEqual(await upgradeStatus(server.port, "/hub/room?user=refused"), 401);
  strictEqual(errors.length, 2);
  ok(String(errors[0]).includes("the token store is down"));
  deepStrictEqual(await hub.presence("room"), []);
  await hub.close();
});

Deno.test("createHubHandler refuses ?presence=1 on a topic without presence, a bad value, and on the iframe transport", async () => {
  const hub = new Hub({ presence: (topic) => topic === "room" });
  await using server = serveHub(hub, OPTIONS);
  for (
    const [path, status] of [
      ["/hub/news?presence=1", 400],
      ["/hub/room?presence=yes", 400],
      ["/hub/room?presence=1&transport=iframe", 400],
    ] as const
  ) {
    const response = await fetch(`${server.origin}${path}`, {
      headers: { accept: "text/event-stream" },
    });
    strictEqual(response.status, status, path);
    ok((await response.text()).startsWith("Cannot serve topic"));
  }
  strictEqual(await upgradeStatus(server.port, "/hub/news?presence=1"), 400);
  await hub.close();
});

Deno.test("createHubHandler fails a stream whose identity carries too large an info with 500", async () => {
  const hub = new Hub({ presence: true, maxPresenceInfoBytes: 16 });
  const errors: unknown[] = [];
  await using server = serveHub(hub, {
    prefix: "/hub",
    identify: () => ({ clientId: "ada", info: "x".repeat(100) }),
    onError: (error) => errors.push(error),
  });
  const response = await fetch(`${server.origin}/hub/room`, {
    headers: { accept: "text/event-stream" },
  });
  strictEqual(response.status, 500);
  await response.body?.cancel();
  ok(errors[0] instanceof RangeError);
  const socket = openSocket(`${server.origin}/hub/room`);
  const closed = await socket.closed;
  deepStrictEqual(closed.code, 1011);
  deepStrictEqual(await hub.presence("room"), []);
  await hub.close();
});

Deno.test("createHubHandler refuses one more member than maxPresencePerTopic: a v1 error, a 1008 close", async () => {
  const hub = new Hub({ presence: true, maxPresencePerTopic: 1 });
  await using server = serveHub(hub, OPTIONS);
  const url = `${server.origin}/hub/room`;
  const ada = await openEvents(`${url}?user=ada`);
  await waitForMembers(hub, "room", ["ada"]);
  const v1 = openSocket(`${server.origin}/hub/?user=bob`, SERVERPUSH_V1);
  v1.send({ type: "subscribe", topic: "room" });
  deepStrictEqual(await v1.next(), { type: "subscribed", topic: "room" });
  const refused = await v1.next();
  deepStrictEqual(
    [refused.type, refused.code, refused.topic],
    ["error", "too-many-members", "room"],
  );
  // The connection stays: a topic without the crowd still works.
  v1.send({ type: "subscribe", topic: "other" });
  deepStrictEqual(await v1.next(), { type: "subscribed", topic: "other" });
  const socket = openSocket(`${url}?user=eve`);
  const closed = await socket.closed;
  strictEqual(closed.code, 1008);
  ok(closed.reason.startsWith('Cannot join topic "room"'), closed.reason);
  // A second tab of the member is admitted.
  const tab = openSocket(`${url}?user=ada`);
  await tab.opened;
  await new Promise((resolve) => setTimeout(resolve, 50));
  strictEqual(tab.socket.readyState, WebSocket.OPEN);
  deepStrictEqual(await memberIds(hub, "room"), ["ada"]);
  await tab.close();
  await v1.close();
  await ada.events.cancel();
  await hub.close();
});

Deno.test("createHubHandler lists the members in poll and long-poll answers with ?presence=1", async () => {
  const hub = new Hub({ presence: true });
  await using server = serveHub(hub, {
    ...OPTIONS,
    longPoll: { timeout: 100 },
  });
  const url = `${server.origin}/hub/room`;
  const ada = await openEvents(`${url}?user=ada`);
  await waitForMembers(hub, "room", ["ada"]);
  for (const transport of ["poll", "longpoll"]) {
    const response = await fetch(`${url}?transport=${transport}&presence=1`);
    strictEqual(response.status, 200, transport);
    const envelope = await response.json();
    ok(Array.isArray(envelope.messages));
    deepStrictEqual(
      envelope.presence.map((m: { clientId: string }) => m.clientId),
      ["ada"],
    );
  }
  // Without ?presence=1 the envelope has no members.
  const plain = await fetch(`${url}?transport=poll`);
  strictEqual("presence" in await plain.json(), false);
  await ada.events.cancel();
  await hub.close();
});
