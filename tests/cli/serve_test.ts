// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { redisMissing, startRedisServer } from "../hub/_redis_server.ts";
import { jsonLines, post, runCli, startCli, startServe } from "./_cli.ts";

const TRANSPORTS = ["ws", "sse", "longpoll", "poll"] as const;

async function checkServe(args: readonly string[]): Promise<void> {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
    ...args,
  ]);
  const topic = `${server.hub}news`;

  // Publishing is refused without the token, and with a wrong one.
  const anonymous = await post(topic, "no");
  strictEqual(anonymous.status, 401);
  match(anonymous.text, /Authorization: Bearer/);
  strictEqual((await post(topic, "no", "wrong")).status, 403);

  // With it, every transport receives the next message.
  const first = await post(topic, "first", "s3cret");
  strictEqual(first.status, 201);
  const listeners = TRANSPORTS.map((transport) =>
    startCli([
      "listen",
      topic,
      "--transport",
      transport,
      "--since",
      first.id!,
      "--count",
      "1",
      "--timeout",
      "20",
    ])
  );
  const second = await post(topic, "second", "s3cret");
  strictEqual(second.status, 201);
  for (const [index, listener] of listeners.entries()) {
    const { code, stdout, stderr } = await listener.finished();
    strictEqual(code, 0, `${TRANSPORTS[index]}: ${stderr}`);
    deepStrictEqual(
      jsonLines(stdout).map(({ id, data }) => ({ id, data })),
      [{ id: second.id, data: "second" }],
      TRANSPORTS[index],
    );
  }
}

Deno.test("serverpush serve (memory) refuses publishing without the token and serves every transport", async () => {
  await checkServe([]);
});

Deno.test({
  name:
    "serverpush serve --redis refuses publishing without the token and serves every transport",
  ignore: redisMissing !== undefined,
  async fn() {
    await using redis = await startRedisServer();
    await checkServe(["--redis", redis.url]);
  },
});
if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the serve --redis test: ${redisMissing}`);
}

Deno.test("serverpush serve without --publish-token refuses every publish", async () => {
  await using server = await startServe(["--port", "0"]);
  const refused = await post(`${server.hub}news`, "x", "anything");
  strictEqual(refused.status, 403);
  match(server.process.stderr(), /publishing refused \(no --publish-token\)/);
});

Deno.test("serverpush serve --kv and --jwt-* say they are not in this build (exit 1)", async (t) => {
  for (
    const args of [["--kv", "hub.db"], ["--jwt-secret", "x"], [
      "--jwt-jwks",
      "keys.json",
    ]]
  ) {
    await t.step(args[0]!, async () => {
      const { code, stderr } = await runCli(["serve", "--port", "0", ...args]);
      strictEqual(code, 1);
      match(
        stderr,
        new RegExp(
          `^serverpush: Cannot use ${args[0]}: not available in this build`,
        ),
      );
    });
  }
});
