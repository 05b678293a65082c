// Copyright 2026 the serverpush authors. MIT license.
// Attacks on serveTcpPush (tests/abuse/fixtures/tcp_relay.ts).

import { ok, strictEqual } from "node:assert/strict";
import { connect, type TestClient } from "../tcp/_client.ts";
import { within } from "../_wait.ts";
import { delay, MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";

/** Opens `count` connections that never read or write. */
async function openIdle(port: number, count: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  return conns;
}

function closeAll(conns: Deno.TcpConn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Connects and reads the relay's first message (the id, or a refusal). */
async function firstMessage(port: number): Promise<[TestClient, string]> {
  const client = await connect(port);
  const message = await within(client.next(), "the relay's first message");
  return [client, message ?? "<closed>"];
}

const UUID_REGEXP = /^[0-9a-f-]{36}$/;

Deno.test("serveTcpPush survives more idle connections than it has descriptors", async () => {
  // Limits above the descriptor limit: accept() itself runs out of
  // descriptors (EMFILE), which the relay must ride out.
  await using server = await startFixture("tcp_relay", {
    fdLimit: 256,
    env: {
      DENO_NO_UPDATE_CHECK: "1",
      MAX_CONNECTIONS: "100000",
      MAX_CONNECTIONS_PER_ADDRESS: "100000",
    },
  });
  const before = await server.memory();
  const attackers: Deno.TcpConn[] = [];
  try {
    const { peak } = await peakRssDuring(server, async () => {
      attackers.push(...await openIdle(server.port, 400));
      // Give the relay time to hit the limit and retry a few times.
      await delay(1500);
    });
    // The process is alive: it answers, and its memory stayed bounded.
    await server.memory();
    ok(
      peak - before.rss < 64 * MiB,
      `RSS grew by ${mib(peak - before.rss)} with 400 idle connections`,
    );
  } finally {
    closeAll(attackers);
  }
  // Once the attackers left, an honest client is served again.
  const [client, id] = await firstMessage(server.port);
  await client.close();
  ok(UUID_REGEXP.test(id), `expected an id, got ${JSON.stringify(id)}`);
  // Still alive (a rejected finished ends the fixture with code 3).
  await server.memory();
});
