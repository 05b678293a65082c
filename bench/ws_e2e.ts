// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console

/**
 * End-to-end WebSocket echo benchmark over loopback:
 *
 * ```sh
 * deno run -A bench/ws_e2e.ts [--duration 2000] [--warmup 300] \
 *   [--only codec,ws] [--sizes 32,1024] [--clients 50] [--rounds 3]
 * ```
 *
 * Each server runs in its own process; the load comes from a separate Node
 * process running the `ws` client (`bench/_ws_e2e_client.cjs`): 1 or 50
 * connections, each sending a text message, waiting for its echo and sending
 * again. Messages are 32 B, 1 KiB and 64 KiB of JSON-like text
 * (`bench/_ws_e2e_fixtures.ts`). Servers:
 *
 * - a bare `Deno.serve` + `Deno.upgradeWebSocket` echo (the baseline);
 * - `acceptWebSocket` (the native engine; `examples/ws_echo.ts`);
 * - `serveWebSocket` (the codec engine), without and with permessage-deflate
 *   (the client then offers it: ws's threshold of 1 KiB);
 * - the `ws` server under Node (`bench/_ws_e2e_ws_server.cjs`), without
 *   and with permessage-deflate.
 *
 * Prints round trips per second, MB/s of payload echoed (one direction),
 * the ratios the issue targets (acceptWebSocket / bare, codec engine / ws;
 * with deflate, against ws with deflate), and the server's CPU time per
 * round trip (user + system, from `/proc`, over the whole client run
 * divided by the round trips estimated for it): a steadier figure than the
 * rates on a shared machine. This is a program, not a `deno bench` file:
 * the work happens in other processes.
 *
 * To iterate on a few cells: `--only` keeps the servers of the given keys
 * (`bare`, `native`, `codec`, `codec-deflate`, `ws`, `ws-deflate`), `--sizes`
 * the given message sizes in bytes and `--clients` the given connection
 * counts (each a comma-separated list). The ratio columns show NaN when the
 * server compared against was not run. `--rounds N` runs the servers in
 * turn N times and reports each cell's median run.
 *
 * @module
 */

import { E2E_SIZES, makeE2eMessage } from "./_ws_e2e_fixtures.ts";
import { npmPackageMain } from "./_npm_package.ts";

const ROOT = new URL("../", import.meta.url);
const CONCURRENCY = [1, 50] as const;

interface ServerKind {
  /** What `--only` selects it by. */
  key: string;
  name: string;
  command: string;
  args: string[];
  /** The client offers permessage-deflate. */
  deflate: boolean;
  /** The server of the "vs ws" column. */
  versus: string;
}

const WS = "ws 8.23.0 on Node";
const WS_DEFLATE = "ws 8.23.0 on Node + deflate";

const deno = Deno.execPath();
const SERVERS: ServerKind[] = [
  {
    key: "bare",
    name: "bare Deno.upgradeWebSocket",
    command: deno,
    args: ["run", "-A", "bench/_ws_bare_echo.ts"],
    deflate: false,
    versus: WS,
  },
  {
    key: "native",
    name: "acceptWebSocket (native)",
    command: deno,
    args: [
      "run",
      "-A",
      "examples/ws_echo.ts",
      "--port",
      "0",
      "--engine",
      "native",
    ],
    deflate: false,
    versus: WS,
  },
  {
    key: "codec",
    name: "serveWebSocket (codec)",
    command: deno,
    args: [
      "run",
      "-A",
      "examples/ws_echo.ts",
      "--port",
      "0",
      "--engine",
      "codec",
    ],
    deflate: false,
    versus: WS,
  },
  {
    key: "codec-deflate",
    name: "serveWebSocket (codec) + deflate",
    command: deno,
    args: [
      "run",
      "-A",
      "examples/ws_echo.ts",
      "--port",
      "0",
      "--engine",
      "codec",
      "--deflate",
    ],
    deflate: true,
    versus: WS_DEFLATE,
  },
  {
    key: "ws",
    name: WS,
    command: "node",
    args: ["bench/_ws_e2e_ws_server.cjs"],
    deflate: false,
    versus: WS,
  },
  {
    key: "ws-deflate",
    name: WS_DEFLATE,
    command: "node",
    args: ["bench/_ws_e2e_ws_server.cjs", "deflate"],
    deflate: true,
    versus: WS_DEFLATE,
  },
];

interface Cell {
  server: string;
  bytes: number;
  clients: number;
  roundTrips: number;
  seconds: number;
  errors: number;
  /** Server CPU seconds over the whole client run (warm-up included). */
  cpu: number;
}

function flag(name: string, fallback: number): number {
  const index = Deno.args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(Deno.args[index + 1]);
}

/** The comma-separated list of a flag, or `undefined` when absent. */
function list(name: string): string[] | undefined {
  const index = Deno.args.indexOf(`--${name}`);
  return index === -1 ? undefined : (Deno.args[index + 1] ?? "").split(",");
}

