// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  match,
  notStrictEqual,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { Hub, type HubDataMessage, hubMessageToSse } from "../../hub/mod.ts";
import {
  openEvents,
  openSocket,
  serveHub,
  until,
  upgradeStatus,
  within,
} from "./_handler_clients.ts";
import { createHubHandler } from "../../serve/mod.ts";

const SSE = { accept: "text/event-stream" } as const;

/** Publishes `data` in order and returns the ids. */
async function publishAll(
  hub: Hub,
  topic: string,
  data: string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const each of data) ids.push(await hub.publish(topic, { data: each }));
  return ids;
}

Deno.test("createHubHandler serves SSE events that carry their ids, then resumes after Last-Event-ID without loss or duplicate", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, { prefix: "/hub" });
  const url = `${server.origin}/hub/news`;

  const first = await openEvents(url);
  strictEqual(
    first.response.headers.get("content-type"),
    "text/event-stream; charset=utf-8",
  );
  strictEqual(first.response.headers.get("cache-control"), "no-cache");
  const ids = await publishAll(hub, "news", ["a", "b"]);
  const seen = await first.events.take(2);
  deepStrictEqual(
    seen.map((e) => [e.lastEventId, e.data]),
    [[ids[0], "a"], [ids[1], "b"]],
  );
  await first.events.cancel();

  // Published while the client is away.
  const missed = await publishAll(hub, "news", ["c", "d"]);
  const second = await openEvents(url, { "last-event-id": ids[1]! });
  const live = hub.publish("news", { event: "story", data: "e" });
  const resumed = await second.events.take(3);
  deepStrictEqual(
    resumed.map((e) => [e.lastEventId, e.type, e.data]),
    [
      [missed[0], "message", "c"],
      [missed[1], "message", "d"],
      [await live, "story", "e"],
    ],
  );
  await second.events.cancel();
  await hub.close();
});

Deno.test("createHubHandler sends the gap signal over SSE for an unknown id and for an id older than the window", async () => {
  const hub = new Hub({ replay: { maxMessages: 2 } });
  await using server = serveHub(hub);
  const ids = await publishAll(hub, "t", ["1", "2", "3", "4"]);

  const unknown = await openEvents(`${server.origin}/t`, {
    "last-event-id": "from-before-a-restart",
  });
  deepStrictEqual(
    (await unknown.events.take(3)).map((e) => [e.type, e.data]),
    [["serverpush-reset", "unknown-id"], ["message", "3"], [
      "message",
      "4",
    ]],
  );
  await unknown.events.cancel();

  const old = await openEvents(`${server.origin}/t?lastEventId=${ids[0]}`);
  const events = await old.events.take(3);
  deepStrictEqual(
    events.map((e) => [e.type, e.data, e.lastEventId]),
    [
      // The reset has no id: the client's last event id stays as it was.
      ["serverpush-reset", "window-exceeded", ""],
      ["message", "3", ids[2]],
      ["message", "4", ids[3]],
    ],
  );
  await old.events.cancel();
  await hub.close();
});

Deno.test("createHubHandler sends retry first and keep-alive comments on a silent SSE stream", async () => {
  const hub = new Hub();
  const handler = createHubHandler(hub, { keepAlive: 20, retry: 1500 });
  const response = await handler(
    new Request("http://localhost/quiet", { headers: SSE }),
  );
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes(": \n\n")) {
    const { value, done } = await within(reader.read(), "a keep-alive");
    if (done) break;
    text += value;
  }
  strictEqual(text, "retry: 1500\n\n: \n\n");
  await reader.cancel();
  strictEqual(hub.stats().subscribers, 0);
  await hub.close();
});

Deno.test("createHubHandler enqueues the same encoded bytes object in every SSE stream of a broadcast", async () => {
  const hub = new Hub();
  const handler = createHubHandler(hub, { keepAlive: false });
  const request = (): Request =>
    new Request("http://localhost/fanout", { headers: SSE });
  const a = (await handler(request())).body!.getReader();
  const b = (await handler(request())).body!.getReader();
  // Each stream opens with an empty comment, written before any message.
  strictEqual(new TextDecoder().decode((await a.read()).value), ": \n\n");
  strictEqual(new TextDecoder().decode((await b.read()).value), ": \n\n");
  const probe = hub.subscribe("fanout").getReader();
  await hub.publish("fanout", { data: "once" });
  const [chunkA, chunkB, message] = await Promise.all([
    a.read(),
    b.read(),
    probe.read(),
  ]);
  // One Uint8Array, shared: the message was encoded once for both streams.
  strictEqual(chunkA.value, chunkB.value);
  strictEqual(chunkA.value, hubMessageToSse(message.value!));
  strictEqual(
    new TextDecoder().decode(chunkA.value),
    `id: ${(message.value as HubDataMessage).id}\ndata: once\n\n`,
  );
  await a.cancel();
  await b.cancel();
  await probe.cancel();
  await hub.close();
});

