// Copyright 2026 the serverpush authors. MIT license.

/**
 * The demo's hub over HTTP: every topic of the demo's {@linkcode Hub} under
 * `/hub/` on every transport (the hub's own handler), and `/hub-stats`, the
 * hub's {@linkcode Hub.stats} as Server-Sent Events once a second, or once
 * as JSON to a request that accepts `application/json` (the hub page fetches
 * it so that its only long-lived connection is its WebSocket).
 *
 * Topics: `quotes` and `dashboard` (the demo feed's events), `ticker` (the
 * transports page) and `chat`, the only one clients may publish to: over a
 * `serverpush.v1` WebSocket at `/hub/` or with a `POST /hub/chat`, at most
 * 2 KiB a message. Anyone can read any topic, for example the chat with
 * `new EventSource("/hub/chat")`.
 *
 * @module
 */

import type { Hub } from "../../hub/mod.ts";
import { type SseMessage, sseResponse } from "../../sse/mod.ts";
import { HUB_PREFIX } from "./hub_ticker.ts";
import {
  createHubHandler,
  type HubHandler,
  type HubRequestInfo,
} from "../../serve/mod.ts";

/** The topic that clients may publish to. */
export const CHAT_TOPIC = "chat";
/** The path of the stats stream. */
export const HUB_STATS_PATH = "/hub-stats";
/** Largest chat message, in bytes. */
export const MAX_CHAT_BYTES = 2048;

/** Which topics keep presence: the chat's (the hub's `presence` option). */
export function demoPresence(topic: string): boolean {
  return topic === CHAT_TOPIC;
}

const CLIENT_ID_REGEXP = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The demo's identify hook: the browser's id (`?cid=`, a random id the page
 * keeps in localStorage, so that its tabs are one client) and its name
 * (`?name=`). A demo only: anyone can claim any id this way; a real server
 * reads them from a verified token (see docs/auth.md).
 */
export function identifyDemoClient(
  request: Request,
): { clientId: string; info: { name: string } } | undefined {
  const params = new URL(request.url).searchParams;
  const clientId = params.get("cid");
  if (clientId === null || !CLIENT_ID_REGEXP.test(clientId)) return undefined;
  const name = (params.get("name") ?? "").trim().slice(0, 24) || "guest";
  return { clientId, info: { name } };
}

/** Options for {@linkcode createDemoHubRoutes}. */
export interface DemoHubRoutesOptions {
  /** Ends every stream when aborted (the server is shutting down). */
  signal: AbortSignal;
  /**
   * The server's own host names, against DNS rebinding: the hub handler
   * answers 421 to any other `Host`.
   *
   * @default {undefined}
   */
  allowedHosts?: readonly string[];
  /**
   * Milliseconds between two stats events.
   *
   * @default {1000}
   */
  statsIntervalMs?: number;
}

/** The hub's routes. See {@linkcode createDemoHubRoutes}. */
export interface DemoHubRoutes {
  /** Whether the path is one of the hub's. */
  handles(pathname: string): boolean;
  /**
   * Answers a request for one of the hub's paths; `info` (from `Deno.serve`)
   * tells the inspector who is connected.
   */
  handle(request: Request, info?: HubRequestInfo): Promise<Response>;
}

/** `hub.stats()` now, and then every `intervalMs` while the client reads. */
function statsStream(
  hub: Hub,
  intervalMs: number,
): ReadableStream<SseMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stats = (): SseMessage => ({
    event: "stats",
    data: JSON.stringify({ at: Date.now(), ...hub.stats() }),
  });
  return new ReadableStream<SseMessage>({
    start(controller): void {
      controller.enqueue(stats());
    },
    pull(controller): Promise<void> {
      return new Promise((resolve) => {
        timer = setTimeout(() => {
          controller.enqueue(stats());
          resolve();
        }, intervalMs);
      });
    },
    cancel(): void {
      clearTimeout(timer);
    },
  }, { highWaterMark: 0 });
}

/**
 * Makes the routes of the demo's hub.
 *
 * @param hub The demo's hub.
 * @param options Shutdown signal and stats interval.
 * @returns The routes.
 */
export function createDemoHubRoutes(
  hub: Hub,
  options: DemoHubRoutesOptions,
): DemoHubRoutes {
  const { signal, statsIntervalMs = 1000 } = options;
  const handler: HubHandler = createHubHandler(hub, {
    prefix: HUB_PREFIX,
    // Sent first on every SSE stream: a first byte at once, so a client
    // can tell a working stream from one a proxy holds back.
    retry: 1000,
    // A comment after 5 s of silence: the transports page's forever iframe
    // takes a frame silent for 12 s for a dead one and loads it again.
    keepAlive: 5_000,
    signal,
    longPoll: { timeout: 25_000 },
    allowPublish: true,
    authorizePublish: (_request, topic) => topic === CHAT_TOPIC,
    maxPublishBytes: MAX_CHAT_BYTES,
    // Who is online in the chat, and who said what (`from`).
    identify: identifyDemoClient,
    stampFrom: true,
    ...(options.allowedHosts === undefined
      ? {}
      : { allowedHosts: options.allowedHosts }),
  });
  return {
    handles(pathname: string): boolean {
      return pathname === HUB_PREFIX || pathname === HUB_STATS_PATH ||
        pathname.startsWith(`${HUB_PREFIX}/`);
    },
    async handle(request: Request, info?: HubRequestInfo): Promise<Response> {
      const { pathname } = new URL(request.url);
      if (pathname !== HUB_STATS_PATH) return await handler(request, info);
      if (request.method !== "GET") {
        return new Response("Method Not Allowed", {
          status: 405,
          headers: { allow: "GET" },
        });
      }
      if (request.headers.get("accept")?.includes("application/json")) {
        return Response.json({ at: Date.now(), ...hub.stats() }, {
          headers: { "cache-control": "no-store" },
        });
      }
      return sseResponse(statsStream(hub, statsIntervalMs), {
        signal,
        keepAlive: false,
      });
    },
  };
}
