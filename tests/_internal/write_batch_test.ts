// Copyright 2026 the serverpush authors. MIT license.
// The fan-out's held writes: made after the loop, in order, whatever
// happens in it; and, through the native engine's connection, a close made
// in the loop goes after the sends before it.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { batchWrites, holdWrite } from "../../_internal/write_batch.ts";
import { Hub } from "../../hub/mod.ts";
import { hubWebSocketHandler } from "../../serve/mod.ts";
import { socketConnection } from "../../ws/_socket_connection.ts";
import { FakeSocket, tick } from "../ws/_fake_socket.ts";

function record(log: string[], name: string, mark: string): void {
  log.push(`${name}:${mark}`);
}

Deno.test("holdWrite outside a batch holds nothing", () => {
  const log: string[] = [];
  strictEqual(holdWrite(record, log, "x", ""), false);
  deepStrictEqual(log, []);
});

Deno.test("batchWrites makes the held writes after the loop, in order; a nested batch joins", () => {
  const log: string[] = [];
  batchWrites(() => {
    strictEqual(holdWrite(record, log, "a", "1"), true);
    batchWrites(() => {
      strictEqual(holdWrite(record, log, "b", "2"), true);
    });
    log.push("loop done");
    strictEqual(holdWrite(record, log, "c", "3"), true);
  });
  deepStrictEqual(log, ["loop done", "a:1", "b:2", "c:3"]);
  // The batch is over: writes go at once again.
  strictEqual(holdWrite(record, log, "d", ""), false);
});

Deno.test("batchWrites makes the held writes when the loop throws, and a write that throws keeps no other back", () => {
  const log: string[] = [];
  const fail = (): void => {
    throw new Error("write failed");
  };
  throws(
    () =>
      batchWrites(() => {
        holdWrite(record, log, "a", "");
        holdWrite(fail, undefined, undefined, undefined);
        holdWrite(record, log, "b", "");
        throw new RangeError("loop failed");
      }),
    RangeError,
  );
  deepStrictEqual(log, ["a:", "b:"]);
});

Deno.test("a hub fan-out sends every subscriber its message, and a close made in a batch goes after the sends held before it", async () => {
  const hub = new Hub();
  const handler = hubWebSocketHandler(hub, { prefix: "/hub" });
  const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
  const connections = sockets.map((socket) => {
    socket.readyState = 1;
    const connection = socketConnection(socket.asWebSocket, {});
    void handler(connection, new Request("http://127.0.0.1/hub/news"));
    return connection;
  });
  await tick();
  const id = await hub.publish("news", { data: "one" });
  for (const socket of sockets) {
    deepStrictEqual(socket.sent.map((text) => JSON.parse(text as string)), [
      { id, data: "one" },
    ]);
  }
  // A close during a batch waits behind the sends held before it.
  const socket = sockets[0]!;
  batchWrites(() => {
    void connections[0]!.send("last");
    void connections[0]!.close(1000);
    strictEqual(socket.calls.length, 1);
  });
  deepStrictEqual(socket.calls.slice(1).map((call) => call.kind), [
    "send",
    "close",
  ]);
  strictEqual(socket.calls[1]!.data, "last");
  for (const each of sockets) each.finish(1000);
  await hub.close();
});