Deno.test("createHubHandler cuts off an SSE stream that never reads while another keeps receiving", async () => {
  const hub = new Hub({ maxQueuedMessages: 4 });
  await using server = serveHub(hub, { keepAlive: false });
  const handler = server.handler;
  const reading = await openEvents(`${server.origin}/busy`);
  // Nobody ever reads this body.
  const stalled = await handler(
    new Request("http://localhost/busy", { headers: SSE }),
  );
  strictEqual(hub.stats().subscribers, 2);

  const data = Array.from({ length: 20 }, (_, i) => `m${i}`);
  const received: string[] = [];
  for (const each of data) {
    await hub.publish("busy", { data: each });
    received.push((await reading.events.take(1))[0]!.data);
  }
  deepStrictEqual(received, data);
  // The stalled stream overflowed its queue and was released.
  strictEqual(hub.stats().subscribers, 1);
  await rejects(
    stalled.body!.getReader().read(),
    /exceeds maxQueuedMessages of 4/,
  );
  await reading.events.cancel();
  await hub.close();
});

Deno.test("createHubHandler sends a topic's messages to a WebSocket as JSON text frames", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, { prefix: "/hub" });
  const socket = openSocket(`${server.origin}/hub/prices`);
  await socket.opened;
  strictEqual(socket.socket.protocol, "");
  const first = await hub.publish("prices", { data: "42" });
  const second = await hub.publish("prices", {
    event: "raw",
    data: new Uint8Array([1, 2, 3]),
  });
  deepStrictEqual(await socket.next(), { id: first, data: "42" });
  deepStrictEqual(await socket.next(), {
    id: second,
    event: "raw",
    data: "AQID",
    encoding: "base64",
  });
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler cuts off a WebSocket that never reads while another keeps receiving", async () => {
  const hub = new Hub({ maxQueuedMessages: 2 });
  await using server = serveHub(hub);
  const reading = openSocket(`${server.origin}/big`);
  await reading.opened;
  // A raw connection that completes the upgrade, then never reads again.
  const stalled = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  await stalled.write(
    new TextEncoder().encode(
      `GET /big HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    ),
  );
  await within(stalled.read(new Uint8Array(1024)), "the 101");
  await until(() => hub.stats().subscribers === 2, "both subscribers");

  // Publish until the stalled one is cut off: its socket buffers fill, then
  // its bounded queue; memory stays bounded by both.
  const data = "x".repeat(512 * 1024);
  let sent = 0;
  while (hub.stats().subscribers === 2) {
    if (sent === 200) throw new Error("the stalled client was never cut off");
    await hub.publish("big", { data });
    sent++;
    strictEqual((await reading.next()).data, data);
  }
  ok(sent > 2, `cut off after ${sent} messages`);
  // The reading client still gets every message.
  const id = await hub.publish("big", { data: "after" });
  deepStrictEqual(await reading.next(), { id, data: "after" });
  stalled.close();
  await reading.close();
  await hub.close();
});

Deno.test("createHubHandler replays a WebSocket topic after ?since= and signals a gap", async () => {
  const hub = new Hub({ replay: { maxMessages: 3 } });
  await using server = serveHub(hub);
  const ids = await publishAll(hub, "log", ["1", "2", "3"]);

  const resumed = openSocket(`${server.origin}/log?since=${ids[0]}`);
  deepStrictEqual(await resumed.next(), { id: ids[1], data: "2" });
  deepStrictEqual(await resumed.next(), { id: ids[2], data: "3" });
  await resumed.close();

  const unknown = openSocket(`${server.origin}/log?since=nope`);
  deepStrictEqual(await unknown.next(), { reset: "unknown-id" });
  deepStrictEqual(await unknown.next(), { id: ids[0], data: "1" });
  await unknown.close();
  await hub.close();
});

Deno.test("createHubHandler lets a WebSocket client publish only with allowPublish and authorizePublish", async (t) => {
  const hub = new Hub();
  await using open = serveHub(hub, {
    allowPublish: true,
    authorizePublish: (_request, topic) => topic === "chat",
  });
  await using shut = serveHub(hub, { authorizePublish: () => true });

  await t.step("allowed: the message reaches subscribers", async () => {
    const reader = openSocket(`${open.origin}/chat`);
    const writer = openSocket(`${open.origin}/chat`);
    await Promise.all([reader.opened, writer.opened]);
    writer.send({ event: "say", data: "hello" });
    const got = await reader.next();
    strictEqual(got.data, "hello");
    strictEqual(got.event, "say");
    deepStrictEqual(await writer.next(), got);
    const { messages } = await hub.history("chat");
    strictEqual(messages.at(-1)!.id, got.id);
    await reader.close();
    await writer.close();
  });

  await t.step("authorizePublish refuses another topic", async () => {
    const socket = openSocket(`${open.origin}/news`);
    socket.send({ data: "spam" });
    deepStrictEqual(await socket.next(), {
      error: "unauthorized",
      message: 'Cannot publish to topic "news": not authorized',
    });
    strictEqual((await hub.history("news")).messages.length, 0);
    await socket.close();
  });

  await t.step("without allowPublish nothing is published", async () => {
    const socket = openSocket(`${shut.origin}/chat`);
    socket.send({ data: "hello" });
    strictEqual((await socket.next()).error, "publish-disabled");
    socket.send("not json");
    strictEqual((await socket.next()).error, "invalid-json");
    await socket.close();
  });
  await hub.close();
});

/**
 * A hub server whose `authorizePublish` waits for `gate` (on its first call
 * only, unless `every`), so a client's messages pile up behind it.
 */
function serveGatedPublish(
  hub: Hub,
  every = false,
): {
  server: ReturnType<typeof serveHub>;
  gate: PromiseWithResolvers<void>;
  calls: () => number;
} {
  const gate = Promise.withResolvers<void>();
  let calls = 0;
  const server = serveHub(hub, {
    allowPublish: true,
    authorizePublish: async () => {
      const first = calls++ === 0;
      if (every || first) await gate.promise;
      return true;
    },
  });
  return { server, gate, calls: () => calls };
}

Deno.test("createHubHandler handles a WebSocket client's messages in order behind a slow hook", async () => {
  const hub = new Hub();
  const { server: served, gate, calls } = serveGatedPublish(hub);
  await using server = served;
  const socket = openSocket(`${server.origin}/chat`);
  await socket.opened;
  for (const data of ["one", "two", "three"]) socket.send({ data });
  await until(() => calls() === 1, "the first hook call");
  strictEqual((await hub.history("chat")).messages.length, 0);
  gate.resolve();
  const got = [await socket.next(), await socket.next(), await socket.next()];
  deepStrictEqual(got.map((m) => m.data), ["one", "two", "three"]);
  deepStrictEqual(
    (await hub.history("chat")).messages.map((m) => m.data),
    ["one", "two", "three"],
  );
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler publishes thousands of a WebSocket client's messages queued behind a slow hook, in order", async () => {
  const hub = new Hub({ replay: { maxMessages: 5000 } });
  const { server: served, gate, calls } = serveGatedPublish(hub);
  await using server = served;
  const socket = openSocket(`${server.origin}/chat`);
  await socket.opened;
  const sent = Array.from({ length: 3000 }, (_, i) => `m${i}`);
  for (const data of sent) socket.send({ data });
  await until(() => calls() === 1, "the first hook call");
  gate.resolve();
  // The client is subscribed to the topic too: it gets them all back.
  const received: unknown[] = [];
  for (let i = 0; i < sent.length; i++) {
    received.push((await socket.next()).data);
  }
  deepStrictEqual(received, sent);
  const { messages } = await hub.history("chat", { limit: sent.length });
  deepStrictEqual(messages.map((m) => m.data), sent);
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler closes a WebSocket with 1008 when its messages pile up past 16 MiB behind a slow hook", async () => {
  const hub = new Hub();
  const { server: served, gate } = serveGatedPublish(hub, true);
  await using server = served;
  const socket = openSocket(`${server.origin}/chat`);
  await socket.opened;
  // Messages of 60 kB (under maxPublishBytes): the 281st makes more than
  // 16 MiB wait behind the first. Nothing follows it, so the server's
  // close frame is not lost to a TCP reset over unread data.
  const data = "x".repeat(60_000);
  for (let i = 0; i < 281; i++) socket.send({ data });
  deepStrictEqual(await within(socket.closed, "the close"), {
    code: 1008,
    reason:
      "Cannot queue message: unread messages exceed maxUnreadBytes of 16777216",
  });
  gate.resolve();
  await hub.close();
});

Deno.test("createHubHandler gives WebSocket hooks the upgrade request's URL and headers", async () => {
  const hub = new Hub();
  const seen: string[] = [];
  const token = (request: Request): boolean => {
    seen.push(
      `${new URL(request.url).pathname} ${
        request.headers.get("authorization")
      }`,
    );
    return request.headers.get("authorization") === "Bearer ok";
  };
  await using server = serveHub(hub, {
    prefix: "/hub",
    allowPublish: true,
    authorizePublish: token,
    authorizeSubscribe: token,
  });
  const auth = { authorization: "Bearer ok" };
  const plain = openSocket(`${server.origin}/hub/chat`, undefined, auth);
  plain.send({ data: "hi" });
  strictEqual((await plain.next()).data, "hi");
  await plain.close();
  const multi = openSocket(`${server.origin}/hub`, "serverpush.v1", auth);
  multi.send({ type: "subscribe", topic: "chat" });
  deepStrictEqual(await multi.next(), { type: "subscribed", topic: "chat" });
  await multi.close();
  const other = openSocket(`${server.origin}/hub`, "serverpush.v1", {
    authorization: "Bearer no",
  });
  other.send({ type: "subscribe", topic: "chat" });
  strictEqual((await other.next()).code, "unauthorized");
  await other.close();
  deepStrictEqual(seen, [
    "/hub/chat Bearer ok",
    "/hub/chat Bearer ok",
    "/hub Bearer ok",
    "/hub Bearer no",
  ]);
  await hub.close();
});

Deno.test("createHubHandler answers POST with 403 by default and 201 with the id when authorized", async () => {
  const hub = new Hub();
  await using refusing = serveHub(hub, { prefix: "/hub" });
  const denied = await fetch(`${refusing.origin}/hub/news`, {
    method: "POST",
    body: "hello",
  });
  strictEqual(denied.status, 403);
  await denied.body?.cancel();
  strictEqual((await hub.history("news")).messages.length, 0);

  await using server = serveHub(hub, {
    prefix: "/hub",
    authorizePublish: (request) =>
      request.headers.get("authorization") === "Bearer ok",
  });
  const auth = { authorization: "Bearer ok" };
  const text = await fetch(`${server.origin}/hub/news?event=story`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/plain" },
    body: "héllo",
  });
  strictEqual(text.status, 201);
  const { id } = await text.json();
  const bytes = await fetch(`${server.origin}/hub/news`, {
    method: "POST",
    headers: {
      ...auth,
      "content-type": "application/octet-stream",
      "x-event": "blob",
    },
    body: new Uint8Array([0, 255]),
  });
  strictEqual(bytes.status, 201);
  await bytes.body?.cancel();
  const { messages } = await hub.history("news");
  deepStrictEqual(messages.map((m) => [m.event, m.data]), [
    ["story", "héllo"],
    ["blob", new Uint8Array([0, 255])],
  ]);
  strictEqual(messages[0]!.id, id);

  const noToken = await fetch(`${server.origin}/hub/news`, {
    method: "POST",
    body: "x",
  });
  strictEqual(noToken.status, 403);
  await noToken.body?.cancel();
  await hub.close();
});

Deno.test("createHubHandler refuses a POST body over maxPublishBytes with 413 and a bad event with 400", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, {
    authorizePublish: () => true,
    maxPublishBytes: 16,
  });
  const declared = await fetch(`${server.origin}/t`, {
    method: "POST",
    body: "x".repeat(17),
  });
  strictEqual(declared.status, 413);
  match(await declared.text(), /exceeds maxPublishBytes of 16/);
  // Without a content-length: the limit holds while the body streams in.
  const streamed = await fetch(`${server.origin}/t`, {
    method: "POST",
    body: ReadableStream.from([new Uint8Array(10), new Uint8Array(10)]),
  });
  strictEqual(streamed.status, 413);
  await streamed.body?.cancel();
  const badEvent = await fetch(`${server.origin}/t`, {
    method: "POST",
    headers: { "x-event": "a\tb" },
    body: "ok",
  });
  strictEqual(badEvent.status, 201);
  await badEvent.body?.cancel();
  const withNewline = await fetch(`${server.origin}/t?event=a%0Ab`, {
    method: "POST",
    body: "ok",
  });
  strictEqual(withNewline.status, 400);
  await withNewline.body?.cancel();
  const notUtf8 = await fetch(`${server.origin}/t`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: new Uint8Array([0xff]),
  });
  strictEqual(notUtf8.status, 400);
  await notUtf8.body?.cancel();
  strictEqual((await hub.history("t")).messages.length, 1);
  await hub.close();
});

Deno.test("createHubHandler checks authorizeSubscribe on every transport", async (t) => {
  const hub = new Hub();
  const asked: string[] = [];
  await using server = serveHub(hub, {
    authorizeSubscribe(request, topic): boolean | Response {
      asked.push(new URL(request.url).searchParams.get("transport") ?? topic);
      if (topic === "teapot") return new Response("no", { status: 418 });
      return topic !== "secret";
    },
  });

  for (
    const [name, query] of [
      ["longpoll", "?transport=longpoll"],
      ["poll", "?transport=poll"],
      ["iframe", "?transport=iframe&callback=onPush"],
      ["sse", "?transport=sse"],
    ] as const
  ) {
    await t.step(name, async () => {
      const response = await fetch(`${server.origin}/secret${query}`);
      strictEqual(response.status, 403);
      await response.body?.cancel();
    });
  }
  await t.step("EventSource request", async () => {
    const response = await fetch(`${server.origin}/secret`, { headers: SSE });
    strictEqual(response.status, 403);
    await response.body?.cancel();
    const teapot = await fetch(`${server.origin}/teapot`, { headers: SSE });
    strictEqual(teapot.status, 418);
    await teapot.body?.cancel();
  });
  await t.step("WebSocket upgrade", async () => {
    strictEqual(await upgradeStatus(server.port, "/secret"), 403);
  });
  await t.step("serverpush.v1 subscribe", async () => {
    const socket = openSocket(server.origin, "serverpush.v1");
    socket.send({ type: "subscribe", topic: "secret" });
    deepStrictEqual(await socket.next(), {
      type: "error",
      code: "unauthorized",
      message: 'Cannot subscribe to topic "secret": not authorized',
      topic: "secret",
    });
    await socket.close();
  });
  deepStrictEqual(asked, [
    "longpoll",
    "poll",
    "iframe",
    "sse",
    "secret",
    "teapot",
    "secret",
    "secret",
  ]);
  strictEqual(hub.stats().subscribers, 0);
  await hub.close();
});

Deno.test("createHubHandler refuses a foreign Origin with 403 on WebSocket upgrades and POST", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, { authorizePublish: () => true });
  const foreign = { origin: "http://evil.example" };
  strictEqual(await upgradeStatus(server.port, "/t", foreign), 403);
  strictEqual(
    await upgradeStatus(server.port, "/t", { origin: server.origin }),
    101,
  );
  const post = await fetch(`${server.origin}/t`, {
    method: "POST",
    headers: foreign,
    body: "x",
  });
  strictEqual(post.status, 403);
  await post.body?.cancel();
  strictEqual((await hub.history("t")).messages.length, 0);

  await using allowing = serveHub(hub, {
    origins: ["http://evil.example"],
    authorizePublish: () => true,
  });
  strictEqual(await upgradeStatus(allowing.port, "/t", foreign), 101);
  await hub.close();
});

Deno.test("createHubHandler multiplexes topics over one serverpush.v1 WebSocket", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, {
    prefix: "/hub",
    allowPublish: true,
    authorizePublish: () => true,
  });
  const before = await hub.publish("b", { data: "old" });
  const missed = await hub.publish("b", { data: "missed" });
  const socket = openSocket(`${server.origin}/hub`, ["other", "serverpush.v1"]);
  await socket.opened;
  strictEqual(socket.socket.protocol, "serverpush.v1");

  socket.send({ type: "subscribe", topic: "a" });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "a" });
  socket.send({ type: "subscribe", topic: "b", since: before });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "b" });
  deepStrictEqual(await socket.next(), {
    type: "message",
    topic: "b",
    id: missed,
    data: "missed",
  });

  const a1 = await hub.publish("a", { event: "x", data: "1" });
  deepStrictEqual(await socket.next(), {
    type: "message",
    topic: "a",
    id: a1,
    event: "x",
    data: "1",
  });

  socket.send({ type: "unsubscribe", topic: "a" });
  deepStrictEqual(await socket.next(), { type: "unsubscribed", topic: "a" });
  await hub.publish("a", { data: "not for us" });

  socket.send({ type: "publish", topic: "b", event: "say", data: "hi" });
  const replies = [await socket.next(), await socket.next()];
  const published = replies.find((r) => r.type === "published")!;
  const delivered = replies.find((r) => r.type === "message")!;
  strictEqual(published.topic, "b");
  deepStrictEqual(delivered, {
    type: "message",
    topic: "b",
    id: published.id,
    event: "say",
    data: "hi",
  });
  strictEqual(socket.pending, 0);
  strictEqual(hub.stats().subscribers, 1);
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler signals a gap over serverpush.v1", async () => {
  const hub = new Hub({ replay: { maxMessages: 1 } });
  await using server = serveHub(hub);
  const [first, , last] = await publishAll(hub, "t", ["1", "2", "3"]);
  const socket = openSocket(server.origin, "serverpush.v1");
  socket.send({ type: "subscribe", topic: "t", since: first });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "t" });
  deepStrictEqual(await socket.next(), {
    type: "reset",
    topic: "t",
    reason: "window-exceeded",
  });
  deepStrictEqual(await socket.next(), {
    type: "message",
    topic: "t",
    id: last,
    data: "3",
  });
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler answers bad serverpush.v1 messages with errors and keeps the connection usable", async (t) => {
  const hub = new Hub();
  await using server = serveHub(hub, { maxSubscriptions: 1 });
  const socket = openSocket(server.origin, "serverpush.v1");
  const cases: [string, unknown, Record<string, unknown>][] = [
    ["invalid JSON", "{nope", {
      code: "invalid-json",
      message: "Cannot parse message: it is not valid JSON",
    }],
    ["not an object", "[1]", {
      code: "invalid-message",
      message: "Cannot read message: it is not a JSON object",
    }],
    ["unknown type", { type: "dance" }, {
      code: "unknown-type",
      message:
        'Cannot handle message: type "dance" is not subscribe, unsubscribe or publish',
    }],
    ["bad topic", { type: "subscribe", topic: "no spaces" }, {
      code: "invalid-topic",
      message:
        'Cannot subscribe to topic "no spaces": a topic is 1 to 128 characters of A-Z a-z 0-9 . _ ~ : / -',
    }],
    ["bad since", { type: "subscribe", topic: "t", since: 5 }, {
      code: "invalid-message",
      message:
        'Cannot subscribe to topic "t": since is not a string of at most 1024 characters',
      topic: "t",
    }],
    ["not subscribed", { type: "unsubscribe", topic: "t" }, {
      code: "not-subscribed",
      message:
        'Cannot unsubscribe from topic "t": this connection is not subscribed to it',
      topic: "t",
    }],
    ["publish not enabled", { type: "publish", topic: "t", data: "x" }, {
      code: "publish-disabled",
      message:
        'Cannot publish to topic "t": publishing over WebSocket is not enabled',
      topic: "t",
    }],
  ];
  for (const [name, sent, expected] of cases) {
    await t.step(name, async () => {
      socket.send(sent);
      deepStrictEqual(await socket.next(), { type: "error", ...expected });
    });
  }
  await t.step("still usable", async () => {
    socket.send({ type: "subscribe", topic: "t" });
    deepStrictEqual(await socket.next(), { type: "subscribed", topic: "t" });
    socket.send({ type: "subscribe", topic: "t" });
    strictEqual((await socket.next()).code, "already-subscribed");
    socket.send({ type: "subscribe", topic: "u" });
    strictEqual((await socket.next()).code, "too-many-subscriptions");
    const id = await hub.publish("t", { data: "works" });
    deepStrictEqual(await socket.next(), {
      type: "message",
      topic: "t",
      id,
      data: "works",
    });
  });
  await socket.close();
  await hub.close();
});

Deno.test("createHubHandler closes a serverpush.v1 WebSocket with 1008 after maxClientErrors bad messages not broken by a publish", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, {
    maxClientErrors: 3,
    allowPublish: true,
    authorizePublish: () => true,
  });
  const socket = openSocket(server.origin, "serverpush.v1");
  socket.send("bad");
  socket.send("bad");
  socket.send({ type: "publish", topic: "ok", data: "x" });
  socket.send("bad");
  socket.send({ type: "subscribe", topic: "ok" });
  socket.send("bad");
  socket.send({ type: "unsubscribe", topic: "ok" });
  socket.send("bad");
  strictEqual((await socket.next()).code, "invalid-json");
  strictEqual((await socket.next()).code, "invalid-json");
  // A publish resets the count.
  strictEqual((await socket.next()).type, "published");
  strictEqual((await socket.next()).code, "invalid-json");
  // Subscribe and unsubscribe do not: the third error since the publish
  // closes.
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "ok" });
  strictEqual((await socket.next()).code, "invalid-json");
  deepStrictEqual(await socket.next(), { type: "unsubscribed", topic: "ok" });
  strictEqual((await socket.next()).code, "invalid-json");
  deepStrictEqual(await within(socket.closed, "the close"), {
    code: 1008,
    reason: "Cannot continue: too many invalid messages",
  });
  await until(() => hub.stats().subscribers === 0, "the release");
  await hub.close();
});

Deno.test("createHubHandler closes a serverpush.v1 WebSocket with 1003 on a binary message", async () => {
  const hub = new Hub();
  await using server = serveHub(hub);
  const socket = openSocket(server.origin, "serverpush.v1");
  await socket.opened;
  socket.socket.send(new Uint8Array([1, 2, 3]));
  deepStrictEqual(await within(socket.closed, "the close"), {
    code: 1003,
    reason: "Cannot accept message: serverpush.v1 takes text messages only",
  });
  await hub.close();
});

Deno.test("createHubHandler serves the polling transports of a topic", async (t) => {
  const hub = new Hub();
  await using server = serveHub(hub, { prefix: "/hub" });
  const url = `${server.origin}/hub/feed`;
  const first = await hub.publish("feed", { data: "one" });

  await t.step("poll", async () => {
    const response = await fetch(`${url}?transport=poll&history=1`);
    deepStrictEqual(await response.json(), {
      cursor: first,
      messages: [{ id: first, data: "one" }],
    });
  });
  await t.step("longpoll", async () => {
    const pending = fetch(`${url}?transport=longpoll&cursor=${first}`);
    // The request is held until the next message.
    let second: string | undefined;
    while (second === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (hub.stats().subscribers > 0) {
        second = await hub.publish("feed", { data: "two" });
      }
    }
    deepStrictEqual(await (await within(pending, "long poll")).json(), {
      cursor: second,
      messages: [{ id: second, data: "two" }],
    });
  });
  await t.step("iframe", async () => {
    const response = await fetch(
      `${url}?transport=iframe&callback=onPush&cursor=${first}`,
    );
    match(response.headers.get("content-type")!, /^text\/html/);
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes('"data":"two"')) {
      const { value, done } = await within(reader.read(), "the script");
      if (done) break;
      text += value;
    }
    match(text, /<script>parent\.onPush\(\{"id":"[^"]+","data":"two"\}\);/);
    await reader.cancel();
  });
  await hub.close();
});

Deno.test("createHubHandler answers routing errors with 400, 404, 405 and 406", async (t) => {
  const hub = new Hub();
  const handler = createHubHandler(hub, { prefix: "/hub" });
  const cases: [string, RequestInit, number, string | null][] = [
    ["/hub/t?transport=carrier-pigeon", {}, 400, null],
    ["/hub/no%20spaces", { headers: SSE }, 400, null],
    ["/hub/%E0%A4%A", { headers: SSE }, 400, null],
    ["/hub/", { headers: SSE }, 404, null],
    ["/elsewhere/t", { headers: SSE }, 404, null],
    ["/hub/t", { method: "PUT" }, 405, "GET, POST"],
    ["/hub/t?transport=poll", { method: "POST" }, 405, "GET"],
    ["/hub/t", {}, 406, null],
  ];
  for (const [path, init, status, allow] of cases) {
    await t.step(`${init.method ?? "GET"} ${path}`, async () => {
      const response = await handler(
        new Request(`http://localhost${path}`, init),
      );
      strictEqual(response.status, status);
      strictEqual(response.headers.get("allow"), allow);
      match(await response.text(), /^Cannot /);
    });
  }
  strictEqual(hub.stats().subscribers, 0);
  await hub.close();
});

