// Copyright 2026 the serverpush authors. MIT license.
// Keyed topics through the hub handler: POST with a key (and a delete),
// ?state=1 on SSE, the one-topic WebSocket and polling, state and key in
// serverpush.v1, and the bounds (too-many-keys, a bad key or state).

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { SERVERPUSH_V1 } from "../../message/mod.ts";
import { openEvents, openSocket, serveHub, until } from "./_handler_clients.ts";
import { within } from "../_wait.ts";

const PUBLISH = {
  prefix: "/hub",
  allowPublish: true,
  authorizePublish: () => true,
} as const;

async function post(
  url: string,
  data: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: "POST", headers, body: data });
  return { status: response.status, text: await response.text() };
}

/** A topic with state a=3, c=4 after b was set and deleted. */
async function seed(url: string): Promise<string[]> {
  const ids = [];
  for (
    const [query, data] of [
      ["?key=a", "1"],
      ["?key=b", "2"],
      ["", "plain"],
      ["?key=a", "3"],
      ["?key=b&delete=1", ""],
      ["?key=c", "4"],
    ]
  ) {
    const { status, text } = await post(`${url}${query}`, data!);
    strictEqual(status, 201, text);
    ids.push(JSON.parse(text).id);
  }
  return ids;
}

Deno.test("POST with ?key= and ?delete=1 (or X-Key, X-Delete) sets and removes a key's state", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/dash`;
  const ids = await seed(url);
  const header = await post(url, "5", { "x-key": "d" });
  strictEqual(header.status, 201);
  const gone = await post(url, "", { "x-key": "a", "x-delete": "1" });
  strictEqual(gone.status, 201);
  const state = await hub.state("dash");
  deepStrictEqual(
    state.messages.map((m) => [m.id, m.key, m.data]),
    [[ids[5], "c", "4"], [JSON.parse(header.text).id, "d", "5"]],
  );
  strictEqual(state.last, JSON.parse(gone.text).id);
  await hub.close();
});

Deno.test("POST refuses a bad key or delete with 400, and a key past maxKeysPerTopic with 429", async () => {
  const { createMemoryBackend } = await import("../../hub/mod.ts");
  const hub = new Hub({ backend: createMemoryBackend({ maxKeysPerTopic: 2 }) });
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/dash`;
  const bad: [string, Record<string, string>, RegExp][] = [
    ["?key=" + "k".repeat(257), {}, /1 to 256 printable ASCII/],
    ["?key=%C3%A9", {}, /1 to 256 printable ASCII/],
    ["?delete=1", {}, /delete is set without a key/],
    ["?key=a&delete=maybe", {}, /delete is "maybe", expected 1 or 0/],
  ];
  for (const [query, headers, expected] of bad) {
    const { status, text } = await post(`${url}${query}`, "x", headers);
    strictEqual(status, 400, query);
    match(text, expected);
  }
  strictEqual((await post(`${url}?key=a`, "1")).status, 201);
  strictEqual((await post(`${url}?key=b`, "2")).status, 201);
  const third = await post(`${url}?key=c`, "3");
  strictEqual(third.status, 429);
  match(third.text, /holds 2 keys, the maxKeysPerTopic of 2/);
  // Held keys can still change, and a delete frees a slot.
  strictEqual((await post(`${url}?key=a`, "1b")).status, 201);
  strictEqual((await post(`${url}?key=b&delete=1`, "")).status, 201);
  strictEqual((await post(`${url}?key=c`, "3")).status, 201);
  deepStrictEqual(
    (await hub.state("dash")).messages.map((m) => `${m.key}=${m.data}`),
    ["a=1b", "c=3"],
  );
  deepStrictEqual((await hub.history("dash")).messages.length, 5);
  await hub.close();
});

Deno.test("SSE with ?state=1 starts with the state, then live messages; deletes are serverpush-delete events", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/dash`;
  const ids = await seed(url);
  const { events } = await openEvents(`${url}?state=1`);
  const snapshot = await events.take(2);
  deepStrictEqual(
    snapshot.map((e) => [e.type, e.lastEventId, e.data]),
    [["message", ids[3], "3"], ["message", ids[5], "4"]],
  );
  const live = await post(`${url}?key=a&delete=1`, "");
  const [deleted] = await events.take(1);
  deepStrictEqual(
    [deleted!.type, deleted!.lastEventId, deleted!.data],
    ["serverpush-delete", JSON.parse(live.text).id, "a"],
  );
  await events.cancel();
  // A bad state value is a 400.
  const response = await fetch(`${url}?state=yes`, {
    headers: { accept: "text/event-stream" },
  });
  strictEqual(response.status, 400);
  match(await response.text(), /state is "yes", expected 1 or 0/);
  await hub.close();
});

Deno.test("SSE with ?state=1 and a Last-Event-ID the window lost gets a reset, then the state", async () => {
  const { createMemoryBackend } = await import("../../hub/mod.ts");
  const hub = new Hub({ backend: createMemoryBackend({ maxMessages: 2 }) });
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/dash`;
  const ids = await seed(url);
  const { events } = await openEvents(`${url}?state=1`, {
    "last-event-id": ids[0]!,
  });
  deepStrictEqual(
    (await events.take(3)).map((e) => [e.type, e.data]),
    [["serverpush-reset", "window-exceeded"], ["message", "3"], [
      "message",
      "4",
    ]],
  );
  await events.cancel();
  await hub.close();
});

