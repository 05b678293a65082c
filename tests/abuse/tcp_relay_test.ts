// Copyright 2026 the serverpush authors. MIT license.
// Attacks on serveTcpPush (tests/abuse/fixtures/tcp_relay.ts): descriptor
// exhaustion, one address holding every slot, trickled bytes against the
// idle timeout, and a subscriber that never reads a busy topic.

import { match, ok, strictEqual } from "node:assert/strict";
import net from "node:net";
import { connect, type TestClient } from "../tcp/_client.ts";
import { until, within } from "../_wait.ts";
import {
  type AbuseServer,
  delay,
  MiB,
  mib,
  peakRssDuring,
  startFixture,
} from "./_harness.ts";

const UUID_REGEXP = /^[0-9a-f]{8}-[0-9a-f-]{27}$/;
const encoder = new TextEncoder();

/** Opens `count` connections that never read or write. */
async function openIdle(port: number, count: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  return conns;
}

function closeAll(conns: Iterable<{ close(): void }>): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Reads what the relay sends until it closes the connection. */
async function readToEnd(conn: Deno.TcpConn): Promise<string> {
  const buffer = new Uint8Array(256);
  const decoder = new TextDecoder();
  let text = "";
  try {
    let n: number | null;
    while ((n = await conn.read(buffer)) !== null) {
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch {
    // Reset by the relay, or closed here: the end either way.
  }
  return text;
}

/** Connects and reads the relay's first message (the id, or a refusal). */
async function firstMessage(port: number): Promise<[TestClient, string]> {
  const client = await connect(port);
  const message = await within(client.next(), "the relay's first message");
  return [client, message ?? "<closed>"];
}

/**
 * Connects from another loopback address (Linux routes all of 127/8 to lo)
 * and resolves with the relay's first message.
 */
function firstMessageFrom(port: number, localAddress: string): Promise<string> {
  return within(
    new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, localAddress });
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        text += chunk;
        const end = text.indexOf("\0");
        if (end >= 0) {
          socket.destroy();
          resolve(text.slice(0, end));
        }
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(text || "<closed>"));
    }),
    `the relay's first message to ${localAddress}`,
  );
}

/** The relay's open connections, from the fixture's stats port. */
async function relayConnections(server: AbuseServer): Promise<number> {
  const response = await fetch(
    `http://127.0.0.1:${server.ready.statsPort}/`,
  );
  return ((await response.json()) as { connections: number }).connections;
}

