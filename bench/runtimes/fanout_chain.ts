// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
/**
 * The hub's own JavaScript per subscriber in a broadcast, with no network:
 * 10,000 one-topic WebSocket sessions (`hubWebSocketHandler`) over sockets
 * whose `send` only counts, and 60 publishes; prints the median publish
 * time and what it makes per subscriber. With `--bun-socket` the sockets
 * are `serve()`'s Bun wrapper around a fake native socket.
 *
 *   deno run -A bench/runtimes/fanout_chain.ts
 *   tools/runtimes/node_modules/.bin/bun bench/runtimes/fanout_chain.ts [--bun-socket]
 *   deno bundle --platform deno --format esm --output .out/chain.mjs \
 *     bench/runtimes/fanout_chain.ts && node .out/chain.mjs
 *
 * Set against `bench/runtimes.ts`'s CPU per broadcast (where each send is a
 * system call), this tells the hub's work from the cost of reaching each
 * subscriber's objects between system calls (see
 * docs/performance-runtimes.md).
 */

import { Hub } from "../../hub/mod.ts";
import { hubWebSocketHandler } from "../../serve/mod.ts";
import { socketConnection } from "../../ws/_socket_connection.ts";
import { type BunServerWebSocket, BunSocket } from "../../serve/_bun_socket.ts";

interface Host {
  Deno?: { args: string[]; exit(code: number): never };
  process?: { argv: string[]; exit(code: number): never };
}
const host = globalThis as Host;
const args = host.Deno?.args ?? host.process?.argv.slice(2) ?? [];
const bunSocket = args.includes("--bun-socket");

const SUBSCRIBERS = 10_000;
const PUBLISHES = 60;
let sent = 0;

/** A WHATWG-like socket, open, whose `send` counts. */
class CountingSocket extends EventTarget {
  readyState = 1;
  bufferedAmount = 0;
  binaryType = "arraybuffer";
  protocol = "";
  extensions = "";
  url = "ws://127.0.0.1/hub/bench";
  send(_data: unknown): void {
    sent++;
  }
  close(): void {}
}

function socket(): WebSocket {
  if (!bunSocket) return new CountingSocket() as unknown as WebSocket;
  const wrapper = new BunSocket("");
  const native: BunServerWebSocket = {
    send(): number {
      sent++;
      return 1;
    },
    close(): void {},
    getBufferedAmount(): number {
      return 0;
    },
    binaryType: "arraybuffer",
    data: wrapper,
  };
  wrapper.opened(native);
  return wrapper as unknown as WebSocket;
}

const hub = new Hub();
const handler = hubWebSocketHandler(hub, { prefix: "/hub" });
for (let i = 0; i < SUBSCRIBERS; i++) {
  void handler(
    socketConnection(socket(), {}),
    new Request("http://127.0.0.1/hub/bench"),
  );
}
await new Promise((resolve) => setTimeout(resolve, 200));

const times: number[] = [];
for (let k = 0; k < PUBLISHES; k++) {
  const start = performance.now();
  await hub.publish("bench", { data: `b${k}@${Date.now()}` });
  times.push(performance.now() - start);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
times.sort((a, b) => a - b);
const median = times[PUBLISHES / 2]!;
if (sent !== SUBSCRIBERS * PUBLISHES) {
  throw new Error(`sent ${sent}, expected ${SUBSCRIBERS * PUBLISHES}`);
}
console.log(
  `${bunSocket ? "Bun socket wrapper" : "counting socket"}: publish to ` +
    `${SUBSCRIBERS} subscribers, median ${median.toFixed(2)} ms, ` +
    `${(median / SUBSCRIBERS * 1e6).toFixed(0)} ns per subscriber`,
);
await hub.close();
if (host.Deno !== undefined) host.Deno.exit(0);
else host.process!.exit(0);
