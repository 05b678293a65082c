// Copyright 2026 the serverpush authors. MIT license.
// Clients of acceptWebSocket (Deno's native engine) that never read, on a
// server whose application does not wait for send(): each is refused at
// maxBufferedBytes and closed with 1008, and once closeTimeout has passed
// the wrapper and the application hold nothing of it. Deno itself keeps
// such a socket (its descriptor and the bytes already handed to it) until
// the peer answers the close or leaves: no public API aborts it (see the
// report in the README's Limits); this measures what that costs.

import { ok } from "node:assert/strict";
import { delay, MiB, mib, startFixture } from "./_harness.ts";
import { within } from "../_wait.ts";
import { rawUpgrade } from "../_raw_socket.ts";

const PEERS = 40;
/** maxBufferedBytes of the fixture (acceptWebSocket's default). */
const LIMIT = 1 * MiB;
const MESSAGE = 64 * 1024;

const encoder = new TextEncoder();

function note(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`  ${text}\n`));
}

function fdsOf(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** A WebSocket on a raw connection that reads the 101 head, then nothing. */
async function neverReader(port: number): Promise<Deno.TcpConn> {
  const { conn, head } = await rawUpgrade(port, "/flood");
  ok(head.startsWith("HTTP/1.1 101"), head);
  return conn;
}

Deno.test("abuse: native WebSockets cut as slow readers that never answer the close hold only Deno's socket", async () => {
  await using server = await startFixture("native_slow_readers");
  const honest = new WebSocket(`ws://127.0.0.1:${server.port}/tick`);
  let ticks = 0;
  honest.onmessage = () => ticks++;
  await within(
    new Promise((resolve) => honest.onopen = resolve),
    "the honest client",
  );
  // Warm the allocators up with a few peers first, then measure.
  const warm = await Promise.all(
    Array.from({ length: 4 }, () => neverReader(server.port)),
  );
  await delay(2_500);
  for (const conn of warm) conn.close();
  await delay(500);
  const baseline = await server.memory();
  const baseFds = fdsOf(server.pid);

  const peers = await Promise.all(
    Array.from({ length: PEERS }, () => neverReader(server.port)),
  );
  // Refused within a few sends, then closeTimeout (1 s), and a margin.
  const before = ticks;
  await delay(3_500);
  const held = await server.memory();
  const heldFds = fdsOf(server.pid) - baseFds;
  const during = ticks - before;
  note(
    `${PEERS} peers cut, past closeTimeout: server descriptors +${heldFds}, RSS +${
      mib(held.rss - baseline.rss)
    } (${mib((held.rss - baseline.rss) / PEERS)} each), heap +${
      mib(held.heapUsed - baseline.heapUsed)
    }, external +${mib(held.external - baseline.external)}`,
  );
  for (const conn of peers) conn.close();
  await delay(1_000);
  const after = await server.memory();
  const afterFds = fdsOf(server.pid) - baseFds;
  note(
    `after the peers left: descriptors +${afterFds}, RSS +${
      mib(after.rss - baseline.rss)
    }, heap +${mib(after.heapUsed - baseline.heapUsed)}`,
  );
  const tickBefore = ticks;
  await delay(300);
  ok(ticks > tickBefore, "the honest client still gets messages");
  honest.close();

  ok(during > 0, "the honest client got nothing while the peers were held");
  // What remains is Deno's: the bytes handed over (at most the limit plus
  // one message) and its socket; the wrapper and the application hold
  // nothing, so the heap grows by a few KiB per socket at most.
  const rssBound = PEERS * (LIMIT + MESSAGE + 512 * 1024) + 16 * MiB;
  ok(
    held.rss - baseline.rss < rssBound,
    `RSS grew by ${mib(held.rss - baseline.rss)}, bound ${mib(rssBound)}`,
  );
  const heapBound = PEERS * 16 * 1024 + 2 * MiB;
  ok(
    held.heapUsed + held.external - baseline.heapUsed - baseline.external <
      heapBound,
    `heap and external grew by ${
      mib(held.heapUsed + held.external - baseline.heapUsed - baseline.external)
    }, bound ${mib(heapBound)}`,
  );
  // Once the peers leave, Deno releases the sockets too.
  ok(afterFds < 5, `${afterFds} descriptors still open after the peers left`);
  ok(
    after.heapUsed < baseline.heapUsed + 2 * MiB,
    `heap ${mib(after.heapUsed)} after, ${mib(baseline.heapUsed)} before`,
  );
});
