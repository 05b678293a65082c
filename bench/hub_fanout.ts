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

import { lines } from "./_lines.ts";

interface Options {
  clients: number;
  transports: ("sse" | "ws")[];
  broadcasts: number;
  rounds: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    clients: 10_000,
    transports: ["sse", "ws"],
    broadcasts: 100,
    rounds: 1,
  };
  for (let i = 0; i < args.length; i++) {
    const name = args[i];
    const value = args[i + 1];
    if (name === "--clients" && Number(value) > 0) {
      options.clients = Math.floor(Number(value));
    } else if (name === "--rounds" && Number(value) > 0) {
      options.rounds = Math.floor(Number(value));
    } else if (name === "--broadcasts" && Number(value) > 0) {
      options.broadcasts = Math.floor(Number(value));
    } else if (name === "--transport" && (value === "sse" || value === "ws")) {
      options.transports = [value];
    } else {
      throw new TypeError(
        `Cannot parse arguments: ${JSON.stringify(name)} ${
          JSON.stringify(value)
        }; expected --clients N, --transport sse|ws, --broadcasts N, --rounds N`,
      );
    }
    i++;
  }
  return options;
}

function spawn(file: string, args: string[], v8 = false): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(v8 ? ["--v8-flags=--expose-gc"] : []),
      new URL(file, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
}

function percentile(sorted: Float64Array | number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

interface Result {
  allP50: number;
  allP99: number;
  oneP50: number;
  oneP99: number;
  rssPerConnection: number;
  heapPerConnection: number;
  cpuPerBroadcast: number;
  seconds: number;
}

async function memory(port: number): Promise<
  { rss: number; heapUsed: number; subscribers: number; cpu: number }
> {
  const response = await fetch(`http://127.0.0.1:${port}/_bench/memory`);
  return await response.json();
}

async function run(
  impl: "hub" | "bare",
  transport: "sse" | "ws",
  options: Options,
): Promise<Result> {
  const started = performance.now();
  const server = spawn("./_hub_fanout_server.ts", [impl, transport], true);
  const serverLines = lines(server.stdout);
  let port = 0;
  for await (const line of serverLines) {
    if (line.startsWith("READY ")) {
      port = Number(line.slice(6));
      break;
    }
  }
  if (port === 0) throw new Error("Cannot start bench server");
  let client: Deno.ChildProcess | undefined;
  try {
    // Let the server settle before the baseline reading.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await memory(port);
    client = spawn("./_hub_fanout_client.ts", [
      String(port),
      String(options.clients),
      transport,
    ]);
    const clientLines = lines(client.stdout);
    const next = async (): Promise<Record<string, unknown>> => {
      const { value, done } = await clientLines.next();
      if (done) throw new Error("Cannot read client: it exited");
      const message = JSON.parse(value);
      if (message.type === "error") {
        throw new Error(`Client failed: ${message.message}`);
      }
      return message;
    };
    const ready = await next();
    if (ready.type !== "ready") throw new Error(`Unexpected ${ready.type}`);
    // The server may see the last connections a moment after the client.
    let idle = await memory(port);
    while (idle.subscribers < options.clients) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      idle = await memory(port);
    }

    const toAll: number[] = [];
    const deliveries = new Float64Array(options.clients * options.broadcasts);
    let filled = 0;
    for (let k = 1; k <= options.broadcasts; k++) {
      const response = await fetch(
        `http://127.0.0.1:${port}/_bench/broadcast?k=${k}`,
        { method: "POST" },
      );
      await response.body?.cancel();
      const done = await next();
      if (done.type !== "done" || done.k !== k) {
        throw new Error(`Unexpected ${JSON.stringify(done).slice(0, 80)}`);
      }
      toAll.push(done.last as number);
      for (const latency of done.deliveries as number[]) {
        deliveries[filled++] = latency;
      }
    }
    const end = await memory(port);
    toAll.sort((a, b) => a - b);
    deliveries.sort();
    return {
      allP50: percentile(toAll, 0.5),
      allP99: percentile(toAll, 0.99),
      oneP50: percentile(deliveries, 0.5),
      oneP99: percentile(deliveries, 0.99),
      rssPerConnection: (idle.rss - before.rss) / options.clients,
      heapPerConnection: (idle.heapUsed - before.heapUsed) / options.clients,
      cpuPerBroadcast: (end.cpu - idle.cpu) / options.broadcasts,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    client?.kill("SIGTERM");
    await client?.status;
    server.kill("SIGTERM");
    await server.status;
  }
}

function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

const options = parseArgs(Deno.args);
const rows: string[][] = [];
const ratios: string[][] = [];
/** The median of each figure over several runs. */
function median(results: Result[]): Result {
  const pick = (key: keyof Result): number => {
    const values = results.map((r) => r[key]).sort((a, b) => a - b);
    return values[Math.floor((values.length - 1) / 2)]!;
  };
  return {
    allP50: pick("allP50"),
    allP99: pick("allP99"),
    oneP50: pick("oneP50"),
    oneP99: pick("oneP99"),
    rssPerConnection: pick("rssPerConnection"),
    heapPerConnection: pick("heapPerConnection"),
    cpuPerBroadcast: pick("cpuPerBroadcast"),
    seconds: pick("seconds"),
  };
}

for (const transport of options.transports) {
  const bareRuns: Result[] = [];
  const hubRuns: Result[] = [];
  for (let round = 0; round < options.rounds; round++) {
    bareRuns.push(await run("bare", transport, options));
    hubRuns.push(await run("hub", transport, options));
  }
  const bare = median(bareRuns);
  const hub = median(hubRuns);
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

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((row) => row[i]!.length))
  );
  const line = (cells: string[]): string =>
    `| ${
      cells.map((cell, i) =>
        i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
      ).join(" | ")
    } |`;
  const rule = `|${
    widths.map((w, i) =>
      i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`
    ).join("|")
  }|`;
  return [line(head), rule, ...body.map(line)].join("\n");
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