Deno.test("the one-topic WebSocket with ?state=1 starts with the state; JSON carries key and deleted", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/dash`;
  const ids = await seed(url);
  const socket = openSocket(`${url}?state=1`);
  await socket.opened;
  deepStrictEqual(await socket.next(), { id: ids[3], data: "3", key: "a" });
  deepStrictEqual(await socket.next(), { id: ids[5], data: "4", key: "c" });
  const live = await post(`${url}?key=c&delete=1`, "");
  deepStrictEqual(await socket.next(), {
    id: JSON.parse(live.text).id,
    data: "",
    key: "c",
    deleted: true,
  });
  await socket.close();
  await hub.close();
});

Deno.test("serverpush.v1: subscribe with state, publish with key and delete, too-many-keys", async () => {
  const { createMemoryBackend } = await import("../../hub/mod.ts");
  const hub = new Hub({ backend: createMemoryBackend({ maxKeysPerTopic: 2 }) });
  await using server = serveHub(hub, PUBLISH);
  const a = await hub.publish("dash", { key: "a", data: "1" });
  await hub.publish("dash", { key: "a", data: "2" });
  const b = await hub.publish("dash", { key: "b", data: "3", event: "e" });
  const socket = openSocket(`${server.origin}/hub/`, SERVERPUSH_V1);
  await socket.opened;
  socket.send({ type: "subscribe", topic: "dash", state: true });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "dash" });
  const first = await socket.next();
  deepStrictEqual(first, {
    type: "message",
    topic: "dash",
    id: (await hub.state("dash")).messages[0]!.id,
    data: "2",
    key: "a",
  });
  deepStrictEqual(await socket.next(), {
    type: "message",
    topic: "dash",
    id: b,
    event: "e",
    data: "3",
    key: "b",
  });
  // The published answer and the broadcast may come in either order.
  const frames = async (count: number) => {
    const out = [];
    for (let i = 0; i < count; i++) out.push(await socket.next());
    return out;
  };
  socket.send({ type: "publish", topic: "dash", key: "a", delete: true });
  const deleted = await frames(2);
  const published = deleted.find((f) => f.type === "published")!;
  deepStrictEqual(deleted.find((f) => f.type === "message"), {
    type: "message",
    topic: "dash",
    id: published.id,
    data: "",
    key: "a",
    deleted: true,
  });
  // c takes the slot a freed; d is one too many.
  socket.send({ type: "publish", topic: "dash", key: "c", data: "4" });
  socket.send({ type: "publish", topic: "dash", key: "d", data: "5" });
  const answers = await frames(3);
  deepStrictEqual(
    answers.map((f) => f.type === "error" ? `error:${f.code}` : f.type).sort(),
    ["error:too-many-keys", "message", "published"],
  );
  socket.send({ type: "subscribe", topic: "other", state: "yes" });
  const invalid = await socket.next();
  deepStrictEqual([invalid.type, invalid.code], ["error", "invalid-message"]);
  await socket.close();
  strictEqual(a < b, true);
  await hub.close();
});

Deno.test("polling with ?state=1: the first batch is the state, its cursor continues live, and a lost cursor gets the state after a reset", async () => {
  const { createMemoryBackend } = await import("../../hub/mod.ts");
  const hub = new Hub({ backend: createMemoryBackend({ maxMessages: 3 }) });
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/dash`;
  const ids = await seed(url);
  for (const transport of ["poll", "longpoll"]) {
    const first = await (await fetch(`${url}?transport=${transport}&state=1`))
      .json();
    deepStrictEqual(first, {
      cursor: ids[5],
      messages: [
        { id: ids[3], data: "3", key: "a" },
        { id: ids[5], data: "4", key: "c" },
      ],
    }, transport);
    const lost = await (await fetch(
      `${url}?transport=${transport}&state=1&cursor=${ids[0]}`,
    )).json();
    deepStrictEqual(lost, {
      cursor: ids[5],
      reset: true,
      reason: "window-exceeded",
      messages: [
        { id: ids[3], data: "3", key: "a" },
        { id: ids[5], data: "4", key: "c" },
      ],
    }, transport);
  }
  // A held long poll from the state's cursor wakes with the next message.
  const pending = fetch(`${url}?transport=longpoll&state=1&cursor=${ids[5]}`);
  await until(() => hub.stats().subscribers > 0, "the long poll to wait");
  const next = await hub.publish("dash", { key: "a", data: "5" });
  deepStrictEqual(await (await within(pending, "long poll")).json(), {
    cursor: next,
    messages: [{ id: next, data: "5", key: "a" }],
  });
  // An empty topic: an empty state, with the topic start as cursor.
  const empty = await (await fetch(
    `${server.origin}/hub/none?transport=poll&state=1`,
  )).json();
  deepStrictEqual(empty.messages, []);
  strictEqual(typeof empty.cursor, "string");
  await hub.close();
});
