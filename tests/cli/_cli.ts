// Copyright 2026 the serverpush authors. MIT license.
// Runs the `serverpush` command line as a subprocess, the way a user does,
// and starts `serverpush serve` processes on loopback for the tests.

import { until, within } from "../_wait.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

/** A running `serverpush` process whose output is collected as it comes. */
export interface CliProcess {
  readonly child: Deno.ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Writes to its stdin (when started with `stdin: true`). */
  write(text: string): Promise<void>;
  /** Closes its stdin. */
  closeStdin(): Promise<void>;
  /** Waits for the exit, collects the rest of the output. */
  finished(
    ms?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Sends a signal (if it still runs). */
  kill(signal?: Deno.Signal): void;
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  sink: string[],
): Promise<void> {
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    sink.push(text);
  }
}

/**
 * The environment of a CLI run under `script` (a pseudo-terminal): `script`
 * runs its command with `$SHELL -c`, and a shell that stays as the parent
 * (dash does) dies of the Ctrl-C that the terminal sends to its whole
 * foreground group. The commands start with `exec`, and the shell is fixed.
 */
export const PTY_ENV: Record<string, string> = { SHELL: "/bin/sh" };

/** Starts `serverpush ARGS` (or any command with `command`). */
export function startCli(
  args: readonly string[],
  options: { stdin?: boolean; command?: string; env?: Record<string, string> } =
    {},
): CliProcess {
  const command = options.command ?? Deno.execPath();
  const fullArgs = options.command === undefined
    ? ["run", "-A", "--unstable-kv", MAIN, ...args]
    : [...args];
  const child = new Deno.Command(command, {
    args: fullArgs,
    cwd: ROOT,
    stdin: options.stdin === true ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const out: string[] = [];
  const err: string[] = [];
  const reading = Promise.all([
    collect(child.stdout, out),
    collect(child.stderr, err),
  ]);
  const writer = options.stdin === true ? child.stdin.getWriter() : undefined;
  let stdinClosed = false;
  return {
    child,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
    async write(text: string): Promise<void> {
      await writer!.write(new TextEncoder().encode(text));
    },
    async closeStdin(): Promise<void> {
      if (writer === undefined || stdinClosed) return;
      stdinClosed = true;
      await writer.close().catch(() => undefined);
    },
    async finished(ms = 30_000) {
      if (writer !== undefined && !stdinClosed) {
        stdinClosed = true;
        await writer.close().catch(() => undefined);
      }
      let status: Deno.CommandStatus;
      try {
        status = await within(
          child.status,
          `serverpush ${args.join(" ")} to exit`,
          ms,
        );
      } catch (error) {
        this.kill("SIGKILL");
        await child.status;
        await reading;
        throw new Error(
          `${(error as Error).message}\nstdout: ${out.join("")}\nstderr: ${
            err.join("")
          }`,
        );
      }
      await reading;
      return { code: status.code, stdout: out.join(""), stderr: err.join("") };
    },
    kill(signal: Deno.Signal = "SIGTERM"): void {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
    },
  };
}

/** Runs `serverpush ARGS` to its end. */
export function runCli(
  args: readonly string[],
  ms = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return startCli(args).finished(ms);
}

/** A `serverpush serve` process and the base URL of its topics. */
export interface ServeProcess extends AsyncDisposable {
  readonly process: CliProcess;
  /** `http://127.0.0.1:PORT/hub/` */
  readonly hub: string;
  readonly port: number;
  /** Kills it at once (SIGKILL), as a crash would. */
  crash(): Promise<void>;
}

/** Starts `serverpush serve ARGS` and waits for its "listening on" line. */
export async function startServe(
  args: readonly string[],
): Promise<ServeProcess> {
  const process = startCli(["serve", ...args]);
  try {
    await until(
      () =>
        /listening on (\S+)/.test(process.stdout()) ||
        process.stderr().includes("serverpush: "),
      "serverpush serve to listen",
      30_000,
    );
  } catch (error) {
    process.kill("SIGKILL");
    await process.finished();
    throw error;
  }
  const match = /listening on (\S+)/.exec(process.stdout());
  if (match === null) {
    const { stderr } = await process.finished();
    throw new Error(`serverpush serve did not start: ${stderr}`);
  }
  const hub = match[1]!;
  let stopped = false;
  return {
    process,
    hub,
    port: Number(new URL(hub).port),
    async crash(): Promise<void> {
      stopped = true;
      process.kill("SIGKILL");
      await process.finished();
    },
    async [Symbol.asyncDispose](): Promise<void> {
      if (stopped) return;
      stopped = true;
      process.kill("SIGTERM");
      const { code, stderr } = await process.finished();
      if (code !== 0) {
        throw new Error(`serverpush serve exited with ${code}: ${stderr}`);
      }
    },
  };
}

/** A free port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** POSTs `data` to a topic with the token and returns the id. */
export async function post(
  url: string,
  data: string,
  token?: string,
): Promise<{ status: number; id: string | undefined; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    body: data,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  let id: string | undefined;
  try {
    id = (JSON.parse(text) as { id?: string }).id;
  } catch {
    id = undefined;
  }
  return { status: response.status, id, text };
}

/** The JSON lines of `listen --json` output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line)
  );
}