Deno.test("createHubHandler takes the topic from options.topic", async () => {
  const hub = new Hub();
  const handler = createHubHandler(hub, {
    topic: (request) =>
      new URL(request.url).searchParams.get("room") ?? undefined,
    authorizePublish: () => true,
  });
  const response = await handler(
    new Request("http://localhost/anything?room=lobby", {
      method: "POST",
      body: "hi",
    }),
  );
  strictEqual(response.status, 201);
  await response.body?.cancel();
  strictEqual((await hub.history("lobby")).messages[0]!.data, "hi");
  const none = await handler(
    new Request("http://localhost/", { headers: SSE }),
  );
  strictEqual(none.status, 404);
  await none.body?.cancel();
  await hub.close();
});

Deno.test("createHubHandler ends SSE streams and closes WebSockets with 1001 when its signal aborts", async () => {
  const hub = new Hub();
  const shutdown = new AbortController();
  await using server = serveHub(hub, { signal: shutdown.signal });
  const handler = server.handler;
  const events = await openEvents(`${server.origin}/t`);
  const socket = openSocket(`${server.origin}/t`);
  await socket.opened;
  const id = await hub.publish("t", { data: "before" });
  strictEqual((await events.events.take(1))[0]!.lastEventId, id);
  strictEqual((await socket.next()).id, id);

  shutdown.abort();
  deepStrictEqual(await events.events.rest(), { events: [] });
  deepStrictEqual(await within(socket.closed, "the close"), {
    code: 1001,
    reason: "Cannot deliver messages: the server is shutting down",
  });
  const late = await handler(
    new Request("http://localhost/t", { headers: SSE }),
  );
  strictEqual(late.status, 503);
  await late.body?.cancel();
  await until(() => hub.stats().subscribers === 0, "the release");
  await hub.close();
});

