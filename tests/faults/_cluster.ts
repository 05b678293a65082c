// Copyright 2026 the serverpush authors. MIT license.
// The server processes of the fault test (_fault_server.ts), each on fixed
// loopback ports so that a killed one comes back where the balancers send
// connections.

import { freePort } from "../hub/_redis_server.ts";
import { delay, within } from "../_wait.ts";

const SCRIPT = new URL("./_fault_server.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

/** One server process, which can be killed and started again. */
export interface ServerProcess {
  readonly httpPort: number;
  readonly relayPort: number;
  /** Starts the process; resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL, as in a crash; resolves once it is gone. */
  kill(): Promise<void>;
}

/** A server process over `backend` (`memory`, `redis <url>`, `kv <path>`). */
export function serverProcess(
  backend: "memory" | "redis" | "kv",
  target = "",
): ServerProcess {
  const httpPort = freePort();
  const relayPort = freePort();
  let child: Deno.ChildProcess | undefined;

  async function spawnOnce(): Promise<Deno.ChildProcess | undefined> {
    const process = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--unstable-kv",
        "--unstable-no-legacy-abort",
        SCRIPT,
        backend,
        String(httpPort),
        String(relayPort),
        target,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = process.stdout.pipeThrough(new TextDecoderStream());
    let text = "";
    for await (const chunk of lines) {
      text += chunk;
      if (text.includes("ready\n")) break;
    }
    if (text.includes("ready\n")) {
      // Nothing more is printed; drain in case, so the pipe never fills.
      void lines.pipeTo(new WritableStream()).catch(() => undefined);
      return process;
    }
    await process.status;
    return undefined;
  }

  return {
    httpPort,
    relayPort,
    async start(): Promise<void> {
      if (child !== undefined) throw new Error("the server already runs");
      // The port of a process just killed can take a moment to free.
      for (let attempt = 0; attempt < 5; attempt++) {
        child = await within(spawnOnce(), "a fault server to listen", 60_000);
        if (child !== undefined) return;
        await delay(200);
      }
      throw new Error(`the fault server did not start on ${httpPort}`);
    },
    async kill(): Promise<void> {
      const running = child;
      if (running === undefined) return;
      child = undefined;
      running.kill("SIGKILL");
      await running.status;
    },
  };
}
