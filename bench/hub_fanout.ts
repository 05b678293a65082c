// Copyright 2026 the serverpush authors. MIT license.
// Fan-out to N idle subscribers: the hub's handler against a bare Deno.serve
// broadcast written without the hub, over SSE and over WebSocket.
//
//   deno run -A bench/hub_fanout.ts [--clients 10000] [--transport sse|ws]
//                                   [--broadcasts 100] [--rounds 1]
//
// For each transport and each server (bare first, then hub), a fresh server
// process (bench/_hub_fanout_server.ts) and a fresh client process
// (bench/_hub_fanout_client.ts) are started; the client opens N subscribers
// on loopback (raw TCP: SSE requests or WebSocket upgrades), then the
// server broadcasts `--broadcasts` times, one at a time: each broadcast
// starts once every subscriber has received the previous one. Reported:
//
// - delivery to all, p50 / p99: per broadcast, the time from just before
//   publishing to the moment the last subscriber has it (clocks: both
//   processes use performance.timeOrigin + performance.now());
// - per delivery, p50 / p99: the same for every (subscriber, broadcast);
// - RSS per connection: the server's RSS with N idle subscribers minus its
//   RSS before any, divided by N (both read after a GC);
// - server CPU per broadcast: the server process's user + system CPU time
//   over all broadcasts, divided by their number (less sensitive to other
//   load on the machine than the latencies).
//
// The client process does the reading for all N subscribers on one thread,
// so "delivery to all" includes its time to read N sockets; it is the same
// for both servers. Numbers on a shared machine are noisy: compare the
// ratios of one run. With --rounds R, bare and hub run R times each,
// alternately, and the table shows the median of each figure.

import { alternate, fixed, parseFanoutArgs } from "./_fanout_run.ts";
import { table } from "./_table.ts";

const options = parseFanoutArgs(Deno.args, {
  clients: 10_000,
  transports: ["sse", "ws"],
  broadcasts: 100,
  rounds: 1,
  intervalMs: 1000,
});
const rows: string[][] = [];
const ratios: string[][] = [];
for (const transport of options.transports) {
  const [bare, hub] = await alternate("bare", "hub", transport, options);
  for (const [name, result] of [["bare", bare], ["hub", hub]] as const) {
    rows.push([
      transport,
      name,
      fixed(result.allP50),
      fixed(result.allP99),
      fixed(result.oneP50),
      fixed(result.oneP99),
      fixed(result.rssPerConnection / 1024),
      fixed(result.heapPerConnection / 1024),
      fixed(result.cpuPerBroadcast),
      fixed(result.seconds, 0),
    ]);
  }
  ratios.push([
    transport,
    `${fixed(hub.allP50 / bare.allP50, 2)}×`,
    `${fixed(hub.allP99 / bare.allP99, 2)}×`,
    `${fixed(hub.rssPerConnection / bare.rssPerConnection, 2)}×`,
    `${fixed(hub.cpuPerBroadcast / bare.cpuPerBroadcast, 2)}×`,
  ]);
}

// deno-lint-ignore no-console
console.log(
  `\n${options.clients} idle subscribers, ${options.broadcasts} broadcasts, ` +
    `${options.rounds} round(s), loopback\n\n` +
    table([
      "transport",
      "server",
      "to all p50 ms",
      "to all p99 ms",
      "each p50 ms",
      "each p99 ms",
      "RSS KiB/conn",
      "heap KiB/conn",
      "CPU ms/bcast",
      "run s",
    ], rows) +
    "\n\nhub / bare (target: at most 1.10×)\n\n" +
    table(
      ["transport", "to all p50", "to all p99", "RSS/conn", "CPU/bcast"],
      ratios,
    ),
);
