// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  CodecWebSocket,
  type CodecWebSocketCloseEvent,
  serveWebSocket,
} from "../../ws/mod.ts";
import { within } from "../_wait.ts";

function closeEvent(socket: CodecWebSocket): Promise<CodecWebSocketCloseEvent> {
  return new Promise((resolve) => {
    socket.onclose = resolve;
  });
}

Deno.test("CodecWebSocket echoes text and binary through a server, then closes cleanly", async () => {
  await using server = serveWebSocket(
    { protocols: ["chat"] },
    async (connection) => {
      for await (const message of connection) await connection.send(message);
    },
  );
  const socket = new CodecWebSocket(
    `ws://127.0.0.1:${server.addr.port}/`,
    "chat",
  );
  strictEqual(socket.readyState, CodecWebSocket.CONNECTING);
  throws(
    () => socket.send("early"),
    (error) =>
      error instanceof DOMException && error.name === "InvalidStateError",
  );
  const received: (string | Uint8Array)[] = [];
  const two = new Promise<void>((resolve) => {
    socket.onmessage = (event) => {
      received.push(event.data);
      if (received.length === 2) resolve();
    };
  });
  await within(
    new Promise<void>((resolve) => {
      socket.onopen = resolve;
    }),
    "open",
  );
  strictEqual(socket.readyState, CodecWebSocket.OPEN);
  strictEqual(socket.protocol, "chat");
  socket.send("text");
  socket.send(new Uint8Array([1, 2, 3]));
  await within(two, "two messages");
  deepStrictEqual(received, ["text", new Uint8Array([1, 2, 3])]);
  const closed = closeEvent(socket);
  socket.close(4000, "bye");
  strictEqual(socket.readyState, CodecWebSocket.CLOSING);
  // The server's close frame: our code echoed, without the reason.
  deepStrictEqual(await within(closed, "close"), {
    code: 4000,
    reason: "",
    wasClean: true,
  });
  strictEqual(socket.readyState, CodecWebSocket.CLOSED);
});

Deno.test("CodecWebSocket reports a refused connection through onerror and onclose 1006", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const socket = new CodecWebSocket(`ws://127.0.0.1:${port}/`);
  const errors: unknown[] = [];
  socket.onerror = (event) => errors.push(event.error);
  socket.onopen = () => errors.push("opened");
  deepStrictEqual(await within(closeEvent(socket), "close"), {
    code: 1006,
    reason: "",
    wasClean: false,
  });
  strictEqual(errors.length, 1);
  ok(errors[0] instanceof Error, String(errors[0]));
  strictEqual(socket.readyState, CodecWebSocket.CLOSED);
});

Deno.test("CodecWebSocket closed while connecting never opens and closes with its code", async () => {
  let handled = 0;
  await using server = serveWebSocket({}, async (connection) => {
    handled++;
    await connection.closed;
  });
  const socket = new CodecWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  let opened = false;
  socket.onopen = () => opened = true;
  socket.close(4001);
  const closed = await within(closeEvent(socket), "close");
  strictEqual(closed.code, 4001);
  strictEqual(opened, false);
  strictEqual(handled, 1);
});

Deno.test("CodecWebSocket keeps reading after onmessage throws, reporting it to onerror", async () => {
  await using server = serveWebSocket({}, async (connection) => {
    await connection.send("one");
    await connection.send("two");
    await connection.closed;
  });
  const socket = new CodecWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  const errors: unknown[] = [];
  socket.onerror = (event) => errors.push(event.error);
  const seen: unknown[] = [];
  const second = new Promise<void>((resolve) => {
    socket.onmessage = (event) => {
      seen.push(event.data);
      if (seen.length === 2) resolve();
      if (event.data === "one") throw new Error("handler failed");
    };
  });
  await within(second, "two messages");
  deepStrictEqual(seen, ["one", "two"]);
  strictEqual((errors[0] as Error).message, "handler failed");
  const closed = closeEvent(socket);
  socket.close();
  strictEqual((await within(closed, "close")).code, 1005);
});
