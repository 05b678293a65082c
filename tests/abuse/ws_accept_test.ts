// Copyright 2026 the serverpush authors. MIT license.
// Descriptor exhaustion against serveWebSocket's accept loop
// (tests/abuse/fixtures/ws_accept.ts).

import { ok, strictEqual } from "node:assert/strict";
import { connectWebSocket } from "../../ws/connect_web_socket.ts";
import { within } from "../_wait.ts";
import { delay, MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";

Deno.test("serveWebSocket survives more idle connections than it has descriptors", async () => {
  await using server = await startFixture("ws_accept", { fdLimit: 256 });
  const before = await server.memory();
  const attackers: Deno.TcpConn[] = [];
  try {
    const { peak } = await peakRssDuring(server, async () => {
      // Idle connections that never send a request head.
      for (let i = 0; i < 400; i++) {
        attackers.push(
          await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
        );
      }
      await delay(1500);
    });
    ok(
      peak - before.rss < 64 * MiB,
      `RSS grew by ${mib(peak - before.rss)} with 400 idle connections`,
    );
    // Alive (a rejected finished would have ended it with code 3).
    await server.memory();
  } finally {
    for (const conn of attackers) conn.close();
  }
  // Once they left, an honest client is served.
  const client = await within(
    connectWebSocket(`ws://127.0.0.1:${server.port}/`),
    "the honest client to connect",
  );
  await client.send("still here");
  for await (const message of client) {
    strictEqual(message, "still here");
    break;
  }
  await client.closed;
});
