// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// The `ws` server process of bench/ws_memory.ts, run by Node with
// --expose-gc (path of `ws` in WS_PATH): holds idle connections, each with
// a message listener as an echo has, and reports its memory like
// bench/_ws_memory_server.ts ("READY <http port> <websocket port>",
// GET /_bench/memory after a full GC). Exits on SIGTERM.
"use strict";

const http = require("node:http");
const { WebSocketServer } = require(process.env.WS_PATH);

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: false,
});
wss.on("connection", (socket) => {
  socket.on("message", () => {});
});
const stats = http.createServer((_request, response) => {
  global.gc();
  global.gc();
  const { rss, heapUsed, external } = process.memoryUsage();
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({
    rss,
    heapUsed,
    external,
    connections: wss.clients.size,
  }));
});
wss.on("listening", () => {
  stats.listen(0, "127.0.0.1", () => {
    console.log(`READY ${stats.address().port} ${wss.address().port}`);
  });
});
process.on("SIGTERM", () => process.exit(0));
