// Copyright 2026 the serverpush authors. MIT license.
// Private to bench/: one fan-out run of bench/hub_fanout.ts and
// bench/inspector_overhead.ts (a server process and a client process, N
// subscribers, broadcasts one at a time), and the table printer.

import { lines } from "./_lines.ts";

/** What a run needs to know. */
export interface FanoutOptions {
  clients: number;
  broadcasts: number;
}

/** The command line of a fan-out bench. */
export interface FanoutArgs {
  clients: number;
  transports: ("sse" | "ws")[];
  broadcasts: number;
  rounds: number;
  /** Milliseconds between inspector snapshots (`--interval-ms`; read by bench/inspector_overhead.ts only). */
  intervalMs: number;
}

/**
 * Reads `--clients N`, `--transport sse|ws`, `--broadcasts N`,
 * `--rounds N` and `--interval-ms N` over `defaults`.
 */
export function parseFanoutArgs(
  args: string[],
  defaults: FanoutArgs,
): FanoutArgs {
  const options: FanoutArgs = { ...defaults };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i];
    const value = args[i + 1];
    const number = Math.floor(Number(value));
    if (name === "--clients" && number > 0) options.clients = number;
    else if (name === "--broadcasts" && number > 0) options.broadcasts = number;
    else if (name === "--rounds" && number > 0) options.rounds = number;
    else if (name === "--interval-ms" && number > 0) {
      options.intervalMs = number;
    } else if (name === "--transport" && (value === "sse" || value === "ws")) {
      options.transports = [value];
    } else {
      throw new TypeError(
        `Cannot parse arguments: ${JSON.stringify(name)} ${
          JSON.stringify(value)
        }; expected --clients N, --transport sse|ws, --broadcasts N, --rounds N, --interval-ms N`,
      );
    }
  }
  return options;
}

/** The servers of bench/_hub_fanout_server.ts. */
export type FanoutServer = "hub" | "bare" | "inspected";

export function spawn(
  file: string,
  args: string[],
  v8 = false,
): Deno.ChildProcess {
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

export function percentile(sorted: Float64Array | number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export interface Result {
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

export async function run(
  impl: FanoutServer,
  transport: "sse" | "ws",
  options: FanoutOptions,
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

export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/**
 * Runs the servers `a` and `b` alternately, `rounds` times each, and
 * returns the median of each figure for each.
 */
export async function alternate(
  a: FanoutServer,
  b: FanoutServer,
  transport: "sse" | "ws",
  options: FanoutOptions & { rounds: number },
): Promise<[Result, Result]> {
  const aRuns: Result[] = [];
  const bRuns: Result[] = [];
  for (let round = 0; round < options.rounds; round++) {
    aRuns.push(await run(a, transport, options));
    bRuns.push(await run(b, transport, options));
  }
  return [median(aRuns), median(bRuns)];
}

/** The median of each figure over several runs. */
export function median(results: Result[]): Result {
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
