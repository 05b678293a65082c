// Copyright 2026 the serverpush authors. MIT license.

/**
 * The serverpush demo server: a web page whose panels are fed by server
 * push. Run it with `deno task example` and open the printed URL.
 *
 * - `GET /` and a few static files from `examples/public/`: the page.
 * - `GET /sse`: the demo feed as Server-Sent Events, with `Last-Event-ID`
 *   replay ({@linkcode handleSse}).
 * - `GET /ws/chat`: a chat room over WebSocket ({@linkcode createChatRoom}).
 * - `GET /ws/binary`: a binary echo over WebSocket, for the canvas round
 *   trip ({@linkcode handleBinaryEcho}).
 * - `/hub/<topic>`: the demo's hub over every transport
 *   ({@linkcode createDemoHubRoutes}): `quotes` and `dashboard` (the feed's
 *   events), `ticker` (for the transports page `/transports.html`,
 *   {@linkcode createDemoTicker}) and `chat` (clients publish over a
 *   `serverpush.v1` WebSocket at `/hub/`); `/hub-stats`, the hub's stats as
 *   SSE; the page `/hub.html` shows them.
 * - `/inspector`: the hub's live inspector ({@linkcode createInspector}),
 *   for loopback peers only; `/metrics`: its Prometheus metrics
 *   ({@linkcode createMetricsHandler}).
 *
 * `PORT` sets the port (default 8000; `0` picks a free one). The hub's
 * topics are kept in Deno KV, in `.data/demo.sqlite` (`SERVERPUSH_KV` names
 * another file, `SERVERPUSH_KV=:memory:` or `--memory` keeps them in memory),
 * so a restarted demo resumes them; `REDIS_URL` moves them onto Redis
 * ({@linkcode openDemoHub}).
 *
 * @module
 */

import { createDemoFeed, type DemoFeed } from "./demo/feed.ts";
import { handleSse } from "./demo/sse_route.ts";
import { servePublicFile } from "./demo/static.ts";
import {
  type ChatRoom,
  type ChatRoomOptions,
  createChatRoom,
} from "./demo/ws_chat.ts";
import { handleBinaryEcho } from "./demo/ws_binary.ts";
import { createDemoTicker, type DemoTicker } from "./demo/hub_ticker.ts";
import { createDemoHubRoutes, type DemoHubRoutes } from "./demo/hub_routes.ts";
import { openDemoHub } from "./demo/hub_store.ts";
import type { Hub } from "../hub/mod.ts";
import { createHostCheck } from "../ws/mod.ts";
import {
  createInspector,
  createMetricsHandler,
  type HubRequestInfo,
} from "../serve/mod.ts";

/** Whether the peer is on this machine (an IPv4 or IPv6 loopback address). */
export function isLoopback(info: HubRequestInfo | undefined): boolean {
  const host = info?.remoteAddr?.hostname;
  if (host === undefined) return false;
  return host === "::1" || host.startsWith("127.") ||
    host.startsWith("::ffff:127.");
}

/** Options for {@linkcode startDemo}. */
export interface StartDemoOptions {
  /**
   * Port to listen on; `0` picks a free one.
   *
   * @default {8000}
   */
  port?: number;
  /**
   * Address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The event feed to serve. Pass the same feed to a restarted server to
   * keep the event ids and the replay ring; the caller then starts and stops
   * it. By default the demo creates a feed, starts it and stops it on
   * shutdown.
   *
   * @default {undefined}
   */
  feed?: DemoFeed;
  /**
   * Reconnection delay sent to `EventSource` clients, in milliseconds.
   *
   * @default {500}
   */
  retryMs?: number;
  /**
   * Milliseconds between two ticks of the `/hub/ticker` topic.
   *
   * @default {2000}
   */
  tickerMs?: number;
  /**
   * The host names (with or without a port) the demo answers to; any other
   * `Host` gets 421 on every route, so a page whose name is rebound to the
   * demo's address (DNS rebinding) can neither read nor publish. By
   * default, the loopback names on the demo's port (`127.0.0.1:PORT`,
   * `localhost:PORT`, `[::1]:PORT`) and `hostname:PORT`.
   *
   * @default {undefined}
   */
  allowedHosts?: readonly string[];
  /**
   * Options of the `/ws/chat` room, such as the history of an earlier run.
   *
   * @default {{}}
   */
  chat?: ChatRoomOptions;
  /**
   * Whether this instance publishes to a produced topic (`ticker`) now: the
   * store's leases decide when instances share a hub.
   *
   * @default {() => true}
   */
  mayPublish?: (topic: string) => boolean;
}