/** CPU time (user + system) the process has used, in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, in ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServer(
  kind: ServerKind,
  env: Record<string, string>,
): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = new Deno.Command(kind.command, {
    args: kind.args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/listening on \d+/.test(seen)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${kind.name} exited: ${seen}`);
    seen += value;
  }
  const port = Number(/listening on (\d+)/.exec(seen)![1]);
  const drained = (async () => {
    while (!(await reader.read()).done) {
      // Discard the rest of the output.
    }
  })();
  return {
    port,
    pid: child.pid,
    async stop(): Promise<void> {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}

async function runClient(
  port: number,
  payloadFile: string,
  clients: number,
  deflate: boolean,
  env: Record<string, string>,
): Promise<{ roundTrips: number; seconds: number; errors: number }> {
  const output = await new Deno.Command("node", {
    args: [
      "bench/_ws_e2e_client.cjs",
      `ws://127.0.0.1:${port}/`,
      payloadFile,
      String(clients),
      String(flag("warmup", 300)),
      String(flag("duration", 2000)),
      deflate ? "deflate" : "plain",
    ],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("the client failed");
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

function sameCell(a: Cell, b: Cell): boolean {
  return a.server === b.server && a.bytes === b.bytes &&
    a.clients === b.clients;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

async function main(): Promise<void> {
  const wsPath = await npmPackageMain("ws");
  const env = { WS_PATH: wsPath };
  const dir = await Deno.makeTempDir({ prefix: "serverpush-ws-e2e-" });
  const payloads = new Map<number, string>();
  for (const bytes of list("sizes")?.map(Number) ?? E2E_SIZES) {
    const file = `${dir}/payload-${bytes}.txt`;
    await Deno.writeTextFile(file, makeE2eMessage({ bytes, seed: bytes }));
    payloads.set(bytes, file);
  }
  const only = list("only");
  const sizes = list("sizes")?.map(Number) ?? E2E_SIZES;
  const concurrency = list("clients")?.map(Number) ?? CONCURRENCY;
  const started = performance.now();
  const rounds = flag("rounds", 1);
  const runs: Cell[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const kind of SERVERS) {
        if (only !== undefined && !only.includes(kind.key)) continue;
        const server = await startServer(kind, env);
        try {
          for (const clients of concurrency) {
            for (const bytes of sizes) {
              const cpuBefore = await cpuSeconds(server.pid);
              const result = await runClient(
                server.port,
                payloads.get(bytes)!,
                clients,
                kind.deflate,
                env,
              );
              const cpu = await cpuSeconds(server.pid) - cpuBefore;
              runs.push({
                server: kind.name,
                bytes,
                clients,
                ...result,
                cpu,
              });
              console.error(
                `${kind.name}, ${bytes} B, ${clients} clients: ${
                  format(result.roundTrips / result.seconds)
                } rt/s${result.errors > 0 ? `, ${result.errors} errors` : ""}`,
              );
            }
          }
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // With several rounds (the servers take turns, so a load that comes and
  // goes on the machine hits them alike), each cell is the median run.
  const cells: Cell[] = [];
  for (const run of runs) {
    if (cells.some((c) => sameCell(c, run))) continue;
    const same = runs.filter((c) => sameCell(c, run)).sort((x, y) =>
      x.roundTrips / x.seconds - y.roundTrips / y.seconds
    );
    cells.push(same[Math.floor(same.length / 2)]!);
  }

  const rate = (cell: Cell | undefined): number =>
    cell === undefined ? NaN : cell.roundTrips / cell.seconds;
  const find = (server: string, bytes: number, clients: number) =>
    cells.find((c) =>
      c.server === server && c.bytes === bytes && c.clients === clients
    );
  const rows: string[][] = [[
    "server",
    "message",
    "clients",
    "round trips/s",
    "MB/s",
    "vs bare",
    "vs ws",
    "server CPU µs/rt",
  ]];
  for (const cell of cells) {
    const r = rate(cell);
    rows.push([
      cell.server,
      cell.bytes >= 1024 ? `${cell.bytes / 1024} KiB` : `${cell.bytes} B`,
      String(cell.clients),
      format(r),
      format(r * cell.bytes / 1e6, 1),
      format(r / rate(find(SERVERS[0]!.name, cell.bytes, cell.clients)), 2),
      format(
        r /
          rate(find(
            SERVERS.find((k) => k.name === cell.server)!.versus,
            cell.bytes,
            cell.clients,
          )),
        2,
      ),
      // The CPU covers connecting, warm-up and closing too: an estimate.
      format(
        cell.cpu / (r * (cell.seconds + flag("warmup", 300) / 1000)) * 1e6,
        1,
      ),
    ]);
  }
  const widths = rows[0]!.map((_, i) =>
    Math.max(...rows.map((row) => row[i]!.length))
  );
  const line = (row: string[]): string =>
    `| ${
      row.map((v, i) => i < 3 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))
        .join(" | ")
    } |`;
  console.log(line(rows[0]!));
  console.log(
    `|${
      widths.map((w, i) =>
        i < 3 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`
      ).join("|")
    }|`,
  );
  for (const row of rows.slice(1)) console.log(line(row));
  const errors = runs.reduce((sum, c) => sum + c.errors, 0);
  console.log(
    `\n${cells.length} cells (median of ${rounds} rounds) in ${
      format((performance.now() - started) / 1000, 1)
    } s; ${errors} echo errors; Node ${
      new TextDecoder().decode(
        (await new Deno.Command("node", { args: ["--version"] }).output())
          .stdout,
      ).trim()
    }, Deno ${Deno.version.deno}`,
  );
}

if (import.meta.main) await main();
