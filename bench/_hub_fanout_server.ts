// Copyright 2026 the serverpush authors. MIT license.
// The server process of bench/hub_fanout.ts: one topic, served either by the
// hub's handler or by a bare Deno.serve broadcast written without the hub,
// over SSE or WebSocket. It prints "READY <port>" once listening and takes
// its orders over HTTP:
//
//   GET  /_bench/memory          -> {"rss","heapUsed","subscribers","cpu"}
//                                   after a GC; cpu: user + system ms so far
//                                   (read before that GC)
//   POST /_bench/broadcast?k=K   -> publishes "b<K>@<time>" (time: ms since
//                                   the epoch, performance.timeOrigin +
//                                   performance.now() just before publishing)
//
// Subscribers connect to /hub/bench. The server "inspected" is the hub
// with its inspector open: a viewer in this process reads the inspector's
// feed (a snapshot every INSPECTOR_INTERVAL_MS, default 1000) all along. Run by bench/hub_fanout.ts with
// --v8-flags=--expose-gc; by hand:
//   deno run -A --v8-flags=--expose-gc bench/_hub_fanout_server.ts hub sse

import process from "node:process";
import { Hub } from "../hub/mod.ts";
import { createHubHandler, createInspector } from "../serve/mod.ts";

const [impl = "hub", transport = "sse"] = Deno.args;
if (
  !["hub", "bare", "inspected"].includes(impl) ||
  !["sse", "ws"].includes(transport)
) {
  throw new TypeError(
    `Cannot start bench server: expected "hub|bare|inspected sse|ws", got "${impl} ${transport}"`,
  );
}

const encoder = new TextEncoder();
const gc = (globalThis as { gc?: () => void }).gc;

/** Milliseconds since the epoch, comparable across processes. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

interface Server {
  handle(request: Request): Response | Promise<Response>;
  subscribers(): number;
  /** Sends `data` to every subscriber; resolves once handed over. */
  broadcast(k: number, data: string): Promise<void> | void;
}

/**
 * The hub: the handler as a user would mount it, default options; with
 * `inspected`, its inspector's feed is read by a viewer all along.
 */
function hubServer(inspected: boolean): Server {
  const hub = new Hub();
  const handler = createHubHandler(hub, { prefix: "/hub" });
  if (inspected) {
    const inspector = createInspector(hub, {
      authorize: () => true,
      intervalMs: Number(Deno.env.get("INSPECTOR_INTERVAL_MS") ?? 1000),
    });
    void inspector(new Request("http://127.0.0.1/inspector?feed")).then(
      async (response) => {
        for await (const _ of response.body!) { /* a viewer reads */ }
      },
    );
  }
  return {
    handle: handler,
    subscribers: () => hub.stats().subscribers,
    async broadcast(_k: number, data: string): Promise<void> {
      await hub.publish("bench", { data });
    },
  };
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
};

/** Bare SSE: a set of body controllers, each given the same bytes. */
function bareSseServer(): Server {
  const controllers = new Set<ReadableStreamDefaultController<Uint8Array>>();
  return {
    handle(): Response {
      let controller: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(c): void {
          controller = c;
          controllers.add(c);
        },
        cancel(): void {
          controllers.delete(controller);
        },
      });
      return new Response(body, { headers: SSE_HEADERS });
    },
    subscribers: () => controllers.size,
    broadcast(k: number, data: string): void {
      const bytes = encoder.encode(`id: ${k}\ndata: ${data}\n\n`);
      for (const controller of controllers) controller.enqueue(bytes);
    },
  };
}

/** Bare WebSocket: Deno.upgradeWebSocket, one pre-encoded string for all. */
function bareWsServer(): Server {
  const sockets = new Set<WebSocket>();
  return {
    handle(request: Request): Response {
      // The hub's default heartbeat (30 s + 30 s) is this idle timeout.
      const { socket, response } = Deno.upgradeWebSocket(request, {
        idleTimeout: 60,
      });
      socket.addEventListener("open", () => sockets.add(socket));
      socket.addEventListener("close", () => sockets.delete(socket));
      return response;
    },
    subscribers: () => sockets.size,
    broadcast(k: number, data: string): void {
      const text = JSON.stringify({ id: String(k), data });
      for (const socket of sockets) socket.send(text);
    },
  };
}

const server = impl !== "bare"
  ? hubServer(impl === "inspected")
  : transport === "sse"
  ? bareSseServer()
  : bareWsServer();

const http = Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen({ port }): void {
    // deno-lint-ignore no-console
    console.log(`READY ${port}`);
  },
}, async (request): Promise<Response> => {
  const url = new URL(request.url);
  if (url.pathname === "/_bench/memory") {
    // CPU first: the GC below is the bench's, not the server's work.
    const { user, system } = process.cpuUsage();
    gc?.();
    const { rss, heapUsed } = Deno.memoryUsage();
    return Response.json({
      rss,
      heapUsed,
      subscribers: server.subscribers(),
      cpu: (user + system) / 1000,
    });
  }
  if (url.pathname === "/_bench/broadcast") {
    const k = Number(url.searchParams.get("k"));
    await server.broadcast(k, `b${k}@${now()}`);
    return new Response(null, { status: 204 });
  }
  if (url.pathname === "/hub/bench") return await server.handle(request);
  return new Response("Not Found", { status: 404 });
});

Deno.addSignalListener("SIGTERM", () => {
  Deno.exit(0);
});
await http.finished;
