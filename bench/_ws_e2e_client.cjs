// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// The load generator of bench/ws_e2e.ts, run by Node with the `ws` client
// (its path in WS_PATH): N connections each send one message, wait for its
// echo and send again, for a warm-up and then a measured period. Prints one
// JSON line: {"roundTrips": n, "seconds": s, "errors": e}.
"use strict";

const fs = require("node:fs");
const WebSocket = require(process.env.WS_PATH);

const [url, payloadFile, clientsArg, warmupArg, durationArg, deflateArg] =
  process.argv.slice(2);
const clients = Number(clientsArg);
const warmupMs = Number(warmupArg);
const durationMs = Number(durationArg);
const deflate = deflateArg === "deflate";
const payload = fs.readFileSync(payloadFile, "utf8");
const payloadBytes = Buffer.byteLength(payload);

let counting = false;
let stopping = false;
let roundTrips = 0;
let errors = 0;

function open() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      perMessageDeflate: deflate ? { threshold: 1024 } : false,
      maxPayload: 128 * 1024 * 1024,
    });
    socket.on("open", () => resolve(socket));
    socket.on("error", reject);
  });
}

function drive(socket) {
  return new Promise((resolve) => {
    socket.on("message", (data, isBinary) => {
      if (isBinary || data.length !== payloadBytes) errors++;
      if (counting) roundTrips++;
      if (stopping) {
        socket.close(1000);
        return;
      }
      socket.send(payload);
    });
    socket.on("close", resolve);
    socket.on("error", () => errors++);
    socket.send(payload);
  });
}

async function main() {
  const sockets = await Promise.all(Array.from({ length: clients }, open));
  const done = Promise.all(sockets.map(drive));
  await new Promise((r) => setTimeout(r, warmupMs));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, durationMs));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  stopping = true;
  await done;
  console.log(JSON.stringify({ roundTrips, seconds, errors }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
