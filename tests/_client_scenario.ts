// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * What a client does against a hub server, the same on every runtime: the
 * Chromium test runs it in a page over the bundled entries, the Node test
 * over a bundle run by `node`. It receives the library (so that a bundle of
 * this file holds none of it) and returns what each client saw; the Deno
 * side asserts it. The server has published `first` to topic `news` after
 * the id `since`, and serves the hub at `/hub/` with publishing allowed.
 *
 * @module
 */

import type * as Client from "../client/mod.ts";
import type * as Message from "../message/mod.ts";
import type * as Sse from "../sse/mod.ts";
import type * as Ws from "../ws/mod.ts";

/** The entries the scenario uses. */
export interface ScenarioLibrary {
  client: typeof Client;
  sse: typeof Sse;
  message: typeof Message;
  ws: typeof Ws;
  /** The WebSocket class for `connect`, where the runtime has none. */
  WebSocket?: Client.ClientWebSocketClass;
}

/** What the clients saw. */
export interface ScenarioResult {
  /** Per transport of `connect`: the transport used and the first data. */
  connect: { transport: string; data: unknown }[];
  /**
   * On a runtime without a global `WebSocket` (Node 20): `connect` offered
   * WebSocket then SSE, without a `WebSocket` option. `null` elsewhere.
   */
  fallback: { transport: string; data: unknown } | null;
  /** The first event of `SseClient`: id and data. */
  sse: { id: string; data: string };
  /** The first message of `connectWebSocket` on the topic, parsed. */
  webSocket: unknown;
  /** The subprotocol the serverpush.v1 connection agreed on. */
  webSocketProtocol: string;
  /** serverpush.v1: the frames received after subscribe and publish. */
  serverpushV1: unknown[];
  /** `serverpushV1Message` of a fixed message, from the message entry. */
  encoded: string;
}

/** Fails after `ms` milliseconds with `what` in the message. */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out waiting for ${what}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function firstMessage(
  client: Client.PushClient,
): Promise<{ transport: string; data: unknown }> {
  for await (const event of client) {
    if (event.kind === "message") {
      const transport = client.transport;
      await client.close();
      return { transport, data: event.data };
    }
  }
  throw new Error("Cannot read the first message: the client ended");
}

/** Runs every client against the hub at `base` (an `http:` URL). */
export async function runClientScenario(
  base: string,
  since: string,
  lib: ScenarioLibrary,
): Promise<ScenarioResult> {
  const news = new URL("/hub/news", base);
  const extra = lib.WebSocket === undefined ? {} : { WebSocket: lib.WebSocket };

  const connect: ScenarioResult["connect"] = [];
  for (const transport of ["websocket", "sse", "longpoll", "poll"] as const) {
    const client = lib.client.connect(news, {
      transports: [transport],
      since,
      pollInterval: 100,
      ...extra,
    });
    connect.push(await within(firstMessage(client), `connect ${transport}`));
  }

  let fallback: ScenarioResult["fallback"] = null;
  if (typeof globalThis.WebSocket === "undefined") {
    const client = lib.client.connect(news, {
      transports: ["websocket", "sse"],
      since,
    });
    fallback = await within(firstMessage(client), "connect falling back");
  }

  // SseClient sets Last-Event-ID itself; the hub also reads ?lastEventId=.
  const source = new lib.sse.SseClient(
    new URL(`/hub/news?lastEventId=${since}`, base),
  );
  const sse = await within(
    new Promise<{ id: string; data: string }>((resolve, reject) => {
      source.onmessage = (event) => {
        resolve({ id: event.lastEventId, data: event.data });
      };
      source.onerror = () => reject(new Error("SseClient failed"));
    }),
    "SseClient",
  ).finally(() => source.close());

  const socketUrl = new URL(`/hub/news?since=${since}`, base);
  socketUrl.protocol = "ws:";
  const topic = await within(
    lib.ws.connectWebSocket(socketUrl),
    "connectWebSocket",
  );
  const reader = topic.readable.getReader();
  const webSocket = JSON.parse(
    (await within(reader.read(), "a message")).value as string,
  );
  reader.releaseLock();
  await topic.close(1000);

  const hubUrl = new URL("/hub/", base);
  hubUrl.protocol = "ws:";
  const multi = await within(
    lib.ws.connectWebSocket(hubUrl, {
      protocols: [lib.message.SERVERPUSH_V1],
    }),
    "connectWebSocket serverpush.v1",
  );
  const frames = multi.readable.getReader();
  const next = async (): Promise<unknown> =>
    JSON.parse((await within(frames.read(), "a frame")).value as string);
  const serverpushV1: unknown[] = [];
  await multi.send(JSON.stringify({ type: "subscribe", topic: "chat" }));
  serverpushV1.push(await next());
  await multi.send(
    JSON.stringify({ type: "publish", topic: "chat", data: "from client" }),
  );
  serverpushV1.push(await next(), await next());
  frames.releaseLock();
  await multi.close(1000);

  return {
    connect,
    fallback,
    sse,
    webSocket,
    webSocketProtocol: multi.protocol,
    serverpushV1,
    encoded: lib.message.serverpushV1Message({
      kind: "message",
      topic: "news",
      id: "1-0",
      data: "hi",
    }),
  };
}
