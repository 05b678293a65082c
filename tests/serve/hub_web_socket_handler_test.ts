// Copyright 2026 the serverpush authors. MIT license.
// hubWebSocketHandler on the codec engine (serveWebSocket), with the npm
// `ws` client: permessage-deflate, one topic with resume, serverpush.v1.

import { permessageDeflate } from "../../ws/deflate.ts";
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { hubWebSocketHandler } from "../../serve/mod.ts";
import type { HubWebSocketHandlerOptions } from "../../serve/mod.ts";
import { serveWebSocket, type WebSocketServer } from "../../ws/mod.ts";
import { type TestClient, wsClient } from "../ws/_ws_clients.ts";
import { within } from "../_wait.ts";

function serveHub(
  hub: Hub,
  options: HubWebSocketHandlerOptions = {},
): WebSocketServer {
  return serveWebSocket(
    { deflate: permessageDeflate(), protocols: ["serverpush.v1"] },
    hubWebSocketHandler(hub, { prefix: "/hub", ...options }),
  );
}

async function nextJson(client: TestClient): Promise<unknown> {
  return JSON.parse(
    await within(client.next(), "a message") as string,
  );
}

async function closeClient(client: TestClient): Promise<void> {
  client.close();
  await within(client.closed, "the client to close");
}

Deno.test("hubWebSocketHandler negotiates permessage-deflate on the codec engine and resumes a topic with since", async () => {
  const hub = new Hub();
  const server = serveHub(hub);
  const url = `ws://127.0.0.1:${server.addr.port}/hub/news`;
  try {
    const first = wsClient(url, { perMessageDeflate: true });
    await within(first.opened, "the client to open");
    ok(
      first.extensions.includes("permessage-deflate"),
      `extensions: ${first.extensions}`,
    );
    strictEqual(first.protocol, "");
    const a = await hub.publish("news", { data: "a".repeat(2000) });
    const b = await hub.publish("news", { event: "e", data: "b" });
    deepStrictEqual(await nextJson(first), { id: a, data: "a".repeat(2000) });
    deepStrictEqual(await nextJson(first), { id: b, event: "e", data: "b" });
    await closeClient(first);

    const c = await hub.publish("news", { data: "c" });
    const again = wsClient(`${url}?since=${a}`, { perMessageDeflate: true });
    await within(again.opened, "the client to open");
    deepStrictEqual(await nextJson(again), { id: b, event: "e", data: "b" });
    deepStrictEqual(await nextJson(again), { id: c, data: "c" });
    await closeClient(again);
  } finally {
    await server.shutdown();
    await hub.close();
  }
});

Deno.test("hubWebSocketHandler serves serverpush.v1: two topics, and a publish when allowed", async () => {
  const hub = new Hub();
  const server = serveHub(hub, {
    allowPublish: true,
    authorizePublish: (_request, topic) => topic === "chat",
  });
  try {
    const client = wsClient(`ws://127.0.0.1:${server.addr.port}/hub/`, {
      protocols: ["serverpush.v1"],
      perMessageDeflate: true,
    });
    await within(client.opened, "the client to open");
    strictEqual(client.protocol, "serverpush.v1");
    ok(client.extensions.includes("permessage-deflate"), client.extensions);
    client.send(JSON.stringify({ type: "subscribe", topic: "news" }));
    deepStrictEqual(await nextJson(client), {
      type: "subscribed",
      topic: "news",
    });
    client.send(JSON.stringify({ type: "subscribe", topic: "chat" }));
    deepStrictEqual(await nextJson(client), {
      type: "subscribed",
      topic: "chat",
    });
    const id = await hub.publish("news", { data: "hello" });
    deepStrictEqual(await nextJson(client), {
      type: "message",
      topic: "news",
      id,
      data: "hello",
    });
    client.send(JSON.stringify({ type: "publish", topic: "chat", data: "hi" }));
    const answers = [await nextJson(client), await nextJson(client)];
    const published = answers.find((m) =>
      (m as { type: string }).type === "published"
    ) as { id: string };
    ok(published !== undefined, JSON.stringify(answers));
    deepStrictEqual(
      answers.find((m) => (m as { type: string }).type === "message"),
      { type: "message", topic: "chat", id: published.id, data: "hi" },
    );
    client.send(JSON.stringify({ type: "publish", topic: "news", data: "x" }));
    deepStrictEqual(await nextJson(client), {
      type: "error",
      code: "unauthorized",
      message: 'Cannot publish to topic "news": not authorized',
      topic: "news",
    });
    await closeClient(client);
  } finally {
    await server.shutdown();
    await hub.close();
  }
});

Deno.test("hubWebSocketHandler closes with 1008 a path with no topic, outside the prefix, or refused", async () => {
  const hub = new Hub();
  const server = serveHub(hub, {
    authorizeSubscribe: (_r, t) => t !== "secret",
  });
  const base = `ws://127.0.0.1:${server.addr.port}`;
  try {
    for (const path of ["/hub/", "/elsewhere/news", "/hub/secret"]) {
      const client = wsClient(`${base}${path}`);
      const { code, reason } = await within(client.closed, `${path} closed`);
      strictEqual(code, 1008, `${path}: ${reason}`);
      ok(reason.startsWith("Cannot "), reason);
    }
  } finally {
    await server.shutdown();
    await hub.close();
  }
});

Deno.test("hubWebSocketHandler checks its limits", () => {
  const hub = new Hub();
  throws(() => hubWebSocketHandler(hub, { maxSubscriptions: 0 }), RangeError);
  throws(() => hubWebSocketHandler(hub, { prefix: "hub" }), TypeError);
  return hub.close();
});
