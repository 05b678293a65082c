// Copyright 2026 the serverpush authors. MIT license.
// PushClient.send with idempotency keys: a POST whose answer is lost is
// retried with the same key and stored once; a WebSocket publish carries
// the key too.

import {
  deepStrictEqual,
  match,
  rejects,
  strictEqual,
} from "node:assert/strict";
import { openHub, publishAll, serve, until } from "../polling/_helpers.ts";
import { createHubHandler } from "../../serve/mod.ts";
import { connect, type PushEvent } from "../../client/mod.ts";

/**
 * A hub handler whose first `lose` POSTs are published and then answered
 * 503, as when a proxy times out while the hub stored the message.
 */
function lossyFront(lose: number) {
  const hub = openHub();
  const stop = new AbortController();
  const handler = createHubHandler(hub, {
    retry: 50,
    allowPublish: true,
    authorizePublish: () => true,
    signal: stop.signal,
  });
  const keys: (string | null)[] = [];
  const server = serve(async (request) => {
    if (request.method !== "POST") return await handler(request);
    keys.push(request.headers.get("idempotency-key"));
    const response = await handler(request);
    if (keys.length > lose) return response;
    await response.body?.cancel();
    return new Response("upstream timed out", { status: 503 });
  });
  return {
    hub,
    keys,
    url: `${server.url}t`,
    async [Symbol.asyncDispose](): Promise<void> {
      stop.abort();
      await hub.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("PushClient.send retries a POST answered 503 with the same idempotency key, and the message is stored once", async () => {
  await using front = lossyFront(2);
  const client = connect(front.url, { transports: ["sse"] });
  const events: PushEvent[] = [];
  const done = (async () => {
    for await (const event of client) events.push(event);
  })();
  try {
    await client.send("once");
    await client.send("own key", { idempotencyKey: 'order "7"' });
    await until(() => events.length >= 2, "the messages");
  } finally {
    await client.close();
    await done;
  }
  strictEqual(front.keys.length, 4, "two lost answers, then two sends");
  strictEqual(new Set(front.keys.slice(0, 3)).size, 1, "one key per send");
  match(front.keys[0]!, /^"[0-9a-f-]{36}"$/);
  strictEqual(front.keys[3], '"order \\"7\\""');
  deepStrictEqual(
    (await front.hub.history("t")).messages.map((m) => m.data),
    ["once", "own key"],
  );
  deepStrictEqual(
    events.map((e) => e.kind === "message" && e.data),
    ["once", "own key"],
  );
});

Deno.test("PushClient.send gives up after its retries with the last answer", async () => {
  await using front = lossyFront(10);
  const client = connect(front.url, { transports: ["sse"] });
  try {
    await rejects(
      client.send("x", { retries: 1 }),
      /the server answered 503 "upstream timed out"/,
    );
    strictEqual(front.keys.length, 2);
    await rejects(client.send("x", { idempotencyKey: "" }), TypeError);
    await rejects(client.send("x", { retries: -1 }), RangeError);
  } finally {
    await client.close();
  }
  strictEqual((await front.hub.history("t")).messages.length, 1);
});

Deno.test("PushClient.send over the WebSocket carries the idempotency key", async () => {
  await using front = lossyFront(0);
  const [since] = await publishAll(front.hub, "t", ["seen"]);
  const client = connect(front.url, { since, publishOverWebSocket: true });
  const events: PushEvent[] = [];
  const done = (async () => {
    for await (const event of client) events.push(event);
  })();
  try {
    await publishAll(front.hub, "t", ["open"]);
    await until(() => events.length >= 1, "the socket to work");
    await client.send("a", { idempotencyKey: "k" });
    await client.send("a", { idempotencyKey: "k" });
    await client.send("b");
    await until(() => events.length >= 3, "the messages");
  } finally {
    await client.close();
    await done;
  }
  strictEqual(front.keys.length, 0, "no POST");
  deepStrictEqual(
    (await front.hub.history("t")).messages.map((m) => m.data),
    ["seen", "open", "a", "b"],
  );
});
