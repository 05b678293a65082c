// Copyright 2026 the serverpush authors. MIT license.

/**
 * The hub server the client scenario (`_client_scenario.ts`) talks to:
 * `createHubHandler` at `/hub/` with publishing allowed (also over a
 * serverpush.v1 WebSocket), under
 * `Deno.serve`, with `first` published to topic `news` after the id
 * `since`; other paths go to `fallback`.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hub } from "../hub/mod.ts";
import { serverpushV1Message } from "../message/mod.ts";
import type { ScenarioResult } from "./_client_scenario.ts";
import { createHubHandler } from "../serve/mod.ts";

/** A running scenario server. */
export interface ScenarioServer {
  readonly hub: Hub;
  /** `http://127.0.0.1:<port>/`. */
  readonly base: string;
  /** The id before `first` on topic `news`. */
  readonly since: string;
  /** The id of `first`. */
  readonly firstId: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the server. */
export async function startScenarioServer(
  fallback: (request: Request) => Response | Promise<Response> = () =>
    new Response("Not Found", { status: 404 }),
): Promise<ScenarioServer> {
  const hub = new Hub();
  const since = await hub.publish("news", { data: "zeroth" });
  const firstId = await hub.publish("news", { data: "first" });
  const handler = createHubHandler(hub, {
    prefix: "/hub",
    allowPublish: true,
    authorizePublish: () => true,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    (request) =>
      new URL(request.url).pathname.startsWith("/hub/")
        ? handler(request)
        : fallback(request),
  );
  return {
    hub,
    base: `http://127.0.0.1:${server.addr.port}/`,
    since,
    firstId,
    async [Symbol.asyncDispose](): Promise<void> {
      await hub.close();
      await server.shutdown();
    },
  };
}

/**
 * Asserts what the scenario saw against `server`. `noWebSocket` says the
 * runtime had no global `WebSocket` (Node 20), where the fallback ran.
 */
export async function assertScenario(
  result: ScenarioResult,
  server: ScenarioServer,
  noWebSocket: boolean,
): Promise<void> {
  deepStrictEqual(result.connect, [
    { transport: "websocket", data: "first" },
    { transport: "sse", data: "first" },
    { transport: "longpoll", data: "first" },
    { transport: "poll", data: "first" },
  ]);
  deepStrictEqual(
    result.fallback,
    noWebSocket ? { transport: "sse", data: "first" } : null,
  );
  deepStrictEqual(result.sse, { id: server.firstId, data: "first" });
  deepStrictEqual(result.webSocket, { id: server.firstId, data: "first" });
  strictEqual(result.webSocketProtocol, "serverpush.v1");
  const [subscribed, ...answers] = result.serverpushV1 as {
    type: string;
    id?: string;
  }[];
  deepStrictEqual(subscribed, { type: "subscribed", topic: "chat" });
  const published = answers.find((frame) => frame.type === "published");
  ok(published?.id !== undefined, JSON.stringify(answers));
  deepStrictEqual(answers.find((frame) => frame.type === "message"), {
    type: "message",
    topic: "chat",
    id: published.id,
    data: "from client",
  });
  const { messages } = await server.hub.history("chat");
  deepStrictEqual(
    messages.map((m) => [m.id, m.data]),
    [[published.id, "from client"]],
  );
  strictEqual(
    result.encoded,
    serverpushV1Message({
      kind: "message",
      topic: "news",
      id: "1-0",
      data: "hi",
    }),
  );
}
