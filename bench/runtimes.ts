// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
/**
 * Our server + hub against each runtime's usual choice, in one run:
 *
 *   nice deno run -A bench/runtimes.ts [--quick] [--only deno,node,bun]
 *     [--broadcasts N] [--parts echo,fanout,memory] [--rounds R]
 *     [--echo for-each|for-await] [--bun-fanout publish|loop]
 *
 * - Deno: deno_ours.ts (Deno.serve + acceptWebSocket + the hub) against
 *   deno_bare.ts (bare Deno.upgradeWebSocket).
 * - Node: ours.ts on `serve()` against node_ws.ts (npm `ws` 8.23).
 * - Bun: ours.ts on `serve()` against bun_native.ts (Bun.serve's websocket
 *   handlers and server.publish). Bun is tools/runtimes' pinned npm `bun`.
 *
 * Each side is its own process (bench/runtimes/*.ts; Node runs a bundle
 * made with `deno bundle`). Load comes from this process (the echo
 * clients, Deno's WebSocket) and from bench/_hub_fanout_client.ts (the
 * subscribers). Server CPU is user + system time from /proc/<pid>/stat and
 * RSS is VmRSS from /proc/<pid>/status, so nothing inside a server measures.
 *
 * Bun's side broadcasts with one `server.publish`, or, given `--bun-fanout
 * loop`, with a JavaScript loop of `send` over its subscribers.
 *
 * Our echo reads with `forEachMessage` (as `ws` and Bun call a listener),
 * or with `for await` given `--echo for-await`; both wait for `send()`.
 *
 * Per side: echo round trips per second and server CPU per round trip (32 B,
 * 1 KiB, 64 KiB; 1 and 50 clients; the two sides take turns, R rounds (3),
 * medians); fan-out of B broadcasts (20) to N WebSocket
 * subscribers, the two sides taking turns for R rounds (time from publish
 * to the last subscriber, p50 / p99 over all, and server CPU per broadcast,
 * the median round's); RSS per idle connection (M idle subscribers on
 * a fresh process, against its RSS before them). Tables print ratios
 * ours / theirs. A side that cannot run prints "not run: <reason>" and its
 * cells "n/a". --quick shrinks every count for a smoke test (its figures
 * mean nothing).
 */

import { createRequire } from "node:module";
import { BUN, denoBundle, ensureBun } from "./runtimes/_toolchain.ts";

const ROOT = new URL("../", import.meta.url);
const OUT = new URL(".out/bench-runtimes/", ROOT);
const CLK_TCK = 100;

const quick = Deno.args.includes("--quick");
const onlyIndex = Deno.args.indexOf("--only");
const only = onlyIndex === -1
  ? ["deno", "node", "bun"]
  : (Deno.args[onlyIndex + 1] ?? "").split(",");

const partsIndex = Deno.args.indexOf("--parts");
const parts = new Set(
  partsIndex === -1
    ? ["echo", "fanout", "memory"]
    : (Deno.args[partsIndex + 1] ?? "").split(","),
);

const echoIndex = Deno.args.indexOf("--echo");
const ECHO_STYLE = echoIndex === -1 ? "for-each" : Deno.args[echoIndex + 1];
if (ECHO_STYLE !== "for-each" && ECHO_STYLE !== "for-await") {
  throw new TypeError(`--echo takes for-each or for-await, not ${ECHO_STYLE}`);
}

const bunFanoutIndex = Deno.args.indexOf("--bun-fanout");
const BUN_FANOUT = bunFanoutIndex === -1
  ? "publish"
  : Deno.args[bunFanoutIndex + 1];
if (BUN_FANOUT !== "publish" && BUN_FANOUT !== "loop") {
  throw new TypeError(
    `--bun-fanout takes publish or loop, not ${BUN_FANOUT}`,
  );
}

const SIZES = [32, 1024, 65536];
const CLIENTS = quick ? [1, 2] : [1, 50];
const ECHO_MS = quick ? 100 : 2000;
const roundsIndex = Deno.args.indexOf("--rounds");
const ROUNDS = roundsIndex !== -1
  ? Number(Deno.args[roundsIndex + 1])
  : quick
  ? 1
  : 3;
const SUBSCRIBERS = quick ? 50 : 10_000;
const broadcastsIndex = Deno.args.indexOf("--broadcasts");
const BROADCASTS = broadcastsIndex !== -1
  ? Number(Deno.args[broadcastsIndex + 1])
  : quick
  ? 3
  : 20;
const IDLE = quick ? 50 : 5_000;

