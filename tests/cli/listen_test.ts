// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { redisMissing, startRedisServer } from "../hub/_redis_server.ts";
import { until } from "../_wait.ts";
import {
  freePort,
  jsonLines,
  post,
  PTY_ENV,
  startCli,
  startServe,
} from "./_cli.ts";

const TOKEN = "s3cret";

Deno.test({
  name:
    "serverpush listen resumes after the last id when its server is killed and restarted",
  ignore: redisMissing !== undefined,
  async fn(t) {
    await using redis = await startRedisServer();
    for (const transport of ["sse", "ws", "longpoll"]) {
      await t.step(transport, async () => {
        const port = freePort();
        const args = [
          "--port",
          String(port),
          "--redis",
          redis.url,
          "--publish-token",
          TOKEN,
        ];
        const first = await startServe(args);
        const topic = `${first.hub}resume-${transport}`;
        const start = await post(topic, "start", TOKEN);
        const listener = startCli([
          "listen",
          topic,
          "--transport",
          transport,
          "--since",
          start.id!,
          "--count",
          "3",
          "--timeout",
          "40",
        ]);
        const one = await post(topic, "one", TOKEN);
        await until(
          () => listener.stdout().includes('"one"'),
          "listen to print one",
          20_000,
        );

        // The server dies; a new one on the same port and Redis takes over.
        // Messages published before listen reconnects reach it only if it
        // resumes after the last id it printed.
        await first.crash();
        await using second = await startServe(args);
        const two = await post(topic, "two", TOKEN);
        const three = await post(topic, "three", TOKEN);

        const { code, stdout, stderr } = await listener.finished(40_000);
        strictEqual(code, 0, stderr);
        deepStrictEqual(
          jsonLines(stdout).map(({ id, data }) => ({ id, data })),
          [
            { id: one.id, data: "one" },
            { id: two.id, data: "two" },
            { id: three.id, data: "three" },
          ],
        );
        match(
          stderr,
          new RegExp(
            `reconnected to .* over ${transport}, resuming after id ${one.id}`,
          ),
        );
        strictEqual(second.port, port);
      });
    }
  },
});
if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the listen resume test: ${redisMissing}`);
}

Deno.test("serverpush listen --history prints the retained messages, then new ones", async () => {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    TOKEN,
  ]);
  const topic = `${server.hub}history`;
  const ids = [];
  for (const data of ["a", "b", "c"]) {
    ids.push((await post(topic, data, TOKEN)).id);
  }
  const listener = startCli([
    "listen",
    topic,
    "--history",
    "2",
    "--count",
    "3",
    "--timeout",
    "20",
  ]);
  await until(() => listener.stdout().includes('"c"'), "the history", 20_000);
  const d = await post(topic, "d", TOKEN);
  const { code, stdout } = await listener.finished();
  strictEqual(code, 0);
  deepStrictEqual(
    jsonLines(stdout).map(({ id, data }) => ({ id, data })),
    [{ id: ids[1], data: "b" }, { id: ids[2], data: "c" }, {
      id: d.id,
      data: "d",
    }],
  );
});

Deno.test("serverpush listen --topic follows several topics and names each event's topic", async () => {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    TOKEN,
  ]);
  const a = await post(`${server.hub}a`, "a0", TOKEN);
  const b = await post(`${server.hub}b`, "b0", TOKEN);
  // --since applies to each topic; an id of another topic resumes it at its start.
  const listener = startCli([
    "listen",
    server.hub,
    "--topic",
    "a",
    "--topic",
    "b",
    "--history",
    "1",
    "--count",
    "2",
    "--timeout",
    "20",
  ]);
  const { code, stdout } = await listener.finished();
  strictEqual(code, 0);
  const lines = jsonLines(stdout).map(({ topic, id, data }) => ({
    topic,
    id,
    data,
  }));
  lines.sort((x, y) => String(x.topic).localeCompare(String(y.topic)));
  deepStrictEqual(lines, [
    { topic: "a", id: a.id, data: "a0" },
    { topic: "b", id: b.id, data: "b0" },
  ]);
});

Deno.test("serverpush listen --timeout before --count messages exits 1", async () => {
  await using server = await startServe(["--port", "0"]);
  const listener = startCli([
    "listen",
    `${server.hub}quiet`,
    "--count",
    "1",
    "--timeout",
    "1",
  ]);
  const { code, stderr } = await listener.finished();
  strictEqual(code, 1);
  match(stderr, /stopped after --timeout 1: 0 of --count 1 messages arrived/);
});

Deno.test(
  "serverpush listen prints coloured lines on a terminal, plain ones with NO_COLOR",
  {
    ignore: !commandExists("script"),
  },
  async (t) => {
    await using server = await startServe([
      "--port",
      "0",
      "--publish-token",
      TOKEN,
    ]);
    const topic = `${server.hub}tty`;
    await post(topic, "hello", TOKEN);
    const main = new URL("../../cli/main.ts", import.meta.url).pathname;
    for (
      const [name, env] of [["coloured", {}], ["NO_COLOR", {
        NO_COLOR: "1",
      }]] as const
    ) {
      await t.step(name, async () => {
        const listener = startCli(
          [
            "-q",
            "-e",
            "-c",
            `exec ${Deno.execPath()} run -A ${main} listen ${topic} --history 1 --count 1`,
            "/dev/null",
          ],
          { command: "script", env: { NO_COLOR: "", ...PTY_ENV, ...env } },
        );
        const { code, stdout } = await listener.finished();
        strictEqual(code, 0);
        // deno-lint-ignore no-control-regex
        const plain = stdout.replace(/\x1b\[\d+m/g, "");
        match(plain, /^\d\d:\d\d:\d\d\.\d{3} \S+-1 message hello\r?\n$/);
        strictEqual(
          stdout.includes("\x1b["),
          name === "coloured",
          JSON.stringify(stdout),
        );
      });
    }
  },
);

if (!commandExists("script")) {
  // deno-lint-ignore no-console
  console.log(
    "Skipping the terminal colour test: script (util-linux) is not installed",
  );
}

function commandExists(name: string): boolean {
  try {
    return new Deno.Command(name, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}
