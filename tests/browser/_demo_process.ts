// Copyright 2026 the serverpush authors. MIT license.

/**
 * The demo as `deno task example` runs it, in a process of its own, for the
 * browser tests that kill it and start it again, or run two of it.
 *
 * @module
 */

import { ok } from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** A free loopback port (free when asked: bind it soon). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Options for {@linkcode startDemoProcess}. */
export interface DemoProcessOptions {
  /** The port to listen on. */
  port: number;
  /** The only folder the process may write to. */
  dir: string;
  /** Its environment: `SERVERPUSH_KV`, `REDIS_URL`. */
  env: Record<string, string>;
  /** What the start-up line says the hub is on, e.g. `Deno KV in …`. */
  where: string;
}

/**
 * Starts `examples/server.ts` and waits for its start-up line.
 *
 * @param options Port, folder, environment and the expected store.
 * @returns The process; kill it and await its status.
 */
export async function startDemoProcess(
  options: DemoProcessOptions,
): Promise<Deno.ChildProcess> {
  const { port, dir, env, where } = options;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `--allow-write=${dir}`,
      "examples/server.ts",
    ],
    cwd: ROOT,
    env: { PORT: String(port), ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Wait for the start-up line.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the demo exited before it started: ${text}`);
    text += value;
  }
  ok(text.startsWith(`serverpush demo: http://127.0.0.1:${port}/`), text);
  ok(text.includes(`(hub on ${where})`), text);
  reader.releaseLock();
  // Keep reading its output so that it never blocks on a full pipe.
  child.stdout.cancel().catch(() => {});
  return child;
}

/** Kills `child` (SIGKILL, if it still runs) and waits for it to end. */
export async function killDemoProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone.
  }
  await child.status;
}
