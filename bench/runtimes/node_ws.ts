// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// bench/runtimes.ts, Node, the usual choice: npm `ws` (path in WS_PATH, the
// copy pinned in deno.json) on node:http, noServer mode: /echo echoes,
// /hub/bench subscribers get one pre-encoded string each per broadcast
// (the hub's JSON shape), permessage-deflate off as ws's default is.
// Prints "READY <port>".

import { createServer } from "node:http";
import { createRequire } from "node:module";
import process from "node:process";

interface WsSocket {
  on(
    event: "message",
    listener: (data: unknown, binary: boolean) => void,
  ): void;
  on(event: "close", listener: () => void): void;
  send(data: unknown, options?: { binary: boolean }): void;
}
interface WsServer {
  handleUpgrade(
    request: unknown,
    socket: unknown,
    head: unknown,
    done: (socket: WsSocket) => void,
  ): void;
}
const { WebSocketServer } = createRequire(import.meta.url)(
  process.env.WS_PATH!,
) as { WebSocketServer: new (options: { noServer: true }) => WsServer };

const wss = new WebSocketServer({ noServer: true });
const subscribers = new Set<WsSocket>();

const http = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  if (request.method === "POST" && url.pathname === "/_bench/broadcast") {
    const k = Number(url.searchParams.get("k"));
    const text = JSON.stringify({
      id: String(k),
      data: `b${k}@${performance.timeOrigin + performance.now()}`,
    });
    for (const socket of subscribers) socket.send(text);
    response.writeHead(204).end();
    return;
  }
  response.writeHead(404).end("Not Found");
});
http.on("upgrade", (request, socket, head) => {
  const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
  wss.handleUpgrade(request, socket, head, (ws) => {
    if (path === "/echo") {
      ws.on("message", (data, binary) => ws.send(data, { binary }));
    } else {
      subscribers.add(ws);
      ws.on("close", () => subscribers.delete(ws));
    }
  });
});
http.listen(0, "127.0.0.1", () => {
  const address = http.address();
  console.log(`READY ${typeof address === "object" ? address?.port : ""}`);
});
process.on("SIGTERM", () => process.exit(0));