/** A running demo server. See {@linkcode startDemo}. */
export interface Demo {
  /** The HTTP server. */
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  /** The page's URL, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** The port the server listens on. */
  readonly port: number;
  /** The event feed being served. */
  readonly feed: DemoFeed;
  /** The WebSocket chat room at `/ws/chat`. */
  readonly chat: ChatRoom;
  /** The ticker publishing to the hub's `ticker` topic. */
  readonly ticker: DemoTicker;
  /** The hub served at `/hub/`: the feed's ({@linkcode DemoFeed.hub}). */
  readonly hub: Hub;
  /**
   * Stops accepting connections, ends every open stream and waits for the
   * server to finish; stops the feed too if the demo created it.
   */
  shutdown(): Promise<void>;
  /** Same as {@linkcode Demo.shutdown}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the demo server.
 *
 * @param options Port, hostname, feed and retry delay.
 * @returns The running demo.
 *
 * @example Start on a free port, fetch the page, stop
 * ```ts
 * import { startDemo } from "./server.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * await using demo = startDemo({ port: 0 });
 * const response = await fetch(demo.url);
 * strictEqual(response.status, 200);
 * await response.body?.cancel();
 * ```
 */
export function startDemo(options: StartDemoOptions = {}): Demo {
  const { port = 8000, hostname = "127.0.0.1", retryMs = 500 } = options;
  const ownFeed = options.feed === undefined;
  const feed = options.feed ?? createDemoFeed();
  if (ownFeed) feed.start();
  const streams = new AbortController();
  const chat = createChatRoom(options.chat);
  // One hub for the page's topics: the feed's, which outlives a restart.
  const hub = feed.hub;
  const ticker = createDemoTicker({
    hub,
    ...(options.tickerMs === undefined ? {} : { intervalMs: options.tickerMs }),
    ...(options.mayPublish === undefined
      ? {}
      : { mayPublish: options.mayPublish }),
  });
  // Set once the port is known, before the first request can arrive.
  const late = {} as {
    hubRoutes: DemoHubRoutes;
    hostAllowed: (request: Request) => boolean;
  };

  const inspector = createInspector(hub, {
    authorize: (_request, info) => isLoopback(info),
    signal: streams.signal,
  });
  const metrics = createMetricsHandler(hub);

  async function handler(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Promise<Response> {
    // Against DNS rebinding: only the demo's own names, on every route.
    if (!late.hostAllowed(request)) {
      return new Response("Misdirected Request: unknown Host", {
        status: 421,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    const { pathname } = new URL(request.url);
    if (late.hubRoutes.handles(pathname)) {
      return await late.hubRoutes.handle(request, info);
    }
    if (pathname === "/inspector") return await inspector(request, info);
    if (pathname === "/metrics") return await metrics(request);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method Not Allowed", {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    if (pathname === "/sse") {
      return handleSse(request, feed, { retryMs, signal: streams.signal });
    }
    if (pathname === "/ws/chat") return await chat.accept(request);
    if (pathname === "/ws/binary") return await handleBinaryEcho(request);
    return await servePublicFile(pathname) ??
      new Response("Not Found", { status: 404 });
  }

  const server = Deno.serve({ port, hostname, onListen(): void {} }, handler);
  const allowedHosts = options.allowedHosts ?? [
    ...new Set([
      `127.0.0.1:${server.addr.port}`,
      `localhost:${server.addr.port}`,
      `[::1]:${server.addr.port}`,
      `${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${server.addr.port}`,
    ]),
  ];
  late.hostAllowed = createHostCheck(allowedHosts);
  late.hubRoutes = createDemoHubRoutes(hub, {
    signal: streams.signal,
    allowedHosts,
  });
  const url = `http://${hostname}:${server.addr.port}/`;
  let closing: Promise<void> | undefined;

  function shutdown(): Promise<void> {
    closing ??= (async () => {
      // Stop listening first, so a reconnecting client is refused instead of
      // landing on a server that is going away; then end the open streams,
      // which the graceful shutdown would otherwise wait for forever.
      const done = server.shutdown();
      streams.abort();
      await chat.close();
      await ticker.close();
      if (ownFeed) {
        feed.stop();
        await hub.close();
      }
      await done;
    })();
    return closing;
  }

  return {
    server,
    url,
    port: server.addr.port,
    feed,
    chat,
    ticker,
    hub,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

if (import.meta.main) {
  const portText = Deno.env.get("PORT") ?? "8000";
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new RangeError(
      `Cannot start demo: PORT "${portText.slice(0, 20)}" is not a port number`,
    );
  }
  // The hub's topics (the feed's and the chat) live in Deno KV by default,
  // so a restarted demo resumes them; REDIS_URL moves them onto Redis.
  const store = await openDemoHub((name) => Deno.env.get(name), Deno.args);
  const feed = createDemoFeed(store.feed);
  store.keep(feed);
  feed.start();
  const demo = startDemo({
    port,
    feed,
    chat: store.chat,
    mayPublish: store.mayPublish,
  });
  // deno-lint-ignore no-console
  console.log(`serverpush demo: ${demo.url} (hub on ${store.where})`);
  const stop = async (): Promise<void> => {
    await demo.shutdown();
    feed.stop();
    await store.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
