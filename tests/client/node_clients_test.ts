// Copyright 2026 the serverpush authors. MIT license.
// The clients on Node (20 here, which has no global WebSocket): the client
// scenario bundled with `deno bundle --platform browser` (so it holds no
// node: import) and run with `node` against a Deno hub server:
// connect over each transport (its WebSocket on CodecWebSocket over
// node:net), connect's fallback without a WebSocket class, SseClient,
// connectWebSocket on a topic and speaking serverpush.v1, and a publish.

import { ok, strictEqual } from "node:assert/strict";
import { bundle } from "../_bundle.ts";
import { assertScenario, startScenarioServer } from "../_hub_server.ts";
import type { ScenarioResult } from "../_client_scenario.ts";

async function nodeVersion(): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("node", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return output.success
      ? new TextDecoder().decode(output.stdout).trim()
      : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

const version = await nodeVersion();
if (version === undefined) {
  // deno-lint-ignore no-console
  console.log("skipping the Node client tests: node is not on PATH");
}

Deno.test({
  name: `the clients run on Node ${version ?? "(absent)"} against a Deno hub`,
  ignore: version === undefined,
  async fn(): Promise<void> {
    const tmp = await Deno.makeTempDir({ prefix: "node_clients_" });
    try {
      const script = `${tmp}/clients.mjs`;
      await bundle("tests/client/_node_main.ts", script, {
        platform: "browser",
        minify: true,
      });
      // Node's modules are looked up when called, never imported.
      strictEqual(
        /(?:from|import)\s*\(?\s*["']node:/.test(
          await Deno.readTextFile(script),
        ),
        false,
      );
      await using server = await startScenarioServer();
      const child = new Deno.Command("node", {
        args: [script, server.base, server.since],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill(), 60_000);
      const output = await child.output();
      clearTimeout(timer);
      const stdout = new TextDecoder().decode(output.stdout).trim();
      const stderr = new TextDecoder().decode(output.stderr).trim();
      ok(output.success, `node failed: ${stdout} ${stderr}`);
      const result = JSON.parse(stdout) as ScenarioResult;
      const noWebSocket = Number(version!.slice(1).split(".")[0]) < 22;
      await assertScenario(result, server, noWebSocket);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