Deno.test("createHubHandler closes WebSockets with 1001 and ends SSE streams when the hub closes", async () => {
  const hub = new Hub();
  await using server = serveHub(hub);
  const events = await openEvents(`${server.origin}/t`);
  const socket = openSocket(server.origin, "serverpush.v1");
  socket.send({ type: "subscribe", topic: "t" });
  await socket.next();
  await hub.close();
  deepStrictEqual(await events.events.rest(), { events: [] });
  deepStrictEqual(await within(socket.closed, "the close"), {
    code: 1001,
    reason: "Cannot deliver messages: the hub is closed",
  });
  const post = await fetch(`${server.origin}/t?transport=sse`);
  strictEqual(post.status, 503);
  await post.body?.cancel();
});

Deno.test("Hub.handler validates its options", () => {
  const hub = new Hub();
  for (
    const options of [
      { maxPublishBytes: 0 },
      { maxSubscriptions: 1.5 },
      { maxClientErrors: -1 },
      { keepAlive: -5 },
      { retry: -1 },
    ]
  ) {
    let error: unknown;
    try {
      createHubHandler(hub, options);
    } catch (e) {
      error = e;
    }
    ok(error instanceof RangeError, JSON.stringify(options));
  }
  let error: unknown;
  try {
    createHubHandler(hub, { prefix: "hub" });
  } catch (e) {
    error = e;
  }
  ok(error instanceof TypeError);
  notStrictEqual(createHubHandler(hub), createHubHandler(hub));
});

