// Copyright 2026 the serverpush authors. MIT license.
// examples/ws_echo.ts as a subprocess: it announces its port, echoes, answers
// a close with the peer's code, and exits cleanly on SIGTERM.

import {
  deepStrictEqual as assertEquals,
  ok,
  strictEqual,
  throws,
} from "node:assert/strict";
import { parseEchoArgs } from "../../examples/ws_echo.ts";
import { wsClient } from "../ws/_ws_clients.ts";

const SCRIPT = new URL("../../examples/ws_echo.ts", import.meta.url);

/** Starts the example; resolves with the child and the port it printed. */
async function spawnEcho(
  args: string[],
): Promise<
  { child: Deno.ChildProcess; port: number; output: Promise<string> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT.pathname, "--port", "0", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/listening on \d+\n/.test(seen)) {
    const { done, value } = await lines.read();
    if (done) throw new Error(`echo server exited early: ${seen}`);
    seen += value;
  }
  const port = Number(/listening on (\d+)/.exec(seen)![1]);
  const output = (async () => {
    while (true) {
      const { done, value } = await lines.read();
      if (done) return seen;
      seen += value;
    }
  })();
  return { child, port, output };
}

for (
  const [name, args, extensions] of [
    ["codec engine with --deflate", ["--engine", "codec", "--deflate"], true],
    ["codec engine", ["--engine", "codec"], false],
    ["native engine", ["--engine", "native"], false],
  ] as const
) {
  Deno.test(`examples/ws_echo.ts (${name}) echoes, answers a close with its code and exits on SIGTERM`, async () => {
    const { child, port, output } = await spawnEcho([...args]);
    try {
      const client = wsClient(`ws://127.0.0.1:${port}/`, {
        perMessageDeflate: true,
      });
      await client.opened;
      strictEqual(client.extensions !== "", extensions);
      client.send("text ✓");
      client.send(new Uint8Array([0, 255, 1]));
      const big = "x".repeat(100_000);
      client.send(big);
      strictEqual(await client.next(), "text ✓");
      assertEquals(await client.next(), new Uint8Array([0, 255, 1]));
      strictEqual(await client.next(), big);
      client.close(4321, "done");
      strictEqual((await client.closed).code, 4321);
    } finally {
      child.kill("SIGTERM");
    }
    const status = await child.status;
    strictEqual(status.code, 0);
    ok((await output).startsWith(`listening on ${port}\n`));
  });
}

Deno.test("examples/ws_echo.ts closes open connections with 1001 on SIGTERM", async () => {
  const { child, port, output } = await spawnEcho(["--engine", "codec"]);
  const client = wsClient(`ws://127.0.0.1:${port}/`);
  await client.opened;
  child.kill("SIGTERM");
  strictEqual((await client.closed).code, 1001);
  strictEqual((await child.status).code, 0);
  await output;
});

Deno.test("examples/ws_echo.ts refuses a cross-site Origin unless --allow-origin allows it", async (t) => {
  await t.step("default policy", async () => {
    const { child, output } = await spawnEcho([]).then(async (s) => {
      const client = wsClient(`ws://127.0.0.1:${s.port}/`, {
        origin: "http://other.example",
      });
      strictEqual(await client.status, 403);
      await client.closed;
      return s;
    });
    child.kill("SIGTERM");
    await child.status;
    await output;
  });
  await t.step("--allow-origin", async () => {
    const { child, port, output } = await spawnEcho([
      "--allow-origin",
      "http://other.example",
    ]);
    const client = wsClient(`ws://127.0.0.1:${port}/`, {
      origin: "http://other.example",
    });
    await client.opened;
    client.close(1000);
    await client.closed;
    child.kill("SIGTERM");
    await child.status;
    await output;
  });
});

Deno.test("parseEchoArgs reads the flags and refuses bad ones", () => {
  const parsed = parseEchoArgs([
    "--port",
    "9001",
    "--engine=native",
    "--allow-origin",
    "*",
  ]);
  assertEquals(
    [parsed.port, parsed.engine, parsed.deflate, parsed.origins],
    [9001, "native", false, "any"],
  );
  throws(() => parseEchoArgs(["--engine", "other"]), TypeError);
  throws(() => parseEchoArgs(["--port", "x"]), TypeError);
  throws(() => parseEchoArgs(["--deflate", "--engine", "native"]), TypeError);
  throws(() => parseEchoArgs(["--verbose"]), TypeError);
});
