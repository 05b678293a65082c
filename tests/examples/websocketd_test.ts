// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import type { WsCloseInfo, WsConnection } from "@serverpush/serverpush/ws";
import {
  serveWebsocketd,
  type ServeWebsocketdOptions,
  type Websocketd,
} from "../../examples/websocketd/serve.ts";
import {
  bridgeProcess,
  type ProcessBridge,
} from "../../examples/websocketd/bridge.ts";
import { parseWebsocketdArgs } from "../../examples/websocketd.ts";

const GREETER = new URL("../../examples/websocketd/greeter.sh", import.meta.url)
  .pathname;
const CHAT = new URL("../../examples/websocketd/chat.sh", import.meta.url)
  .pathname;
const CLI = new URL("../../examples/websocketd.ts", import.meta.url).pathname;

/** A server on a free port that records every bridge it starts. */
function start(
  options: Omit<ServeWebsocketdOptions, "port">,
): Websocketd & { bridges: ProcessBridge[]; url: string } {
  const bridges: ProcessBridge[] = [];
  const server = serveWebsocketd({
    port: 0,
    onBridge: (bridge) => bridges.push(bridge),
    ...options,
  });
  return Object.assign(server, {
    bridges,
    url: `ws://127.0.0.1:${server.port}/`,
  });
}

interface Client {
  socket: WebSocket;
  /** Resolves on `open`, rejects if the socket closes first. */
  opened: Promise<void>;
  /** The next text message. */
  next(): Promise<string>;
  /** The next `count` text messages. */
  take(count: number): Promise<string[]>;
  /** How the socket closed, and the messages nobody took. */
  closed: Promise<{ code: number; reason: string; unread: string[] }>;
}

/** A browser-like client: Deno's own `WebSocket`. */
function connect(url: string): Client {
  const socket = new WebSocket(url);
  const queue: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  const opened = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<
    { code: number; reason: string; unread: string[] }
  >();
  socket.onopen = () => opened.resolve();
  socket.onmessage = (event) => {
    const take = waiting.shift();
    if (take === undefined) queue.push(event.data);
    else take(event.data);
  };
  socket.onclose = (event) => {
    opened.reject(new Error(`closed before open: ${event.code}`));
    closed.resolve({ code: event.code, reason: event.reason, unread: queue });
    for (const take of waiting.splice(0)) take(`<closed ${event.code}>`);
  };
  opened.promise.catch(() => {});
  function next(): Promise<string> {
    const message = queue.shift();
    if (message !== undefined) return Promise.resolve(message);
    if (socket.readyState === WebSocket.CLOSED) {
      return Promise.resolve("<closed>");
    }
    return new Promise((resolve) => waiting.push(resolve));
  }
  async function take(count: number): Promise<string[]> {
    const messages: string[] = [];
    for (let i = 0; i < count; i++) messages.push(await next());
    return messages;
  }
  return { socket, opened: opened.promise, next, take, closed: closed.promise };
}

