// Copyright 2026 the serverpush authors. MIT license.
// The Deno server process of bench/ws_memory.ts: holds idle WebSocket
// connections in one of four ways and reports its memory. It prints
// "READY <http port> <websocket port>" once listening, and answers
//
//   GET /_bench/memory -> {"rss","heapUsed","external","connections"}
//                         after a full GC
//
// on the HTTP port. Kinds (the first argument):
//
// - bare:   Deno.upgradeWebSocket, the sockets in a Set;
// - native: acceptWebSocket, each connection iterated (an echo's shape);
// - codec:  serveWebSocket (no deflate), each connection iterated;
// - hub:    createHubHandler(hub), one topic subscriber per connection.
//
// Run with --v8-flags=--expose-gc; by hand:
//   deno run -A --v8-flags=--expose-gc bench/_ws_memory_server.ts codec

import { Hub } from "../hub/mod.ts";
import {
  acceptWebSocket,
  serveWebSocket,
  type WsConnection,
} from "../ws/mod.ts";
import { createHubHandler } from "../serve/mod.ts";

const kind = Deno.args[0] ?? "bare";
if (!["bare", "native", "codec", "hub"].includes(kind)) {
  throw new TypeError(
    `Cannot start memory bench server: kind "${kind}" is not bare, native, codec or hub`,
  );
}
const gc = (globalThis as { gc?: () => void }).gc;
const held = new Set<unknown>();

/** Reads every message until the connection ends, as an echo loop would. */
function hold(connection: WsConnection): void {
  held.add(connection);
  void connection.closed.then(() => held.delete(connection));
  void (async () => {
    for await (const _ of connection) {
      // Idle clients send nothing.
    }
  })();
}

let count = (): number => held.size;
let upgrade: (request: Request) => Response | Promise<Response> = () =>
  new Response("Not Found", { status: 404 });
let wsPort: number | undefined;

if (kind === "bare") {
  upgrade = (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.addEventListener("open", () => held.add(socket));
    socket.addEventListener("close", () => held.delete(socket));
    return response;
  };
} else if (kind === "native") {
  upgrade = async (request) => {
    const { response, connection } = await acceptWebSocket(request);
    if (connection !== undefined) hold(connection);
    return response;
  };
} else if (kind === "codec") {
  const server = serveWebSocket({ port: 0, deflate: false }, hold);
  wsPort = server.addr.port;
} else {
  const hub = new Hub();
  upgrade = createHubHandler(hub);
  count = () => hub.stats().subscribers;
}

Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen({ port }): void {
    // deno-lint-ignore no-console
    console.log(`READY ${port} ${wsPort ?? port}`);
  },
}, async (request): Promise<Response> => {
  if (new URL(request.url).pathname === "/_bench/memory") {
    gc?.();
    gc?.();
    const { rss, heapUsed, external } = Deno.memoryUsage();
    return Response.json({ rss, heapUsed, external, connections: count() });
  }
  return await upgrade(request);
});

Deno.addSignalListener("SIGTERM", () => {
  Deno.exit(0);
});
