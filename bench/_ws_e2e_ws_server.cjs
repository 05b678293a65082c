// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// The `ws` echo server of bench/ws_e2e.ts, run by Node (path of `ws` in
// WS_PATH): permessage-deflate off (ws's server default) unless the first
// argument is "deflate" (then on, with ws's default threshold of 1 KiB),
// 128 MiB payloads. Prints "listening on N"; exits on SIGTERM.
"use strict";

const { WebSocketServer } = require(process.env.WS_PATH);

const server = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: process.argv[2] === "deflate"
    ? { threshold: 1024 }
    : false,
  maxPayload: 128 * 1024 * 1024,
});
server.on("connection", (socket) => {
  socket.on(
    "message",
    (data, isBinary) => socket.send(data, { binary: isBinary }),
  );
});
server.on("listening", () => {
  console.log(`listening on ${server.address().port}`);
});
process.on("SIGTERM", () => {
  for (const client of server.clients) client.terminate();
  server.close(() => process.exit(0));
});