/** One server program of a runtime. */
interface Side {
  label: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** A running side. */
interface Running {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Results of one side; undefined cells were not measured. */
interface Measured {
  notRun?: string;
  echo: Map<string, { rate: number; cpuUs: number }>;
  fanout?: { p50: number; p99: number; cpuMs: number };
  idleKiB?: number;
}

function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK;
}

function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

async function start(side: Side): Promise<Running | string> {
  const child = new Deno.Command(side.command, {
    args: side.args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
    env: side.env ?? {},
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  const line = text.split("\n")[0]!.trim();
  const stop = async (): Promise<void> => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await lines.cancel().catch(() => {});
  };
  const ready = /^READY (\d+)$/.exec(line);
  if (ready === null) {
    await stop();
    return line.replace(/^UNAVAILABLE /, "") || "exited before READY";
  }
  return { pid: child.pid, port: Number(ready[1]), stop };
}

function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`Cannot open ${url}`));
  });
}

/** Round trips of `clients` echo loops of `size` bytes for ECHO_MS. */
async function echoCell(
  server: Running,
  size: number,
  clients: number,
): Promise<{ rate: number; cpuUs: number }> {
  const sockets = await Promise.all(
    Array.from(
      { length: clients },
      () => open(`ws://127.0.0.1:${server.port}/echo`),
    ),
  );
  const payload = new Uint8Array(size).fill(120);
  let trips = 0;
  let running = true;
  const loops = sockets.map((socket) =>
    new Promise<void>((resolve) => {
      socket.onmessage = () => {
        trips++;
        if (running) socket.send(payload);
        else resolve();
      };
      socket.send(payload);
    })
  );
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ECHO_MS));
  // A loaded machine may not finish one round trip in a --quick cell: wait
  // for one (at most 10 s more), so a rate is a rate and not 0 trips.
  for (let waited = 0; trips === 0 && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  running = false;
  const elapsed = performance.now() - t0;
  const cpu = cpuMs(server.pid) - cpu0;
  const counted = trips;
  await Promise.all(loops);
  for (const socket of sockets) socket.close();
  return { rate: counted / (elapsed / 1000), cpuUs: cpu * 1000 / counted };
}

interface ClientLine {
  type: string;
  k?: number;
  last?: number;
  message?: string;
}

