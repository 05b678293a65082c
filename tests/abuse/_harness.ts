// Copyright 2026 the serverpush authors. MIT license.
// The test side of the abuse harness: starts a fixture server
// (tests/abuse/fixtures/*.ts, built on _fixture.ts) in its own Deno process,
// so that what an attack costs is measured as that process's memory, and
// stops it again. Every attack in tests/abuse/ is bounded in count and time
// and targets 127.0.0.1 only.

import type { FixtureMemory, FixtureReady } from "./_fixture.ts";
import { within } from "../_wait.ts";

export { delay } from "../_wait.ts";

/** One mebibyte, for readable bounds. */
export const MiB = 1024 * 1024;

/** A fixture server running in a subprocess. */
export interface AbuseServer {
  /** What the fixture announced: at least its port. */
  readonly ready: FixtureReady;
  /** Port of the server under attack. */
  readonly port: number;
  /** Pid of the server process. */
  readonly pid: number;
  /** Memory after a full collection in the server, reported by the server. */
  memory(): Promise<FixtureMemory>;
  /** Resident set size of the process now, from /proc, without a collection. */
  rss(): number;
  /** Ends the server and waits for the process to exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

const fixtures = new URL("./fixtures/", import.meta.url);

/**
 * Starts `tests/abuse/fixtures/<name>.ts` with `--expose-gc` and resolves once
 * it announced its port. `env` is passed to the fixture; `denoArgs` go before
 * the script (for example a V8 heap limit); `fdLimit` lowers the process's
 * descriptor limit.
 */
export async function startFixture(
  name: string,
  options: {
    env?: Record<string, string>;
    denoArgs?: string[];
    /** Lower the process's open-file limit (`ulimit -n`) to this. */
    fdLimit?: number;
  } = {},
): Promise<AbuseServer> {
  const script = new URL(`${name}.ts`, fixtures);
  const denoArgs = [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    ...(options.denoArgs ?? []),
    script.pathname,
  ];
  const [command, args] = options.fdLimit === undefined
    ? [Deno.execPath(), denoArgs]
    : [
      "/bin/sh",
      [
        "-c",
        `ulimit -n ${options.fdLimit} && exec "$0" "$@"`,
        Deno.execPath(),
        ...denoArgs,
      ],
    ];
  const child = new Deno.Command(command, {
    args,
    env: options.env ?? {},
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let buffered = "";
  async function nextLine(): Promise<string> {
    while (true) {
      const at = buffered.indexOf("\n");
      if (at >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`Fixture ${name} ended before answering`);
      buffered += value;
    }
  }
  let ready: FixtureReady;
  try {
    ready = JSON.parse(
      await within(nextLine(), `fixture ${name} to listen`, 30_000),
    );
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    throw error;
  }
  const encoder = new TextEncoder();
  let asking: Promise<unknown> = Promise.resolve();
  return {
    ready,
    port: ready.port,
    pid: child.pid,
    memory() {
      const answer = asking.then(async () => {
        await writer.write(encoder.encode("mem\n"));
        return JSON.parse(
          await within(nextLine(), `fixture ${name} memory`, 30_000),
        ) as FixtureMemory;
      });
      asking = answer.catch(() => {});
      return answer;
    },
    rss() {
      return rssOf(child.pid);
    },
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((resolve) =>
          setTimeout(() => resolve(false), 5_000)
        ),
      ]);
      if (!exited) {
        child.kill("SIGKILL");
        await child.status;
      }
      await reader.cancel().catch(() => {});
    },
  };
}

/** Resident set size of process `pid` in bytes, read from /proc. */
export function rssOf(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`Cannot read VmRSS of process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Runs `attack` while sampling the server's RSS every 100 ms; resolves with
 * the highest RSS seen and what `attack` returned.
 */
export async function peakRssDuring<T>(
  server: AbuseServer,
  attack: () => Promise<T>,
): Promise<{ peak: number; result: T }> {
  let peak = server.rss();
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, server.rss());
    } catch {
      // The process is gone; the test notices on its own.
    }
  }, 100);
  try {
    const result = await attack();
    peak = Math.max(peak, server.rss());
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}

/** Formats bytes as MiB with one decimal, for assertion messages. */
export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
