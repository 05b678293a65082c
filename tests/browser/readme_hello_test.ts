// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// The README's hello world, exactly as printed there: its `server.ts` and
// `index.html` blocks are written to a directory and run on Deno, on Node
// (bundled with `deno bundle`, which stands in for `npx jsr add`: JSR is not
// reachable from the test machines) and on Bun, and Chromium opens the page
// and must show the message over SSE and over WebSocket. The one change made
// to the server is where it listens: a free port on loopback instead of
// port 8000 on every interface.

import { match, ok } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { bundle, ROOT } from "../_bundle.ts";
import { BUN_VERSION, bunUnavailable } from "../serve/_runtimes.ts";

const README = await Deno.readTextFile(`${ROOT}README.md`);

/** The first code block of `lang` (the info string's first word) after `heading`. */
function block(heading: string, lang: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  ok(start >= 0, `README has no ${heading}`);
  const pattern = new RegExp("```" + lang + "[^\\n]*\\n([\\s\\S]*?)```");
  const found = pattern.exec(README.slice(start));
  ok(found !== null, `README has no ${lang} block under ${heading}`);
  return found[1]!;
}

const SERVER = block("## Hello world", "ts");
const PAGE = block("## Hello world", "html");

const bunMissing = chromiumSkipReason() === undefined
  ? await bunUnavailable()
  : undefined;
if (bunMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the README hello world on Bun: ${bunMissing}`);
}

/** A free loopback port. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The process and every process it started (npx starts Bun as a child). */
async function killTree(pid: number): Promise<void> {
  let children: string[] = [];
  try {
    children = (await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`))
      .trim().split(/\s+/).filter((s) => s !== "");
  } catch {
    // Gone already.
  }
  for (const child of children) await killTree(Number(child));
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** Whether `url` answers 200. */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function helloWorld(
  runtime: "deno" | "node" | "bun",
  page: import("playwright-core").Page,
): Promise<void> {
  const dir = `${ROOT}.out/readme-hello/${runtime}`;
  await Deno.mkdir(dir, { recursive: true });
  const port = freePort();
  const server = SERVER.replace(
    "{ port: 8000 }",
    `{ port: ${port}, hostname: "127.0.0.1" }`,
  );
  ok(server !== SERVER, "the hello world listens on { port: 8000 }");
  await Deno.writeTextFile(`${dir}/server.ts`, server);
  await Deno.writeTextFile(`${dir}/index.html`, PAGE);
  let command: string;
  let args: string[];
  if (runtime === "deno") {
    command = Deno.execPath();
    args = ["run", "-A", `--config=${ROOT}deno.json`, "server.ts"];
  } else {
    await bundle(
      `.out/readme-hello/${runtime}/server.ts`,
      `${dir}/server.mjs`,
      {
        platform: "deno",
      },
    );
    [command, args] = runtime === "node"
      ? ["node", ["server.mjs"]]
      : ["npx", ["--yes", `bun@${BUN_VERSION}`, "server.mjs"]];
  }
  const child = new Deno.Command(command, {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errors = child.stderr.pipeThrough(new TextDecoderStream());
  let stderr = "";
  const reading = errors.pipeTo(
    new WritableStream({ write: (text) => void (stderr += text) }),
  );
  try {
    const url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 30_000;
    while (!await answers(url)) {
      ok(
        Date.now() < deadline,
        `the ${runtime} server did not listen within 30 s (stderr: ${stderr})`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.goto(url);
    await page.waitForFunction(
      () =>
        document.body.innerText.includes("SSE: hello") &&
        document.body.innerText.includes("WebSocket: hello"),
      undefined,
      { timeout: 30_000, polling: 50 },
    );
    const text = await page.evaluate(() => document.body.innerText);
    match(text, /^SSE: hello$/m);
    match(text, /^WebSocket: hello$/m);
  } finally {
    await killTree(child.pid);
    await child.status;
    await reading.catch(() => {});
  }
}

browserTest(
  "README hello world: SSE and WebSocket in Chromium, server on Deno",
  async ({ page }) => {
    await helloWorld("deno", page);
  },
);

browserTest(
  "README hello world: SSE and WebSocket in Chromium, server on Node",
  async ({ page }) => {
    await helloWorld("node", page);
  },
);

browserTest(
  "README hello world: SSE and WebSocket in Chromium, server on Bun",
  async ({ page }) => {
    await helloWorld("bun", page);
  },
  { ignore: bunMissing !== undefined },
);