Deno.test("serveTcpPush survives more idle connections than it has descriptors", async () => {
  // Limits above the descriptor limit: accept() itself runs out of
  // descriptors (EMFILE), which the relay must ride out.
  await using server = await startFixture("tcp_relay", {
    fdLimit: 256,
    env: {
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
    ok(
      peak - before.rss < 64 * MiB,
      `RSS grew by ${mib(peak - before.rss)} with 400 idle connections`,
    );
    // The process is alive and answers (a rejected finished would have
    // ended it with code 3).
    await server.memory();
  } finally {
    closeAll(attackers);
  }
  // Once the attackers left, an honest client is served again.
  const [client, id] = await firstMessage(server.port);
  await client.close();
  match(id, UUID_REGEXP);
  await server.memory();
});

Deno.test("serveTcpPush refuses connections past maxConnections, below the descriptor limit", async () => {
  await using server = await startFixture("tcp_relay", {
    fdLimit: 256,
    env: {
      MAX_CONNECTIONS: "100",
      MAX_CONNECTIONS_PER_ADDRESS: "100000",
      PUBLISH_BYTES: "100",
      PUBLISH_EVERY: "20",
    },
  });
  // An honest subscriber, connected before the attack.
  const [honest, id] = await firstMessage(server.port);
  match(id, UUID_REGEXP);
  await honest.write("subscribe busy\0");
  await within(honest.next(), "a first message of topic busy");
  const before = await server.memory();
  const attackers: Deno.TcpConn[] = [];
  try {
    const { peak } = await peakRssDuring(server, async () => {
      attackers.push(...await openIdle(server.port, 400));
      // Wait until the relay has refused all it will: 301 (the honest
      // client holds one slot of 100). Each got the refusal, or during the
      // flood was closed without it.
      const answers: string[] = [];
      for (const conn of attackers) {
        void readToEnd(conn).then((text) => answers.push(text));
      }
      await until(() => answers.length >= 301, "301 refusals", 20_000);
      strictEqual(answers.length, 301);
      for (const text of answers) {
        ok(
          text === "" ||
            text ===
              "Cannot accept connection: the relay has 100 connections, the maxConnections limit\0",
          `unexpected answer ${JSON.stringify(text)}`,
        );
      }
      // A client past the cap gets the documented refusal.
      const [late, refusal] = await firstMessage(server.port);
      await late.close();
      strictEqual(
        refusal,
        "Cannot accept connection: the relay has 100 connections, the maxConnections limit",
      );
      // The honest subscriber is still served.
      for (let i = 0; i < 5; i++) {
        match(
          (await within(honest.next(), "topic busy during the attack"))!,
          /^\d+ x+$/,
        );
      }
    });
    ok(
      peak - before.rss < 64 * MiB,
      `RSS grew by ${mib(peak - before.rss)} with 400 connections`,
    );
    await server.memory();
  } finally {
    closeAll(attackers);
  }
  await honest.close();
  const [client, next] = await firstMessage(server.port);
  await client.close();
  match(next, UUID_REGEXP);
});

Deno.test("serveTcpPush bounds one address and closes clients that trickle bytes", async () => {
  await using server = await startFixture("tcp_relay", {
    env: { MAX_CONNECTIONS_PER_ADDRESS: "32", IDLE_TIMEOUT: "1000" },
  });
  const before = await server.memory();
  // 40 clients from 127.0.0.1 that each send one byte (never a whole
  // message) every 200 ms.
  const trickling = new Set<Deno.TcpConn>(await openIdle(server.port, 40));
  const refused: string[] = [];
  const gone = new Set<Deno.TcpConn>();
  const readers = [...trickling].map(async (conn) => {
    const text = await readToEnd(conn);
    gone.add(conn);
    if (text.startsWith("Cannot")) refused.push(text.slice(0, -1));
  });
  const { peak } = await peakRssDuring(server, async () => {
    // While they hold the address's slots, a client from another address
    // is served.
    match(await firstMessageFrom(server.port, "127.0.0.2"), UUID_REGEXP);
    // Trickle for at most 10 s; every one must be closed by then.
    for (let i = 0; i < 50 && gone.size < trickling.size; i++) {
      for (const conn of trickling) {
        if (!gone.has(conn)) {
          await conn.write(encoder.encode("x")).catch(() => 0);
        }
      }
      await delay(200);
    }
  });
  await Promise.all(readers);
  closeAll(trickling);
  strictEqual(gone.size, 40, "a trickling client is still connected");
  strictEqual(refused.length, 8);
  for (const text of refused) {
    strictEqual(
      text,
      'Cannot accept connection: address "127.0.0.1" has 32 connections, the maxConnectionsPerAddress limit',
    );
  }
  ok(
    peak - before.rss < 32 * MiB,
    `RSS grew by ${mib(peak - before.rss)}`,
  );
  // The address is free again.
  const [client, id] = await firstMessage(server.port);
  await client.close();
  match(id, UUID_REGEXP);
});

Deno.test("serveTcpPush bounds what a subscriber that never reads costs", async () => {
  const maxQueuedBytes = 2 * MiB;
  await using server = await startFixture("tcp_relay", {
    env: {
      STATS: "1",
      MAX_QUEUED_BYTES: String(maxQueuedBytes),
      // About 3 MB/s on topic busy.
      PUBLISH_BYTES: "16384",
      PUBLISH_EVERY: "5",
    },
  });
  const [honest] = await firstMessage(server.port);
  await honest.write("subscribe busy\0");
  await within(honest.next(), "a first message of topic busy");
  let honestReceived = 0;
  let reading = true;
  const honestReader = (async () => {
    while (reading && (await honest.next()) !== undefined) honestReceived++;
  })();
  await delay(500);
  const before = await server.memory();
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const { peak } = await peakRssDuring(server, async () => {
      await slow.write(encoder.encode("subscribe busy\0"));
      // The relay closes it once its queue passes maxQueuedBytes.
      const deadline = Date.now() + 20_000;
      while ((await relayConnections(server)) > 1) {
        ok(Date.now() < deadline, "the slow subscriber was never closed");
        await delay(200);
      }
    });
    ok(
      peak - before.rss < maxQueuedBytes + 12 * MiB,
      `RSS grew by ${
        mib(peak - before.rss)
      } for a subscriber that never reads (maxQueuedBytes ${
        mib(maxQueuedBytes)
      })`,
    );
  } finally {
    slow.close();
  }
  // The honest subscriber kept receiving, and still does.
  const received = honestReceived;
  await until(() => honestReceived > received + 10, "more honest messages");
  reading = false;
  await honest.close();
  await honestReader.catch(() => undefined);
  const after = await server.memory();
  ok(
    after.heapUsed + after.external <
      before.heapUsed + before.external + 4 * MiB,
    `heap ${mib(after.heapUsed + after.external)} after the attack, ${
      mib(before.heapUsed + before.external)
    } before`,
  );
});