/** Whether a process with this id exists (a signal 0 check). */
function processExists(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("websocketd greeter answers each line with Hello <line>!", async () => {
  await using server = start({ command: "sh", args: [GREETER] });
  const client = connect(server.url);
  await client.opened;
  client.socket.send("Ann");
  strictEqual(await client.next(), "Hello Ann!");
  // A message holding a line feed is two lines.
  client.socket.send("Bob\nCy");
  deepStrictEqual(await client.take(2), ["Hello Bob!", "Hello Cy!"]);
  client.socket.close(1000);
  strictEqual((await client.closed).code, 1000);
});

Deno.test("websocketd chat users see each other's lines and a newcomer the last five", async () => {
  const dir = await Deno.makeTempDir({ prefix: "websocketd_chat_" });
  try {
    const log = `${dir}/chat.log`;
    await using server = start({ command: "sh", args: [CHAT, log] });
    const ann = connect(server.url);
    await ann.opened;
    ann.socket.send("Ann: hi");
    strictEqual(await ann.next(), "Ann: hi");

    // Bob's tail starts after Ann's line is in the log: it shows it first.
    const bob = connect(server.url);
    strictEqual(await bob.next(), "Ann: hi");
    bob.socket.send("Bob: hello Ann");
    strictEqual(await bob.next(), "Bob: hello Ann");
    strictEqual(await ann.next(), "Bob: hello Ann");

    const lines = ["one", "two", "three", "four", "five"].map((n) =>
      `Ann: ${n}`
    );
    for (const line of lines) ann.socket.send(line);
    deepStrictEqual(await ann.take(5), lines);
    deepStrictEqual(await bob.take(5), lines);

    const cy = connect(server.url);
    deepStrictEqual(await cy.take(5), lines);

    for (const client of [ann, bob, cy]) client.socket.close(1000);
    await Promise.all([ann.closed, bob.closed, cy.closed]);
    const results = await Promise.all(server.bridges.map((b) => b.finished));
    deepStrictEqual(results.map((r) => r.status.signal), [
      "SIGTERM",
      "SIGTERM",
      "SIGTERM",
    ]);
    strictEqual(
      await Deno.readTextFile(log),
      ["Ann: hi", "Bob: hello Ann", ...lines].join("\n") + "\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("websocketd closes with 1000 and reason exit 0 when the command succeeds", async () => {
  await using server = start({ command: "sh", args: ["-c", "echo done"] });
  const client = connect(server.url);
  strictEqual(await client.next(), "done");
  deepStrictEqual(await client.closed, {
    code: 1000,
    reason: "exit 0",
    unread: [],
  });
});

Deno.test("websocketd closes with 1011 and reason exit <code> when the command fails", async () => {
  await using server = start({
    command: "sh",
    args: ["-c", 'read -r line; echo "got $line"; exit 3'],
  });
  const client = connect(server.url);
  await client.opened;
  client.socket.send("x");
  deepStrictEqual(await client.closed, {
    code: 1011,
    reason: "exit 3",
    unread: ["got x"],
  });
  const { status } = await server.bridges[0]!.finished;
  strictEqual(status.code, 3);
});

Deno.test("websocketd stops the command with SIGTERM when the client closes", async () => {
  await using server = start({ command: "sh", args: ["-c", "exec sleep 30"] });
  const client = connect(server.url);
  await client.opened;
  const bridge = server.bridges[0]!;
  ok(processExists(bridge.pid));
  client.socket.close(1000);
  await client.closed;
  const { status, closed } = await bridge.finished;
  strictEqual(status.signal, "SIGTERM");
  strictEqual(closed.code, 1000);
  strictEqual(processExists(bridge.pid), false);
  strictEqual(server.processes, 0);
});

Deno.test("websocketd kills a command that ignores SIGTERM with SIGKILL", async () => {
  await using server = start({
    command: "sh",
    // An ignored signal stays ignored across exec.
    args: ["-c", "trap '' TERM; echo ready; exec sleep 30"],
    killGraceMs: 50,
  });
  const client = connect(server.url);
  strictEqual(await client.next(), "ready");
  client.socket.close(1000);
  const { status } = await server.bridges[0]!.finished;
  strictEqual(status.signal, "SIGKILL");
  strictEqual(processExists(server.bridges[0]!.pid), false);
});

Deno.test("websocketd refuses connections beyond maxProcesses with 503", async () => {
  await using server = start({
    command: "sh",
    args: [GREETER],
    maxProcesses: 1,
  });
  const first = connect(server.url);
  await first.opened;

  // A WebSocket cannot see the status: the connection just does not open.
  const refused = connect(server.url);
  await rejects(refused.opened);
  await refused.closed;
  const response = await fetch(`http://127.0.0.1:${server.port}/`);
  strictEqual(response.status, 503);
  strictEqual(response.headers.get("retry-after"), "1");
  await response.body?.cancel();
  strictEqual(server.bridges.length, 1);

  // Once the first process has gone, a new connection gets one.
  first.socket.close(1000);
  await server.bridges[0]!.finished;
  const second = connect(server.url);
  await second.opened;
  second.socket.send("Bo");
  strictEqual(await second.next(), "Hello Bo!");
  second.socket.close(1000);
  await second.closed;
});

Deno.test("websocketd closes with 1009 and stops the command on an overlong stdout line", async () => {
  await using server = start({
    command: "sh",
    // The long line never ends: the bridge must not wait for its LF.
    args: [
      "-c",
      "echo short; head -c 100 /dev/zero | tr '\\0' x; exec sleep 30",
    ],
    maxLineBytes: 16,
  });
  const client = connect(server.url);
  const closed = await client.closed;
  strictEqual(closed.code, 1009);
  deepStrictEqual(closed.unread, ["short"]);
  const { status } = await server.bridges[0]!.finished;
  strictEqual(status.signal, "SIGTERM");
});

Deno.test("websocketd closes with 1003 on a binary message", async () => {
  await using server = start({ command: "sh", args: [GREETER] });
  const client = connect(server.url);
  await client.opened;
  client.socket.send(new Uint8Array([1, 2, 3]));
  strictEqual((await client.closed).code, 1003);
  await server.bridges[0]!.finished;
});

Deno.test("websocketd closes with 1011 when the command cannot start", async () => {
  const errors: unknown[] = [];
  await using server = start({
    command: "/nonexistent/websocketd-command",
    onError: (error) => errors.push(error),
  });
  const client = connect(server.url);
  const closed = await client.closed;
  strictEqual(closed.code, 1011);
  strictEqual(closed.reason, "Cannot start command");
  ok(errors[0] instanceof Deno.errors.NotFound);
  strictEqual(server.processes, 0);
});

Deno.test("bridgeProcess stops reading stdout while a send() waits", async () => {
  // A client that never takes anything: every send() stays pending.
  let sends = 0;
  const firstSend = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<WsCloseInfo>();
  const readable = new ReadableStream<string | Uint8Array>({
    start(controller): void {
      void closed.promise.then(() => controller.close());
    },
  });
  const connection: WsConnection = {
    readable,
    send(): Promise<void> {
      sends++;
      firstSend.resolve();
      return closed.promise.then(() => {
        throw new DOMException("closed", "InvalidStateError");
      });
    },
    close(code = 1005, reason = ""): Promise<void> {
      closed.resolve({ code, reason, wasClean: true });
      return closed.promise.then(() => {});
    },
    closed: closed.promise,
    protocol: "",
    extensions: "",
    bufferedAmount: 0,
    [Symbol.asyncIterator]: () => readable.values(),
  };
  // `yes` writes lines as fast as the pipe takes them.
  const bridge = bridgeProcess(connection, "yes", { stderr: "null" });
  await firstSend.promise;
  await new Promise((resolve) => setTimeout(resolve, 200));
  strictEqual(sends, 1);
  await connection.close(1000);
  const { status } = await bridge.finished;
  // The bridge closes the pipe and sends SIGTERM; `yes` may die of either.
  ok(
    status.signal === "SIGTERM" || status.signal === "SIGPIPE",
    `expected SIGTERM or SIGPIPE, got ${status.signal}`,
  );
});

Deno.test("websocketd CLI prints listening on N and exits on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--port", "0", "--", "sh", GREETER],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    output += value;
  }
  const match = /^listening on (\d+)\n$/.exec(output);
  ok(match, `unexpected output ${JSON.stringify(output)}`);

  const client = connect(`ws://127.0.0.1:${match[1]}/`);
  await client.opened;
  client.socket.send("Ann");
  strictEqual(await client.next(), "Hello Ann!");

  child.kill("SIGTERM");
  const closed = await client.closed;
  strictEqual(closed.code, 1001);
  strictEqual(closed.reason, "server shutting down");
  while (!(await lines.read()).done);
  const status = await child.status;
  strictEqual(status.code, 0);
});

Deno.test("parseWebsocketdArgs reads the options and the command after --", () => {
  deepStrictEqual(
    parseWebsocketdArgs([
      "--port",
      "8080",
      "--hostname",
      "0.0.0.0",
      "--max-processes",
      "2",
      "--max-line-bytes",
      "100",
      "--allow-origin",
      "http://127.0.0.1:8000",
      "--quiet-stderr",
      "--",
      "sh",
      "-c",
      "echo --port",
    ]),
    {
      command: "sh",
      args: ["-c", "echo --port"],
      port: 8080,
      hostname: "0.0.0.0",
      maxProcesses: 2,
      maxLineBytes: 100,
      origins: ["http://127.0.0.1:8000"],
      stderr: "null",
    },
  );
  throws(() => parseWebsocketdArgs(["--port", "1"]), /no command after "--"/);
  throws(
    () => parseWebsocketdArgs(["--max-processes", "0", "--", "cat"]),
    /"--max-processes" takes an integer of at least 1/,
  );
  throws(
    () => parseWebsocketdArgs(["--bogus", "1", "--", "cat"]),
    /unknown option/,
  );
});