Deno.test("createHubHandler answers a publish to one topic too many with 429, and serverpush.v1 with too-many-topics", async () => {
  const hub = new Hub({ replay: { maxTopics: 1 } });
  await using server = serveHub(hub, {
    prefix: "/hub",
    allowPublish: true,
    authorizePublish: () => true,
  });
  const post = (topic: string): Promise<Response> =>
    fetch(`${server.origin}/hub/${topic}`, { method: "POST", body: "x" });
  const first = await post("a");
  strictEqual(first.status, 201);
  await first.body?.cancel();
  const refused = await post("b");
  strictEqual(refused.status, 429);
  strictEqual(
    await refused.text(),
    'Cannot publish to topic "b": 1 topics hold messages, the maxTopics of 1',
  );
  const again = await post("a");
  strictEqual(again.status, 201);
  await again.body?.cancel();

  const socket = openSocket(`${server.origin}/hub`, "serverpush.v1");
  socket.send({ type: "publish", topic: "c", data: "x" });
  deepStrictEqual(await socket.next(), {
    type: "error",
    code: "too-many-topics",
    message:
      'Cannot publish to topic "c": 1 topics hold messages, the maxTopics of 1',
    topic: "c",
  });
  socket.send({ type: "publish", topic: "a", data: "y" });
  strictEqual((await socket.next()).type, "published");
  await socket.close();
  await hub.close();
});

