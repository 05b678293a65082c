// Copyright 2026 the serverpush authors. MIT license.
// What an open inspector costs the hub's fan-out: the hub's handler with
// nobody watching its inspector ("closed") against the same with a viewer
// reading the inspector's feed all along ("open"), side by side in one run.
//
//   deno run -A bench/inspector_overhead.ts [--clients 2000]
//       [--transport sse|ws] [--broadcasts 100] [--rounds 3]
//       [--interval-ms 1000]
//
// Each run is bench/hub_fanout.ts's: a fresh server process
// (bench/_hub_fanout_server.ts, "hub" or "inspected") and client process,
// N idle subscribers on loopback, broadcasts one at a time. Closed and open
// alternate, --rounds times each, and the table shows the median of each
// figure; the ratios are open / closed (target: within 5%, at most 1.05×).
// The server CPU per broadcast is the steadiest figure on a shared
// machine; latencies move with other load.

import { alternate, fixed, parseFanoutArgs } from "./_fanout_run.ts";
import { table } from "./_table.ts";

const options = parseFanoutArgs(Deno.args, {
  clients: 2000,
  transports: ["sse", "ws"],
  broadcasts: 100,
  rounds: 3,
  intervalMs: 1000,
});
Deno.env.set("INSPECTOR_INTERVAL_MS", String(options.intervalMs));
const rows: string[][] = [];
const ratios: string[][] = [];
for (const transport of options.transports) {
  const [closed, open] = await alternate(
    "hub",
    "inspected",
    transport,
    options,
  );
  for (const [name, result] of [["closed", closed], ["open", open]] as const) {
    rows.push([
      transport,
      name,
      fixed(result.allP50),
      fixed(result.allP99),
      fixed(result.oneP50),
      fixed(result.oneP99),
      fixed(result.cpuPerBroadcast, 2),
    ]);
  }
  ratios.push([
    transport,
    `${fixed(open.cpuPerBroadcast / closed.cpuPerBroadcast, 3)}×`,
    `${fixed(open.allP50 / closed.allP50, 3)}×`,
    `${fixed(open.allP99 / closed.allP99, 3)}×`,
  ]);
}

// deno-lint-ignore no-console
console.log(
  `\n${options.clients} idle subscribers, ${options.broadcasts} broadcasts, ` +
    `${options.rounds} round(s), inspector snapshot every ${options.intervalMs} ms, loopback\n\n` +
    table([
      "transport",
      "inspector",
      "to all p50 ms",
      "to all p99 ms",
      "each p50 ms",
      "each p99 ms",
      "CPU ms/bcast",
    ], rows) +
    "\n\nopen / closed (target: at most 1.05×)\n\n" +
    table(["transport", "CPU/bcast", "to all p50", "to all p99"], ratios),
);
