// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console

/**
 * Memory per idle WebSocket connection, server side:
 *
 * ```sh
 * deno run -A bench/ws_memory.ts [--clients 5000] [--only bare,codec,ws]
 * ```
 *
 * For each server kind, a fresh server process (`bench/_ws_memory_server.ts`,
 * or `bench/_ws_memory_ws_server.cjs` under Node for `ws`) and a client
 * process (`bench/_hub_fanout_client.ts`, which opens N WebSocket upgrades
 * over raw TCP on loopback and keeps them open). The server's RSS, V8 heap
 * and external (ArrayBuffer) memory are read after a full GC before any
 * connection and with all N open; the table shows the difference divided
 * by N. Kinds: `bare` (`Deno.upgradeWebSocket`), `native`
 * (`acceptWebSocket`), `codec` (`serveWebSocket`), `hub` (`createHubHandler(hub)`,
 * one topic subscriber each) and `ws` (8.23 on Node). RSS also counts
 * memory the runtime keeps after the connections' setup (V8 grows its
 * young generation under a burst of allocations), so compare at the same
 * N; heap and external are the steadier figures.
 *
 * @module
 */

import { npmPackageMain } from "./_npm_package.ts";
import { lines } from "./_lines.ts";

const KINDS = ["bare", "native", "codec", "hub", "ws"] as const;
type Kind = typeof KINDS[number];

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
}

function parseArgs(args: string[]): { clients: number; kinds: Kind[] } {
  let clients = 5000;
  let kinds: Kind[] = [...KINDS];
  for (let i = 0; i < args.length; i += 2) {
    const [name, value] = [args[i], args[i + 1] ?? ""];
    if (name === "--clients" && Number(value) > 0) {
      clients = Math.floor(Number(value));
    } else if (
      name === "--only" &&
      value.split(",").every((k) => (KINDS as readonly string[]).includes(k))
    ) {
      kinds = value.split(",") as Kind[];
    } else {
      throw new TypeError(
        `Cannot parse arguments: ${JSON.stringify(name)} ${
          JSON.stringify(value)
        }; expected --clients N, --only ${KINDS.join(",")}`,
      );
    }
  }
  return { clients, kinds };
}

async function serverCommand(kind: Kind): Promise<Deno.Command> {
  const options = {
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  } as const;
  if (kind === "ws") {
    return new Deno.Command("node", {
      args: [
        "--expose-gc",
        new URL("./_ws_memory_ws_server.cjs", import.meta.url).pathname,
      ],
      env: { WS_PATH: await npmPackageMain("ws") },
      ...options,
    });
  }
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL("./_ws_memory_server.ts", import.meta.url).pathname,
      kind,
    ],
    ...options,
  });
}

async function measure(kind: Kind, clients: number): Promise<Memory> {
  const server = (await serverCommand(kind)).spawn();
  const output = lines(server.stdout);
  let statsPort = 0;
  let wsPort = 0;
  for await (const line of output) {
    if (!line.startsWith("READY ")) continue;
    [statsPort, wsPort] = line.slice(6).split(" ").map(Number) as [
      number,
      number,
    ];
    break;
  }
  const memory = async (): Promise<Memory> =>
    await (await fetch(`http://127.0.0.1:${statsPort}/_bench/memory`)).json();
  let client: Deno.ChildProcess | undefined;
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await memory();
    client = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_hub_fanout_client.ts", import.meta.url).pathname,
        String(wsPort),
        String(clients),
        "ws",
      ],
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    const ready = await lines(client.stdout).next();
    if (ready.done || !ready.value.includes('"ready"')) {
      throw new Error(`Cannot open ${clients} connections to ${kind}`);
    }
    let open = await memory();
    while (open.connections < clients) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      open = await memory();
    }
    return {
      rss: (open.rss - before.rss) / clients,
      heapUsed: (open.heapUsed - before.heapUsed) / clients,
      external: (open.external - before.external) / clients,
      connections: clients,
    };
  } finally {
    client?.kill("SIGTERM");
    await client?.status;
    server.kill("SIGTERM");
    await server.status;
  }
}

if (import.meta.main) {
  const { clients, kinds } = parseArgs(Deno.args);
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
  console.log(`${clients} idle WebSocket connections per server, loopback\n`);
  console.log("| server | RSS KiB/conn | heap KiB/conn | external KiB/conn |");
  console.log("|:-------|-------------:|--------------:|------------------:|");
  for (const kind of kinds) {
    const m = await measure(kind, clients);
    console.log(
      `| ${kind} | ${kib(m.rss)} | ${kib(m.heapUsed)} | ${kib(m.external)} |`,
    );
  }
}
