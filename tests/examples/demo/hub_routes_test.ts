// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startDemo } from "../../../examples/server.ts";
import {
  createDemoFeed,
  DASHBOARD_TOPIC,
  QUOTES_TOPIC,
} from "../../../examples/demo/feed.ts";
import { demoEvent } from "../../../examples/demo/events.ts";
import { openEvents, openSocket } from "../../serve/_handler_clients.ts";
import { delay } from "../../_wait.ts";

// The feeds in these tests are never started: events are published by hand.

Deno.test("startDemo serves the feed's quotes and telemetry as hub topics", async () => {
  const feed = createDemoFeed();
  await using demo = startDemo({ port: 0, feed, tickerMs: 60_000 });
  strictEqual(demo.hub, feed.hub);
  const quotes = await openEvents(new URL("/hub/quotes", demo.url).href);
  const telemetry = await openEvents(new URL("/hub/dashboard", demo.url).href);
  feed.publish();
  feed.publish();
  const [quote] = await quotes.events.take(1);
  const [reading] = await telemetry.events.take(1);
  deepStrictEqual(
    [quote!.type, quote!.data, reading!.type, reading!.data],
    ["quote", demoEvent(1).data, "telemetry", demoEvent(2).data],
  );
  await quotes.events.cancel();
  await telemetry.events.cancel();
  deepStrictEqual(
    (await feed.hub.history(QUOTES_TOPIC)).messages.length +
      (await feed.hub.history(DASHBOARD_TOPIC)).messages.length,
    2,
  );
});

Deno.test("the demo's dashboard is a keyed topic: a new subscriber with state gets the current readings at once", async () => {
  const feed = createDemoFeed();
  await using demo = startDemo({ port: 0, feed, tickerMs: 60_000 });
  // Events 2 and 4 are telemetry: the state holds the newest only.
  for (let i = 0; i < 4; i++) feed.publish();
  for (
    let i = 0;
    i < 500 &&
    (await feed.hub.history(DASHBOARD_TOPIC)).messages.length < 2;
    i++
  ) await delay(10);
  const tab = await openEvents(
    new URL("/hub/dashboard?state=1", demo.url).href,
  );
  const [reading] = await tab.events.take(1);
  deepStrictEqual(
    [reading!.type, reading!.data],
    ["telemetry", demoEvent(4).data],
  );
  await tab.events.cancel();
});

Deno.test("startDemo lets clients publish to the chat topic only", async () => {
  await using demo = startDemo({
    port: 0,
    feed: createDemoFeed(),
    tickerMs: 60_000,
  });
  const chat = await fetch(new URL("/hub/chat?event=say", demo.url), {
    method: "POST",
    body: JSON.stringify({ name: "curl", text: "hi" }),
  });
  strictEqual(chat.status, 201);
  const { id } = await chat.json();
  const quotes = await fetch(new URL("/hub/quotes", demo.url), {
    method: "POST",
    body: "fake",
  });
  strictEqual(quotes.status, 403);
  await quotes.body?.cancel();

  const socket = openSocket(new URL("/hub/", demo.url).href, "serverpush.v1");
  socket.send({ type: "subscribe", topic: "chat", since: id });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "chat" });
  socket.send({ type: "publish", topic: "quotes", data: "fake" });
  strictEqual((await socket.next()).code, "unauthorized");
  socket.send({ type: "publish", topic: "chat", event: "say", data: "x" });
  const replies = [await socket.next(), await socket.next()];
  deepStrictEqual(
    replies.map((reply) => reply.type).sort(),
    ["message", "published"],
  );
  socket.send({
    type: "publish",
    topic: "chat",
    data: "x".repeat(2049),
  });
  strictEqual((await socket.next()).code, "too-large");
  await socket.close();
});

Deno.test("startDemo streams the hub's stats as Server-Sent Events", async () => {
  await using demo = startDemo({
    port: 0,
    feed: createDemoFeed(),
    tickerMs: 60_000,
  });
  const quotes = await openEvents(new URL("/hub/quotes", demo.url).href);
  const stats = await openEvents(new URL("/hub-stats", demo.url).href);
  const [first] = await stats.events.take(1);
  strictEqual(first!.type, "stats");
  const value = JSON.parse(first!.data);
  ok(Number.isFinite(value.at));
  deepStrictEqual(
    value.topics.find((topic: { topic: string }) => topic.topic === "quotes"),
    {
      topic: "quotes",
      subscribers: 1,
      queuedMessages: 0,
      queuedBytes: 0,
      largestQueue: 0,
    },
  );
  await stats.events.cancel();
  await quotes.events.cancel();
});

Deno.test("startDemo keeps the hub across a restart with the same feed", async () => {
  const feed = createDemoFeed();
  const first = startDemo({ port: 0, feed, tickerMs: 60_000 });
  const events = await openEvents(new URL("/hub/quotes", first.url).href);
  feed.publish();
  const [seen] = await events.events.take(1);
  await first.shutdown();
  deepStrictEqual(await events.events.rest(), { events: [] });

  // The feed publishes while no server runs.
  feed.publish();
  feed.publish();
  await using second = startDemo({
    port: first.port,
    feed,
    tickerMs: 60_000,
  });
  const resumed = await openEvents(new URL("/hub/quotes", second.url).href, {
    "last-event-id": seen!.lastEventId,
  });
  const [missed] = await resumed.events.take(1);
  deepStrictEqual([missed!.type, missed!.data], ["quote", demoEvent(3).data]);
  await resumed.events.cancel();
});