/** Opens `count` subscribers through bench/_hub_fanout_client.ts. */
async function subscribers(port: number, count: number): Promise<{
  next(): Promise<ClientLine>;
  stop(): Promise<void>;
}> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/_hub_fanout_client.ts",
      String(port),
      String(count),
      "ws",
    ],
    cwd: ROOT,
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  const next = async (): Promise<ClientLine> => {
    for (;;) {
      const end = buffer.indexOf("\n");
      if (end !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        return JSON.parse(line);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the subscriber process ended");
      buffer += value;
    }
  };
  const ready = await next();
  if (ready.type !== "ready") {
    throw new Error(`subscribers failed: ${ready.message ?? ready.type}`);
  }
  return {
    next,
    async stop(): Promise<void> {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** A server with its fan-out subscribers open. */
interface Fanning {
  server: Running;
  subs: Awaited<ReturnType<typeof subscribers>>;
  /** The number of the last broadcast made. */
  k: number;
  lasts: number[];
  /** Server CPU ms per broadcast, one figure per round. */
  cpuMs: number[];
}

/**
 * Makes `count` broadcasts to `fanning`'s subscribers, one after another,
 * each once the last subscriber got the one before; records the time to
 * the last subscriber of each and the server's CPU per broadcast.
 */
async function broadcasts(fanning: Fanning, count: number): Promise<void> {
  const { server, subs } = fanning;
  const cpu0 = cpuMs(server.pid);
  for (let i = 0; i < count; i++) {
    const k = ++fanning.k;
    const response = await fetch(
      `http://127.0.0.1:${server.port}/_bench/broadcast?k=${k}`,
      { method: "POST" },
    );
    await response.body?.cancel();
    for (;;) {
      const line = await subs.next();
      if (line.type === "error") throw new Error(line.message);
      if (line.type === "done" && line.k === k) {
        fanning.lasts.push(line.last!);
        break;
      }
    }
  }
  fanning.cpuMs.push((cpuMs(server.pid) - cpu0) / count);
}

async function idle(side: Side): Promise<number> {
  const server = await start(side);
  if (typeof server === "string") throw new Error(server);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = rssKiB(server.pid);
    const subs = await subscribers(server.port, IDLE);
    await new Promise((resolve) => setTimeout(resolve, quick ? 300 : 2000));
    const after = rssKiB(server.pid);
    await subs.stop();
    return (after - before) / IDLE;
  } finally {
    await server.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Measures both sides of a runtime. The echo cells alternate between the
 * two servers, ROUNDS times each, and keep the medians, so a load that
 * comes and goes on a shared machine falls on both; so do the fan-out's
 * rounds (fanoutPair). The idle memory runs one side after the other, each
 * on a fresh process.
 */
async function measurePair(
  sides: readonly [Side, Side],
): Promise<[Measured, Measured]> {
  const results: [Measured, Measured] = [{ echo: new Map() }, {
    echo: new Map(),
  }];
  const servers = await Promise.all(sides.map(start));
  try {
    servers.forEach((server, i) => {
      if (typeof server === "string") results[i]!.notRun = server;
    });
    const samples = new Map<string, { rate: number; cpuUs: number }[][]>();
    for (let round = 0; parts.has("echo") && round < ROUNDS; round++) {
      for (const clients of CLIENTS) {
        for (const size of SIZES) {
          const key = `${size}x${clients}`;
          const cell = samples.get(key) ?? [[], []];
          samples.set(key, cell);
          // Alternate which side goes first from round to round.
          const order = round % 2 === 0 ? [0, 1] : [1, 0];
          for (const i of order) {
            const server = servers[i]!;
            if (typeof server === "string" || results[i]!.notRun) continue;
            try {
              cell[i]!.push(await echoCell(server, size, clients));
            } catch (error) {
              results[i]!.notRun = `failed: ${(error as Error).message}`;
            }
          }
        }
      }
    }
    for (const [key, cell] of samples) {
      cell.forEach((runs, i) => {
        if (runs.length === 0) return;
        results[i]!.echo.set(key, {
          rate: median(runs.map((run) => run.rate)),
          cpuUs: median(runs.map((run) => run.cpuUs)),
        });
      });
    }
  } finally {
    await Promise.all(
      servers.map((server) =>
        typeof server === "string" ? undefined : server.stop()
      ),
    );
  }
  if (parts.has("fanout")) await fanoutPair(sides, results);
  for (const [i, side] of sides.entries()) {
    const result = results[i]!;
    if (!parts.has("memory") || result.notRun) continue;
    try {
      result.idleKiB = await idle(side);
    } catch (error) {
      result.notRun = `failed: ${(error as Error).message}`;
    }
  }
  return results;
}

/**
 * The fan-out of both sides: each a fresh process with SUBSCRIBERS open, the
 * two taking turns, ROUNDS rounds of BROADCASTS broadcasts each. Latencies
 * are pooled over the rounds; the CPU per broadcast is the median round's.
 */
async function fanoutPair(
  sides: readonly [Side, Side],
  results: [Measured, Measured],
): Promise<void> {
  const fannings: (Fanning | undefined)[] = [];
  try {
    for (const [i, side] of sides.entries()) {
      if (results[i]!.notRun) continue;
      const server = await start(side);
      if (typeof server === "string") {
        results[i]!.notRun = server;
        continue;
      }
      try {
        const subs = await subscribers(server.port, SUBSCRIBERS);
        fannings[i] = { server, subs, k: 0, lasts: [], cpuMs: [] };
      } catch (error) {
        results[i]!.notRun = `failed: ${(error as Error).message}`;
        await server.stop();
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const fanning = fannings[i];
        if (fanning === undefined || results[i]!.notRun) continue;
        try {
          await broadcasts(fanning, BROADCASTS);
        } catch (error) {
          results[i]!.notRun = `failed: ${(error as Error).message}`;
        }
      }
    }
    fannings.forEach((fanning, i) => {
      if (fanning === undefined || results[i]!.notRun) return;
      results[i]!.fanout = {
        p50: percentile(fanning.lasts, 0.5),
        p99: percentile(fanning.lasts, 0.99),
        cpuMs: median(fanning.cpuMs),
      };
    });
  } finally {
    for (const fanning of fannings) {
      if (fanning === undefined) continue;
      await fanning.subs.stop();
      await fanning.server.stop();
    }
  }
}

function format(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return value >= 100
    ? Math.round(value).toLocaleString("en-US")
    : value.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return "n/a";
  return `${(a / b).toFixed(2)}x`;
}

function sizeName(size: number): string {
  return size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

/** Prints one runtime's table (Markdown), ours against theirs. */
function table(
  runtime: string,
  ours: Side,
  theirs: Side,
  a: Measured,
  b: Measured,
): void {
  console.log(`\n## ${runtime}: ${ours.label} vs ${theirs.label}\n`);
  for (const [side, m] of [[ours, a], [theirs, b]] as const) {
    if (m.notRun) console.log(`not run: ${side.label}: ${m.notRun}\n`);
  }
  console.log(`| measure | ours | theirs | ours / theirs |`);
  console.log(`| --- | --- | --- | --- |`);
  const row = (name: string, x?: number, y?: number, digits = 1): void =>
    console.log(
      `| ${name} | ${format(x, digits)} | ${format(y, digits)} | ${
        ratio(x, y)
      } |`,
    );
  for (const clients of CLIENTS) {
    for (const size of SIZES) {
      const key = `${size}x${clients}`;
      const x = a.echo.get(key), y = b.echo.get(key);
      const cell = `${sizeName(size)}, ${clients} client${
        clients > 1 ? "s" : ""
      }`;
      row(`echo round trips/s, ${cell}`, x?.rate, y?.rate);
      row(`server CPU µs per round trip, ${cell}`, x?.cpuUs, y?.cpuUs);
    }
  }
  const fan = `${SUBSCRIBERS.toLocaleString("en-US")} subscribers`;
  row(`fan-out to ${fan}: time to all p50 ms`, a.fanout?.p50, b.fanout?.p50);
  row(`fan-out to ${fan}: time to all p99 ms`, a.fanout?.p99, b.fanout?.p99);
  row(
    `fan-out to ${fan}: server CPU ms per broadcast`,
    a.fanout?.cpuMs,
    b.fanout?.cpuMs,
  );
  row(
    `RSS KiB per idle connection (${IDLE.toLocaleString("en-US")})`,
    a.idleKiB,
    b.idleKiB,
  );
}

/** Bundles a side for Node 20, which cannot run TypeScript. */
async function bundleForNode(file: string): Promise<string> {
  await Deno.mkdir(OUT, { recursive: true });
  const output = new URL(file.replace(/\.ts$/, ".mjs"), OUT).pathname;
  await denoBundle(`bench/runtimes/${file}`, output);
  return output;
}

const deno = Deno.execPath();
const denoArgs = (file: string): string[] => [
  "run",
  "-A",
  `bench/runtimes/${file}`,
];

console.log(
  `bench/runtimes.ts${quick ? " --quick" : ""}: echo (${ECHO_STYLE}) ` +
    `${ECHO_MS} ms per cell ` +
    `x ${ROUNDS} rounds (medians), ` +
    `${SUBSCRIBERS} subscribers x ${BROADCASTS} broadcasts, ${IDLE} idle`,
);

if (only.includes("deno")) {
  const ours = {
    label: "Deno.serve + hub",
    command: deno,
    args: denoArgs("deno_ours.ts"),
    env: { ECHO: ECHO_STYLE },
  };
  const theirs = {
    label: "bare Deno.upgradeWebSocket",
    command: deno,
    args: denoArgs("deno_bare.ts"),
  };
  table(
    `Deno ${Deno.version.deno}`,
    ours,
    theirs,
    ...await measurePair([ours, theirs]),
  );
}

if (only.includes("node")) {
  const wsPath = createRequire(import.meta.url).resolve("ws");
  const oursFile = await bundleForNode("ours.ts");
  const wsFile = await bundleForNode("node_ws.ts");
  const version = new TextDecoder().decode(
    (await new Deno.Command("node", { args: ["--version"] }).output()).stdout,
  ).trim();
  const ours = {
    label: "serve() + hub",
    command: "node",
    args: [oursFile],
    env: { ECHO: ECHO_STYLE },
  };
  const theirs = {
    label: "ws 8.23",
    command: "node",
    args: [wsFile],
    env: { WS_PATH: wsPath },
  };
  table(
    `Node ${version}`,
    ours,
    theirs,
    ...await measurePair([ours, theirs]),
  );
}

if (only.includes("bun")) {
  await ensureBun();
  const version = new TextDecoder().decode(
    (await new Deno.Command(BUN, { args: ["--version"] }).output()).stdout,
  ).trim();
  const ours = {
    label: "serve() + hub",
    command: BUN,
    args: ["bench/runtimes/ours.ts"],
    env: { ECHO: ECHO_STYLE },
  };
  const theirs = {
    label: BUN_FANOUT === "loop"
      ? "Bun.serve websocket + a send loop"
      : "Bun.serve websocket + publish",
    command: BUN,
    args: ["bench/runtimes/bun_native.ts"],
    env: { BUN_FANOUT },
  };
  table(
    `Bun ${version}`,
    ours,
    theirs,
    ...await measurePair([ours, theirs]),
  );
}
