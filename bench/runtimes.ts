// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
/**
 * Our server + hub against each runtime's usual choice, in one run:
 *
 *   nice deno run -A bench/runtimes.ts [--quick] [--only deno,node,bun]
 *     [--parts echo,fanout,memory] [--rounds R] [--pairs P] [--slice S]
 *     [--broadcasts B]
 *     [--echo for-each|for-await] [--bun-fanout publish|loop] [--self]
 *     [--ratios FILE]
 *
 * - Deno: deno_ours.ts (Deno.serve + acceptWebSocket + the hub) against
 *   deno_bare.ts (bare Deno.upgradeWebSocket).
 * - Node: ours.ts on `serve()` against node_ws.ts (npm `ws` 8.23).
 * - Bun: ours.ts on `serve()` against bun_native.ts (Bun.serve's websocket
 *   handlers and server.publish). Bun is tools/runtimes' pinned npm `bun`.
 *
 * Each side is its own process (bench/runtimes/*.ts; Node runs a bundle
 * made with `deno bundle`). Load comes from this process (the echo
 * clients, WebSockets on raw TCP without Nagle's algorithm: see
 * runtimes/_echo_client.ts) and from bench/_hub_fanout_client.ts (the
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
 * 1 KiB, 64 KiB; 1 and 50 clients); fan-out of broadcasts to N WebSocket
 * subscribers (time from publish to the last subscriber, p50 / p99 over
 * all, and server CPU per broadcast); RSS per idle connection (M idle
 * subscribers on a fresh process, against its RSS before them).
 *
 * Speed is measured in pairs of turns: both servers up, their clients
 * connected, the load goes to one and then the other in short turns (an
 * echo cell: P pairs (6) of S ms (300) per side; the fan-out: P pairs of B
 * broadcasts (4) per side), the side going first alternating. A pair's
 * ratio compares two turns a moment apart, so a load that comes and goes
 * on a shared machine falls on both. Each echo pair runs on a fresh set of
 * client connections per server, since a set of connections has a state
 * of its own too. This runs in R rounds (4), each on fresh server
 * processes (the one started first alternating): a process has states of
 * its own that last as long as it does (where its buffers landed, which
 * core it shares), worth 20% in a 64 KiB cell between two copies of the
 * same server. The ratio printed is
 * the median of the R x P pairs' ratios, beside their middle half (the
 * 25th to 75th percentile) and the median's 95% confidence interval (see
 * runtimes/_pairs.ts). `--self` runs our server against a second copy of
 * itself: its ratios show what the method cannot tell apart. `--ratios
 * FILE` appends each runtime's pairs to FILE as a JSON line, for
 * bench/runtimes_pool.ts to judge the targets on the pairs of many runs.
 *
 * Each runtime's table ends with its targets (#15), met or not, from those
 * ratios. Tables print ratios ours / theirs. A side that cannot run prints
 * "not run: <reason>" and its cells "n/a". --quick shrinks every count for
 * a smoke test (its figures mean nothing).
 */

import { BUN, denoBundle, ensureBun } from "./runtimes/_toolchain.ts";
import { npmPackageMain } from "./_npm_package.ts";
import {
  interval,
  median,
  middleHalf,
  type Paired,
  paired,
  quantile,
  type RatiosRecord,
  targetLines,
  TARGETS,
} from "./runtimes/_pairs.ts";
import { EchoClient, type EchoState } from "./runtimes/_echo_client.ts";

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

