// Copyright 2026 the serverpush authors. MIT license.

/**
 * The hub server the client scenario (`_client_scenario.ts`) talks to:
 * `createHubHandler` at `/hub/` with publishing allowed (also over a
 * serverpush.v1 WebSocket), under
 * `Deno.serve` (or `serve` on another runtime), with `first` published to topic `news` after the id
 * `since`; other paths go to `fallback`.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hub } from "../hub/mod.ts";
import { serverpushV1Message } from "../message/mod.ts";
import type { ScenarioResult } from "./_client_scenario.ts";
import { createHubHandler } from "../serve/mod.ts";

/** What the scenario's assertions need to know of its server. */
export interface ScenarioTarget {
  /** The id before `first` on topic `news`. */
  readonly since: string;
  /** The id of `first`. */
  readonly firstId: string;
  /** `[id, data]` of the messages `topic` holds, oldest first. */
  history(topic: string): Promise<[string, unknown][]>;
}

/** The scenario's hub and handler, before any server runs them. */
export interface ScenarioHub extends ScenarioTarget {
  readonly hub: Hub;
  /** Serves the hub at `/hub/`; other paths go to `fallback`. */
  readonly handler: (request: Request) => Response | Promise<Response>;
}

/**
 * Makes the hub with `first` published to `news`, and its handler. Runs on
 * any runtime (tests/serve/fixtures/scenario_fixture.ts serves it on Node
 * and Bun).
 */
export async function scenarioHub(
  fallback: (request: Request) => Response | Promise<Response> = () =>
    new Response("Not Found", { status: 404 }),
): Promise<ScenarioHub> {
  const hub = new Hub();
  const since = await hub.publish("news", { data: "zeroth" });
  const firstId = await hub.publish("news", { data: "first" });
  const hubHandler = createHubHandler(hub, {
    prefix: "/hub",
    allowPublish: true,
    authorizePublish: () => true,
  });
  return {
    hub,
    since,
    firstId,
    async history(topic) {
      const { messages } = await hub.history(topic);
      return messages.map((m) => [m.id, m.data]);
    },
    handler: (request) =>
      new URL(request.url).pathname.startsWith("/hub/")
        ? hubHandler(request)
        : fallback(request),
  };
}

/** A running scenario server. */
export interface ScenarioServer extends ScenarioTarget {
  readonly hub: Hub;
  /** `http://127.0.0.1:<port>/`. */
  readonly base: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the server under `Deno.serve`. */
export async function startScenarioServer(
  fallback?: (request: Request) => Response | Promise<Response>,
): Promise<ScenarioServer> {
  const scenario = await scenarioHub(fallback);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    scenario.handler,
  );
  return {
    ...scenario,
    base: `http://127.0.0.1:${server.addr.port}/`,
    async [Symbol.asyncDispose](): Promise<void> {
      await scenario.hub.close();
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
  server: ScenarioTarget,
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
  deepStrictEqual(await server.history("chat"), [[
    published.id,
    "from client",
  ]]);
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