/** Sends `GET path` as written (no client normalizes it) and reads the status. */
async function rawStatus(port: number, path: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buffer = new Uint8Array(256);
    let head = "";
    while (!head.includes("\r\n")) {
      const n = await within(conn.read(buffer), "a status line");
      if (n === null) break;
      head += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return Number(head.split(" ")[1]);
  } finally {
    conn.close();
  }
}

Deno.test("createHubHandler refuses topic paths that would alias another topic with 400", async (t) => {
  const hub = new Hub();
  await hub.publish("a/b", { data: "secret" });
  await using server = serveHub(hub, {
    prefix: "/hub",
    keepAlive: false,
  });
  const cases: [string, number][] = [
    ["/hub/a%2Fb", 400],
    ["/hub/a%2fb", 400],
    ["/hub/a%252Fb", 400],
    ["/hub/%61/b", 400],
    ["/hub/a%2E", 400],
    ["/hub/x/%2e%2e/a/b", 400],
    ["/hub/x/../a/b", 400],
    ["/hub/./a/b", 400],
    ["/other/../hub/a/b", 400],
    ["/hub/a\\b", 400],
  ];
  for (const [path, status] of cases) {
    await t.step(path, async () => {
      strictEqual(await rawStatus(server.port, path), status);
    });
  }
  await t.step("the literal path is served", async () => {
    const { events } = await openEvents(`${server.origin}/hub/a/b`);
    await until(() => hub.stats().subscribers === 1, "the subscriber");
    await hub.publish("a/b", { data: "live" });
    strictEqual((await events.take(1))[0]!.data, "live");
    await events.cancel();
  });
  await until(() => hub.stats().subscribers === 0, "the release");
  await hub.close();
});