/** The number after `name`, or `fallback`. */
function numberArg(name: string, fallback: number): number {
  const index = Deno.args.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(Deno.args[index + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} takes a whole number above 0`);
  }
  return value;
}
/** Rounds of fresh server processes, for the echo and for the fan-out. */
const ROUNDS = numberArg("--rounds", quick ? 1 : 4);
/** Pairs of turns per echo cell and for the fan-out, in each round. */
const PAIRS = numberArg("--pairs", quick ? 2 : 6);
/** One echo turn, ms. */
const SLICE_MS = numberArg("--slice", quick ? 50 : 300);
/** Broadcasts per fan-out turn. */
const BROADCASTS = numberArg("--broadcasts", quick ? 2 : 4);
const SUBSCRIBERS = quick ? 50 : 10_000;
const IDLE = quick ? 50 : 5_000;
/** `--self`: ours against a second copy of ours. */
const SELF = Deno.args.includes("--self");
/** `--ratios FILE`: each runtime's pairs' ratios, appended as a JSON line. */
const ratiosIndex = Deno.args.indexOf("--ratios");
const RATIOS_FILE = ratiosIndex === -1 ? undefined : Deno.args[ratiosIndex + 1];
if (ratiosIndex !== -1 && !RATIOS_FILE) {
  throw new TypeError("--ratios takes a file name");
}
const STARTED = new Date().toISOString();

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

/** The pairs' ratios of a runtime, ours / theirs, by echo cell and "fanout". */
type PairedRatios = Map<string, number[]>;

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

/** One echo turn: round trips, its length and the server's CPU. */
interface Turn {
  trips: number;
  ms: number;
  cpuMs: number;
}

/**
 * Runs every client's echo loop (each sends its next message when the echo
 * of the last one arrives) for `ms`, then lets the loops end.
 */
async function echoTurn(
  server: Running,
  clients: EchoClient[],
  ms: number,
): Promise<Turn> {
  const state: EchoState = { running: true, trips: 0 };
  const loops = clients.map((client) => client.run(state));
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  // A loaded machine may not finish one round trip in a --quick turn: wait
  // for one (at most 10 s more), so a rate is a rate and not 0 trips.
  for (let waited = 0; state.trips === 0 && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  state.running = false;
  const turn = {
    trips: state.trips,
    ms: performance.now() - t0,
    cpuMs: cpuMs(server.pid) - cpu0,
  };
  await Promise.all(loops);
  return turn;
}

/** What an echo cell gathers over the rounds. */
interface EchoCell {
  /** Per side, over all its turns. */
  totals: Turn[];
  /** Each pair's ratio of rates, ours / theirs. */
  ratios: number[];
}

/**
 * One round of an echo cell on both servers: PAIRS pairs of SLICE_MS
 * turns, the side going first alternating from pair to pair, after one
 * unmeasured turn each. Each pair runs on `clients` fresh echo clients per
 * server: a set of connections has a state of its own (at 64 KiB x 50 one
 * process of a server read 49-76 µs of CPU per round trip from one set to
 * the next), so a new set per pair samples it PAIRS times a round.
 */
async function echoRound(
  servers: readonly [Running, Running],
  size: number,
  clients: number,
  cell: EchoCell,
): Promise<void> {
  await withEchoes(servers, size, clients, async (echoes) => {
    for (const i of [0, 1]) {
      await echoTurn(servers[i]!, echoes[i]!, SLICE_MS);
    }
  });
  for (let pair = 0; pair < PAIRS; pair++) {
    await withEchoes(servers, size, clients, async (echoes) => {
      const rates: number[] = [];
      for (const i of pair % 2 === 0 ? [0, 1] : [1, 0]) {
        const turn = await echoTurn(servers[i]!, echoes[i]!, SLICE_MS);
        const total = cell.totals[i]!;
        total.trips += turn.trips;
        total.ms += turn.ms;
        total.cpuMs += turn.cpuMs;
        rates[i] = turn.trips / turn.ms;
      }
      cell.ratios.push(rates[0]! / rates[1]!);
    });
  }
}

/** Runs `use` with `clients` echo clients open on each server. */
async function withEchoes(
  servers: readonly [Running, Running],
  size: number,
  clients: number,
  use: (echoes: EchoClient[][]) => Promise<void>,
): Promise<void> {
  const echoes = await Promise.all(servers.map((server) =>
    Promise.all(
      Array.from({ length: clients }, () => EchoClient.open(server.port, size)),
    )
  ));
  try {
    await use(echoes);
  } finally {
    for (const client of echoes.flat()) client.close();
  }
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

/** A server with its fan-out subscribers open. */
interface Fanning {
  server: Running;
  subs: Awaited<ReturnType<typeof subscribers>>;
  /** The number of the last broadcast made. */
  k: number;
  lasts: number[];
  /** Server CPU ms per broadcast, one figure per turn. */
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

/**
 * Starts both sides, one after the other, the first of them `first`; a
 * side that cannot start is a string saying why.
 */
async function startBoth(
  sides: readonly [Side, Side],
  first: number,
): Promise<(Running | string)[]> {
  const servers: (Running | string)[] = [];
  for (const i of [first, 1 - first]) servers[i] = await start(sides[i]!);
  return servers;
}

/**
 * Measures both sides of a runtime: the echo cells and the fan-out in
 * ROUNDS rounds of fresh processes, each round pairs of turns (see the
 * file comment); then the idle memory, one side after the other, each on
 * a fresh process.
 */
async function measurePair(
  sides: readonly [Side, Side],
): Promise<[Measured, Measured, PairedRatios]> {
  const results: [Measured, Measured] = [{ echo: new Map() }, {
    echo: new Map(),
  }];
  const ratios: PairedRatios = new Map();
  const cells = new Map<string, EchoCell>();
  for (let round = 0; parts.has("echo") && round < ROUNDS; round++) {
    const servers = await startBoth(sides, round % 2);
    try {
      servers.forEach((server, i) => {
        if (typeof server === "string") results[i]!.notRun = server;
      });
      for (const clients of CLIENTS) {
        for (const size of SIZES) {
          if (results[0].notRun || results[1].notRun) break;
          const key = `${size}x${clients}`;
          let cell = cells.get(key);
          if (cell === undefined) {
            cell = {
              totals: [0, 1].map(() => ({ trips: 0, ms: 0, cpuMs: 0 })),
              ratios: [],
            };
            cells.set(key, cell);
          }
          try {
            await echoRound(servers as [Running, Running], size, clients, cell);
          } catch (error) {
            // Which side failed shows in its own error (stderr inherited).
            for (const result of results) {
              result.notRun = `failed: ${(error as Error).message}`;
            }
          }
        }
      }
    } finally {
      await Promise.all(
        servers.map((server) =>
          typeof server === "string" ? undefined : server.stop()
        ),
      );
    }
  }
  if (!results[0].notRun && !results[1].notRun) {
    for (const [key, cell] of cells) {
      cell.totals.forEach((total, i) => {
        results[i]!.echo.set(key, {
          rate: total.trips / (total.ms / 1000),
          cpuUs: total.cpuMs * 1000 / total.trips,
        });
      });
      ratios.set(key, cell.ratios);
    }
  }
  if (parts.has("fanout")) await fanoutPair(sides, results, ratios);
  for (const [i, side] of sides.entries()) {
    const result = results[i]!;
    if (!parts.has("memory") || result.notRun) continue;
    try {
      result.idleKiB = await idle(side);
    } catch (error) {
      result.notRun = `failed: ${(error as Error).message}`;
    }
  }
  return [...results, ratios];
}

/**
 * The fan-out of both sides: ROUNDS rounds, each with both sides fresh
 * processes with SUBSCRIBERS open at once (the first started alternating),
 * one unmeasured broadcast each, then PAIRS pairs of turns of BROADCASTS
 * broadcasts, the side going first alternating. Latencies are pooled over
 * the turns; the CPU per broadcast is the median turn's, and its ratio
 * paired.
 */
async function fanoutPair(
  sides: readonly [Side, Side],
  results: [Measured, Measured],
  ratios: PairedRatios,
): Promise<void> {
  const lasts: number[][] = [[], []];
  const cpus: number[][] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    if (results[0].notRun || results[1].notRun) return;
    const fannings: Fanning[] = [];
    try {
      for (const i of [round % 2, 1 - round % 2]) {
        const server = await start(sides[i]!);
        if (typeof server === "string") {
          results[i]!.notRun = server;
          return;
        }
        try {
          const subs = await subscribers(server.port, SUBSCRIBERS);
          fannings[i] = { server, subs, k: 0, lasts: [], cpuMs: [] };
        } catch (error) {
          await server.stop();
          throw error;
        }
      }
      for (const i of [0, 1]) await broadcasts(fannings[i]!, 1);
      for (let pair = 0; pair < PAIRS; pair++) {
        for (const i of pair % 2 === 0 ? [0, 1] : [1, 0]) {
          const fanning = fannings[i]!;
          fanning.lasts.length = fanning.cpuMs.length = 0;
          await broadcasts(fanning, BROADCASTS);
          lasts[i]!.push(...fanning.lasts);
          cpus[i]!.push(fanning.cpuMs[0]!);
        }
      }
    } catch (error) {
      // Which side failed shows in its own error (stderr inherited).
      for (const result of results) {
        result.notRun = `failed: ${(error as Error).message}`;
      }
      return;
    } finally {
      for (const fanning of fannings) {
        if (fanning === undefined) continue;
        await fanning.subs.stop();
        await fanning.server.stop();
      }
    }
  }
  [0, 1].forEach((i) => {
    results[i]!.fanout = {
      p50: quantile(lasts[i]!, 0.5),
      p99: quantile(lasts[i]!, 0.99),
      cpuMs: median(cpus[i]!),
    };
  });
  ratios.set("fanout", cpus[0]!.map((ours, pair) => ours / cpus[1]![pair]!));
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

/**
 * Prints one runtime's table (Markdown), ours against theirs, and then its
 * targets, each met or not.
 */
function table(
  runtime: keyof typeof TARGETS,
  title: string,
  ours: Side,
  theirs: Side,
  [a, b, ratios]: [Measured, Measured, PairedRatios],
): void {
  console.log(`\n## ${title}: ${ours.label} vs ${theirs.label}\n`);
  for (const [side, m] of [[ours, a], [theirs, b]] as const) {
    if (m.notRun) console.log(`not run: ${side.label}: ${m.notRun}\n`);
  }
  console.log(
    `| measure | ours | theirs | ours / theirs | middle half | 95% CI of the median |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- |`);
  const row = (
    name: string,
    x?: number,
    y?: number,
    pair?: Paired,
  ): void =>
    console.log(
      `| ${name} | ${format(x)} | ${format(y)} | ${
        pair === undefined ? ratio(x, y) : `${pair.median.toFixed(2)}x`
      } | ${middleHalf(pair)} | ${interval(pair)} |`,
    );
  const echoes: [string, Paired][] = [];
  const record: RatiosRecord = {
    runtime,
    title,
    self: SELF,
    at: STARTED,
    echo: {},
  };
  for (const clients of CLIENTS) {
    for (const size of SIZES) {
      const key = `${size}x${clients}`;
      const x = a.echo.get(key), y = b.echo.get(key);
      const cell = `${sizeName(size)}, ${clients} client${
        clients > 1 ? "s" : ""
      }`;
      const cellRatios = ratios.get(key);
      const pair = cellRatios === undefined ? undefined : paired(cellRatios);
      if (pair !== undefined) {
        echoes.push([cell, pair]);
        record.echo[cell] = cellRatios!;
      }
      row(`echo round trips/s, ${cell}`, x?.rate, y?.rate, pair);
      row(`server CPU µs per round trip, ${cell}`, x?.cpuUs, y?.cpuUs);
    }
  }
  const fanoutRatios = ratios.get("fanout");
  const fanout = fanoutRatios === undefined ? undefined : paired(fanoutRatios);
  if (fanout !== undefined) record.fanout = fanoutRatios!;
  const fan = `${SUBSCRIBERS.toLocaleString("en-US")} subscribers`;
  row(`fan-out to ${fan}: time to all p50 ms`, a.fanout?.p50, b.fanout?.p50);
  row(`fan-out to ${fan}: time to all p99 ms`, a.fanout?.p99, b.fanout?.p99);
  row(
    `fan-out to ${fan}: server CPU ms per broadcast`,
    a.fanout?.cpuMs,
    b.fanout?.cpuMs,
    fanout,
  );
  row(
    `RSS KiB per idle connection (${IDLE.toLocaleString("en-US")})`,
    a.idleKiB,
    b.idleKiB,
  );
  const rss = a.idleKiB !== undefined && b.idleKiB !== undefined
    ? a.idleKiB / b.idleKiB
    : undefined;
  if (rss !== undefined) record.rss = rss;

  console.log("");
  for (const line of targetLines(TARGETS[runtime], echoes, fanout, rss)) {
    console.log(line);
  }
  if (RATIOS_FILE !== undefined) {
    Deno.writeTextFileSync(RATIOS_FILE, JSON.stringify(record) + "\n", {
      append: true,
    });
  }
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
    `${ROUNDS} rounds of ${PAIRS} pairs of ${SLICE_MS} ms turns per cell; ` +
    `${SUBSCRIBERS} subscribers, ${ROUNDS} rounds of ${PAIRS} pairs of ` +
    `${BROADCASTS} broadcasts; ` +
    `${IDLE} idle${SELF ? "; --self: ours against a second copy of ours" : ""}`,
);

/** `theirs`, or with `--self` a second copy of `ours`. */
function against(ours: Side, theirs: Side): Side {
  return SELF ? { ...ours, label: "a second copy of ours" } : theirs;
}

if (only.includes("deno")) {
  const ours = {
    label: "Deno.serve + hub",
    command: deno,
    args: denoArgs("deno_ours.ts"),
    env: { ECHO: ECHO_STYLE },
  };
  const theirs = against(ours, {
    label: "bare Deno.upgradeWebSocket",
    command: deno,
    args: denoArgs("deno_bare.ts"),
  });
  table(
    "deno",
    `Deno ${Deno.version.deno}`,
    ours,
    theirs,
    await measurePair([ours, theirs]),
  );
}

if (only.includes("node")) {
  const wsPath = await npmPackageMain("ws");
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
  const theirs = against(ours, {
    label: "ws 8.23",
    command: "node",
    args: [wsFile],
    env: { WS_PATH: wsPath },
  });
  table(
    "node",
    `Node ${version}`,
    ours,
    theirs,
    await measurePair([ours, theirs]),
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
  const theirs = against(ours, {
    label: BUN_FANOUT === "loop"
      ? "Bun.serve websocket + a send loop"
      : "Bun.serve websocket + publish",
    command: BUN,
    args: ["bench/runtimes/bun_native.ts"],
    env: { BUN_FANOUT },
  });
  table(
    "bun",
    `Bun ${version}`,
    ours,
    theirs,
    await measurePair([ours, theirs]),
  );
}
