// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { runCli } from "./_cli.ts";

const COMMANDS = ["listen", "send", "publish", "serve", "bench"];

Deno.test("serverpush --help lists every command and exits 0", async () => {
  const { code, stdout } = await runCli(["--help"]);
  strictEqual(code, 0);
  for (const command of COMMANDS) {
    match(stdout, new RegExp(`^  ${command} `, "m"));
  }
});

Deno.test("serverpush <command> --help prints its usage and exits 0", async (t) => {
  for (const command of COMMANDS) {
    await t.step(command, async () => {
      const { code, stdout, stderr } = await runCli([command, "--help"]);
      strictEqual(code, 0);
      strictEqual(stderr, "");
      match(stdout, new RegExp(`^Usage: serverpush ${command} `));
      match(stdout, /Exit codes: 0 /);
    });
  }
});

Deno.test("serverpush answers bad usage with exit code 2 and one line that says what to do", async (t) => {
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /Usage: serverpush/],
    ["unknown command", ["frobnicate"], /no such command .*serverpush --help/],
    [
      "unknown option",
      ["listen", "http://127.0.0.1:1/hub/a", "--nope"],
      /--nope.*serverpush listen --help/,
    ],
    ["missing URL", ["listen"], /expected URL, got 0 arguments/],
    [
      "missing DATA",
      ["publish", "http://127.0.0.1:1/hub/a"],
      /expected URL DATA/,
    ],
    ["not a URL", ["publish", "nope", "x"], /"nope" is not a URL/],
    ["bad transport", [
      "listen",
      "http://127.0.0.1:1/hub/a",
      "--transport",
      "pigeon",
    ], /--transport: "pigeon" is not one of auto, ws, sse, longpoll, poll/],
    [
      "bad number",
      ["bench", "http://127.0.0.1:1/hub/a", "--clients", "many"],
      /--clients: "many" is not an integer/,
    ],
    ["bad header", [
      "listen",
      "http://127.0.0.1:1/hub/a",
      "--header",
      "nocolon",
    ], /is not NAME:VALUE/],
    [
      "bad binary",
      ["send", "ws://127.0.0.1:1/", "--binary", "octal"],
      /--binary: "octal" is not one of hex, base64/,
    ],
    ["redis and kv", [
      "serve",
      "--redis",
      "redis://127.0.0.1:1",
      "--kv",
      "x.db",
    ], /--redis or --kv, not both/],
    ["bad port", ["serve", "--port", "70000"], /--port: "70000"/],
  ];
  for (const [name, args, expected] of cases) {
    await t.step(name, async () => {
      const { code, stdout, stderr } = await runCli(args);
      strictEqual(code, 2, stderr);
      match(stdout + stderr, expected);
      if (args.length > 0) {
        strictEqual(stdout, "");
        deepStrictEqual(stderr.trimEnd().split("\n").length, 1, stderr);
      }
    });
  }
});

Deno.test("serverpush commands that cannot reach a server exit 1 with one line", async (t) => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const cases: [string, string[]][] = [
    ["publish", ["publish", `http://127.0.0.1:${port}/hub/a`, "x"]],
    ["listen", [
      "listen",
      `http://127.0.0.1:${port}/hub/a`,
      "--transport",
      "sse",
    ]],
    ["send", ["send", `ws://127.0.0.1:${port}/`]],
  ];
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      const { code, stderr } = await runCli(args);
      strictEqual(code, 1, stderr);
      match(stderr, /^serverpush: Cannot .*(server running)/);
      strictEqual(stderr.trimEnd().split("\n").length, 1, stderr);
    });
  }
});
