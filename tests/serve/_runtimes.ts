// Copyright 2026 the serverpush authors. MIT license.
// Starts tests/serve/fixtures/serve_fixture.ts on a runtime: Deno runs the
// source; Node and Bun run one bundle made with `deno bundle`. Bun comes
// from npm, pinned (`npx --yes bun@BUN_VERSION`).

import { rssOf } from "../abuse/_harness.ts";

/** The runtimes `serve` runs on. */
export type Runtime = "deno" | "node" | "bun";

/** The pinned Bun, run through npx. */
export const BUN_VERSION = "1.4.5";

const FIXTURE = new URL("./fixtures/serve_fixture.ts", import.meta.url);

const bundled = new Map<string, Promise<string>>();

/** Bundles `fixture` once per test process; resolves with its path. */
function bundle(fixture: URL): Promise<string> {
  let output = bundled.get(fixture.href);
  if (output === undefined) {
    output = bundleOnce(fixture);
    bundled.set(fixture.href, output);
  }
  return output;
}

async function bundleOnce(fixture: URL): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "serve_fixture_" });
  const output = `${dir}/fixture.mjs`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform", "deno", "-o", output, fixture.pathname],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bundle failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return output;
}

/**
 * Why Bun cannot run here, or `undefined` when it can (checked once:
 * `npx --yes bun@BUN_VERSION --version`).
 */
export async function bunUnavailable(): Promise<string | undefined> {
  try {
    const { code, stdout, stderr } = await new Deno.Command("npx", {
      args: ["--yes", `bun@${BUN_VERSION}`, "--version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout).trim();
    if (code === 0 && out === BUN_VERSION) return undefined;
    return `npx bun@${BUN_VERSION} --version exited ${code}: ${out} ${
      new TextDecoder().decode(stderr).trim().slice(0, 300)
    }`;
  } catch (error) {
    return `npx is not runnable: ${error}`;
  }
}

/** A fixture server in a child process. */
export interface RuntimeServer extends AsyncDisposable {
  readonly runtime: Runtime;
  readonly port: number;
  /** The server process's resident set size, from /proc. */
  rss(): number;
  /** Closes the fixture's stdin (it shuts down) and waits for its exit. */
  stop(): Promise<{ code: number; output: string }>;
}

/**
 * Starts `fixture` (by default fixtures/serve_fixture.ts) on `runtime`,
 * with `env` (TLS files). A fixture prints one line of JSON with its
 * `port` and `runtime` once it listens, and shuts down when its stdin
 * ends.
 */
export async function startRuntime(
  runtime: Runtime,
  env: Record<string, string> = {},
  fixture: URL = FIXTURE,
): Promise<RuntimeServer> {
  const [command, args] = runtime === "deno"
    ? [Deno.execPath(), ["run", "-A", fixture.pathname]]
    : runtime === "node"
    ? ["node", [await bundle(fixture)]]
    : ["npx", ["--yes", `bun@${BUN_VERSION}`, await bundle(fixture)]];
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await lines.read();
    if (done) {
      await child.status;
      throw new Error(`The ${runtime} fixture exited before listening`);
    }
    text += value;
  }
  const ready = JSON.parse(text.slice(0, text.indexOf("\n"))) as {
    port: number;
    runtime: Runtime;
  };
  let rest = text.slice(text.indexOf("\n") + 1);
  const collected = (async () => {
    for (;;) {
      const { done, value } = await lines.read();
      if (done) return rest;
      rest += value;
    }
  })();
  // Bun is started through npx: the server is npx's child.
  const pid = runtime === "bun" ? await childPid(child.pid) : child.pid;
  let stopped: Promise<{ code: number; output: string }> | undefined;
  const stop = (): Promise<{ code: number; output: string }> =>
    stopped ??= (async () => {
      await child.stdin.close();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const status = await child.status;
      clearTimeout(timer);
      return { code: status.code, output: await collected };
    })();
  if (ready.runtime !== runtime) {
    await stop();
    throw new Error(`The fixture reports ${ready.runtime}, not ${runtime}`);
  }
  return {
    runtime,
    port: ready.port,
    rss: () => rssOf(pid),
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** The pid of the (last) process whose parent is `pid`, else `pid`. */
async function childPid(pid: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    try {
      const children = (await Deno.readTextFile(
        `/proc/${pid}/task/${pid}/children`,
      )).trim().split(/\s+/).filter((s) => s !== "");
      if (children.length > 0) return childPid(Number(children.at(-1)));
      return pid;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return pid;
}
