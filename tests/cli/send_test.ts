// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { until } from "../_wait.ts";
import { type CliProcess, PTY_ENV, startCli } from "./_cli.ts";

/** An echo WebSocket server that records what it saw. */
function echoServer() {
  const seen = {
    headers: [] as Record<string, string>[],
    closes: [] as number[],
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.headers.push(Object.fromEntries(request.headers));
      const offered = request.headers.get("sec-websocket-protocol");
      const { socket, response } = Deno.upgradeWebSocket(
        request,
        offered === null ? {} : { protocol: offered.split(",")[0]!.trim() },
      );
      socket.binaryType = "arraybuffer";
      socket.onmessage = (event) => socket.send(event.data);
      socket.onclose = (event) => seen.closes.push(event.code);
      return response;
    },
  );
  return { server, seen, url: `ws://127.0.0.1:${server.addr.port}/echo` };
}

Deno.test("serverpush send echoes stdin lines through a pipe, pings, and closes with 1000 at EOF", async () => {
  const { server, seen, url } = echoServer();
  try {
    const send = startCli(
      ["send", url, "--subprotocol", "chat.v1", "--header", "X-Test: yes"],
      { stdin: true },
    );
    await send.write("hello\n/ping abc\n//slash\n/binary 0aff\n");
    await until(() => send.stderr().includes("pong ("), "the pong", 20_000);
    await until(
      () => send.stdout().includes("0aff"),
      "the binary echo",
      20_000,
    );
    const { code, stdout, stderr } = await send.finished();
    strictEqual(code, 0, stderr);
    deepStrictEqual(stdout.split("\n"), [
      "hello",
      "/slash",
      "[binary 2 bytes] 0aff",
      "",
    ]);
    match(stderr, /connected to .* \(subprotocol chat\.v1\)/);
    match(stderr, /pong \(\d+\.\d ms\)/);
    match(stderr, /closed: 1000/);
    await until(() => seen.closes.length === 1, "the server to see the close");
    deepStrictEqual(seen.closes, [1000]);
    strictEqual(seen.headers[0]!["x-test"], "yes");
  } finally {
    await server.shutdown();
  }
});

Deno.test("serverpush send --binary base64 sends and prints binary messages in base64", async () => {
  const { server, url } = echoServer();
  try {
    const send = startCli(["send", url, "--binary", "base64"], { stdin: true });
    await send.write("AAEC/w==\n");
    await until(() => send.stdout().includes("\n"), "the echo", 20_000);
    const { code, stdout } = await send.finished();
    strictEqual(code, 0);
    strictEqual(stdout, "AAEC/w==\n");
  } finally {
    await server.shutdown();
  }
});

Deno.test("serverpush send /close sends the code and reason", async () => {
  const { server, seen, url } = echoServer();
  try {
    const send = startCli(["send", url], { stdin: true });
    await send.write("/close 4001 done\n");
    const { code, stderr } = await send.finished();
    strictEqual(code, 1, stderr); // 4001 is not a normal close.
    match(stderr, /closed: 4001 done/);
    await until(() => seen.closes.length === 1, "the server to see the close");
    deepStrictEqual(seen.closes, [4001]);
  } finally {
    await server.shutdown();
  }
});

const SCRIPT_MISSING = (() => {
  try {
    new Deno.Command("script", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return undefined;
  } catch {
    return "script (util-linux) is not installed";
  }
})();
if (SCRIPT_MISSING !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the pseudo-terminal send test: ${SCRIPT_MISSING}`);
}

/**
 * `serverpush send URL` in a pseudo-terminal (under `script`), once it says
 * the session is open.
 */
async function startPtySend(url: string): Promise<CliProcess> {
  const main = new URL("../../cli/main.ts", import.meta.url).pathname;
  const send = startCli(
    [
      "-q",
      "-e",
      "-c",
      `exec ${Deno.execPath()} run -A ${main} send ${url}`,
      "/dev/null",
    ],
    { command: "script", stdin: true, env: PTY_ENV },
  );
  await until(
    () => send.stdout().includes("connected to"),
    "the session to open",
    20_000,
  );
  return send;
}

Deno.test({
  name:
    "serverpush send in a pseudo-terminal: typed lines echo with a '< ' prefix, Ctrl-D closes",
  ignore: SCRIPT_MISSING !== undefined,
  async fn() {
    const { server, seen, url } = echoServer();
    try {
      const send = await startPtySend(url);
      await send.write("typed line\r");
      await until(
        () => send.stdout().includes("< typed line"),
        "the echo",
        20_000,
      );
      await send.write("/ping\r");
      await until(() => send.stdout().includes("pong ("), "the pong", 20_000);
      await send.write("\x04"); // Ctrl-D: end of input on a terminal.
      const { code, stdout } = await send.finished();
      strictEqual(code, 0, stdout);
      match(stdout, /closed: 1000/);
      deepStrictEqual(seen.closes, [1000]);
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name:
    "serverpush send in a pseudo-terminal: Ctrl-C closes the session with 1000",
  ignore: SCRIPT_MISSING !== undefined,
  async fn() {
    const { server, seen, url } = echoServer();
    try {
      const send = await startPtySend(url);
      await send.write("\x03"); // Ctrl-C: SIGINT from the terminal.
      await until(
        () => seen.closes.length === 1,
        "the server to see the close",
        20_000,
      );
      deepStrictEqual(seen.closes, [1000]);
      const { code, stdout } = await send.finished();
      strictEqual(code, 0, stdout);
      match(stdout, /closed: 1000/);
    } finally {
      await server.shutdown();
    }
  },
});
