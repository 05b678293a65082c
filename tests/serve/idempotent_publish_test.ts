// Copyright 2026 the serverpush authors. MIT license.
// Idempotent publish through the hub handler: the Idempotency-Key header of
// a POST, and the idempotencyKey field of a serverpush.v1 publish.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { openEvents, openSocket, serveHub } from "./_handler_clients.ts";
import { delay } from "../_wait.ts";

const PUBLISH = { prefix: "/hub", authorizePublish: () => true } as const;

async function post(
  url: string,
  data: string,
  key?: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: key === undefined ? {} : { "idempotency-key": key },
    body: data,
  });
  return { status: response.status, text: await response.text() };
}

Deno.test("createHubHandler answers a POST that repeats an Idempotency-Key with the first id and publishes once", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/orders`;
  const { events } = await openEvents(url);
  const first = await post(
    url,
    "paid",
    '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
  );
  strictEqual(first.status, 201);
  const { id } = JSON.parse(first.text);
  const retry = await post(
    url,
    "paid",
    '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
  );
  deepStrictEqual([retry.status, JSON.parse(retry.text).id], [201, id]);
  // A bare value (as older clients send it) is the same key, unquoted.
  const bare = await post(url, "paid", "8e03978e-40d5-43e8-bc93-6894a57f9324");
  strictEqual(JSON.parse(bare.text).id, id);
  // Escapes are undone: "a\"b" is the key a"b.
  const escaped = await post(url, "q", '"a\\"b"');
  strictEqual(escaped.status, 201);
  strictEqual(
    JSON.parse((await post(url, "q", 'a"b')).text).id,
    JSON.parse(escaped.text).id,
  );
  const other = await post(url, "shipped", '"order-8"');
  const none = await post(url, "note");
  const got = await events.take(4);
  deepStrictEqual(got.map((e) => e.data), ["paid", "q", "shipped", "note"]);
  strictEqual(got[0]!.lastEventId, id);
  strictEqual(JSON.parse(other.text).id, got[2]!.lastEventId);
  strictEqual(JSON.parse(none.text).id, got[3]!.lastEventId);
  await delay(100);
  deepStrictEqual(
    (await hub.history("orders")).messages.map((m) => m.data),
    ["paid", "q", "shipped", "note"],
  );
  await events.cancel();
  await hub.close();
});

Deno.test("createHubHandler refuses a bad Idempotency-Key with 400 and publishes nothing", async (t) => {
  const hub = new Hub();
  await using server = serveHub(hub, PUBLISH);
  const url = `${server.origin}/hub/orders`;
  const cases: [string, string, RegExp][] = [
    ["an unterminated sf-string", '"abc', /not a valid sf-string/],
    ["an sf-string with a bad escape", '"a\\nb"', /not a valid sf-string/],
    ["an empty sf-string", '""', /1 to 256 printable ASCII/],
    ["257 characters", "k".repeat(257), /1 to 256 printable ASCII/],
    ["a control character", '"a\tb"', /not a valid sf-string/],
  ];
  for (const [name, key, expected] of cases) {
    await t.step(name, async () => {
      const { status, text } = await post(url, "x", key);
      strictEqual(status, 400);
      match(text, expected);
    });
  }
  strictEqual((await hub.history("orders")).messages.length, 0);
  strictEqual(
    (await post(url, "x", `"${"k".repeat(256)}"`)).status,
    201,
    "256 characters are accepted",
  );
  await hub.close();
});

Deno.test("createHubHandler answers a serverpush.v1 publish that repeats an idempotencyKey with the first id and delivers once", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, { ...PUBLISH, allowPublish: true });
  const socket = openSocket(`${server.origin}/hub`, "serverpush.v1");
  await socket.opened;
  socket.send({ type: "subscribe", topic: "chat" });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "chat" });
  const publish = { type: "publish", topic: "chat", data: "hi" };
  socket.send({ ...publish, idempotencyKey: "line-1" });
  const replies = [await socket.next(), await socket.next()];
  const published = replies.find((r) => r.type === "published")!;
  const delivered = replies.find((r) => r.type === "message")!;
  strictEqual(delivered.id, published.id);
  socket.send({ ...publish, idempotencyKey: "line-1" });
  deepStrictEqual(await socket.next(), {
    type: "published",
    topic: "chat",
    id: published.id,
  });
  socket.send({ ...publish, idempotencyKey: 7 });
  const error = await socket.next();
  deepStrictEqual([error.type, error.code], ["error", "invalid-message"]);
  match(String(error.message), /idempotency key is not a string/);
  await delay(100);
  strictEqual(socket.pending, 0, "the repeat delivered nothing");
  deepStrictEqual(
    (await hub.history("chat")).messages.map((m) => m.id),
    [published.id],
  );
  await socket.close();
  await hub.close();
});
