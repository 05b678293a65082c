// Copyright 2026 the serverpush authors. MIT license.
// Attacks on the hub's serverpush.v1 WebSocket sessions by clients that
// never read: every answer, error and replayed message the server queues
// for such a peer counts against the connection's maxBufferedBytes (1 MiB in
// the hub handler), so the server grows by about that, not by what the
// attacker sends.

import { ok } from "node:assert/strict";
import { encodeFrame } from "../../ws/encode_frame.ts";
import {
  type AbuseServer,
  delay,
  MiB,
  mib,
  peakRssDuring,
  startFixture,
} from "./_harness.ts";
import { within } from "../_wait.ts";
import { rawUpgrade } from "../_raw_socket.ts";

/** Buffer limit of the hub handler's WebSockets. */
const LIMIT = 1 * MiB;

const encoder = new TextEncoder();

/** Writes one line of figures to stderr (what the attack cost). */
function note(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`  ${text}\n`));
}

function textFrame(text: string): Uint8Array {
  return encodeFrame({
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: 1,
    payload: encoder.encode(text),
  }, { mask: true });
}

/**
 * Opens a serverpush.v1 WebSocket on a raw TCP connection, reads the 101
 * head and then never reads again; sends `frames` in a loop for `ms`.
 * Returns the bytes sent; the connection stays open until `close()`.
 */
async function neverReader(
  port: number,
  path = "/hub/",
): Promise<
  { conn: Deno.TcpConn; flood(frames: Uint8Array, ms: number): Promise<number> }
> {
  const { conn, head } = await rawUpgrade(
    port,
    path,
    path === "/hub/" ? ["Sec-WebSocket-Protocol: serverpush.v1"] : [],
  );
  ok(head.startsWith("HTTP/1.1 101"), head);
  return {
    conn,
    async flood(frames, ms): Promise<number> {
      const end = Date.now() + ms;
      let sent = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), ms);
      });
      try {
        while (Date.now() < end) {
          let offset = 0;
          while (offset < frames.length) {
            // A server that stops reading blocks the write: the attack
            // then waits out its time with the write pending.
            const write = conn.write(frames.subarray(offset));
            write.catch(() => {});
            const written = await Promise.race([write, deadline]);
            if (written === "late") return sent + offset;
            offset += written;
          }
          sent += frames.length;
        }
      } catch (error) {
        // The server may cut the connection: the attack is over.
        if (
          !(error instanceof Deno.errors.ConnectionReset ||
            error instanceof Deno.errors.BrokenPipe)
        ) throw error;
        await deadline;
      } finally {
        clearTimeout(timer);
      }
      return sent;
    },
  };
}

/** An honest serverpush.v1 client of topic "news" that counts messages. */
async function honestClient(port: number): Promise<{
  count(): number;
  close(): Promise<void>;
}> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/hub/`, "serverpush.v1");
  let messages = 0;
  socket.onmessage = (event) => {
    if (String(event.data).startsWith('{"type":"message"')) messages++;
  };
  await within(
    new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    }),
    "the honest client to open",
  );
  socket.send(JSON.stringify({ type: "subscribe", topic: "news" }));
  return {
    count: () => messages,
    async close() {
      const closed = new Promise((resolve) => socket.onclose = resolve);
      socket.close();
      await within(closed, "the honest client to close");
    },
  };
}

/**
 * The same requests from a client that reads everything, for `ms`: warms
 * the server's allocators up to the rate of the attack (their first use
 * costs tens of MiB of RSS, kept for reuse), so that what the attack then
 * adds is what it makes the server hold.
 */
async function warmUp(
  port: number,
  frames: Uint8Array,
  ms: number,
  path: string,
): Promise<void> {
  const client = await neverReader(port, path);
  const buffer = new Uint8Array(64 * 1024);
  const reading = (async () => {
    try {
      while (await client.conn.read(buffer) !== null) {
        // Discard.
      }
    } catch {
      // Closed below.
    }
  })();
  await client.flood(frames, ms);
  client.conn.close();
  await reading;
}

async function attack(
  server: AbuseServer,
  frames: Uint8Array,
  attackers: number,
  path = "/hub/",
  heldPerAttacker = 2 * LIMIT + 64 * 1024,
): Promise<void> {
  await Promise.all(
    Array.from(
      { length: attackers },
      () => warmUp(server.port, frames, 3_000, path),
    ),
  );
  await delay(500);
  const baseline = await server.memory();
  const honest = await honestClient(server.port);
  const clients = await Promise.all(
    Array.from({ length: attackers }, () => neverReader(server.port, path)),
  );
  const { peak, result } = await peakRssDuring(
    server,
    async () => {
      const before = honest.count();
      const flooding = Promise.all(
        clients.map((client) => client.flood(frames, 8_000)),
      );
      // What the attack holds, measured while it goes on.
      await delay(6_000);
      const held = await server.memory();
      const totals = await flooding;
      return {
        sent: totals.reduce((a, b) => a + b, 0),
        during: honest.count() - before,
        held,
      };
    },
  );
  const { sent, during, held } = result;
  note(
    `while attacked, after a collection: RSS ${mib(held.rss)}, heap ${
      mib(held.heapUsed)
    }, external ${mib(held.external)}`,
  );
  const growth = peak - baseline.rss;
  note(
    `sent ${mib(sent)} from ${attackers} clients; server RSS ${
      mib(baseline.rss)
    } -> peak ${mib(peak)} (growth ${mib(growth)})`,
  );
  note(`honest client: ${during} messages during the attack`);
  for (const client of clients) client.conn.close();
  const before = honest.count();
  await delay(500);
  ok(honest.count() > before, "the honest client still gets messages");
  await honest.close();
  await delay(500);
  const after = await server.memory();
  note(
    `after the attackers left: RSS ${mib(after.rss)}, heap ${
      mib(after.heapUsed)
    } (baseline heap ${mib(baseline.heapUsed)})`,
  );
  ok(during > 0, "the honest client got no message during the attack");
  // Per attacker: the buffer limit plus one message, and the requests
  // waiting while the session waits for the peer (bounded by the same
  // limit); on top, what RSS shows of the allocators' churn while the
  // server handles the attack (measured 4 to 44 MiB in all on a loaded
  // machine, against 1.3 to 1.6 GiB before the bound).
  const bound = attackers * (2 * LIMIT + 64 * 1024) + 64 * MiB;
  ok(growth < bound, `server grew by ${mib(growth)}, bound ${mib(bound)}`);
  // The tight bound: what the server holds, after a collection, while
  // the attack goes on.
  const heldBytes = held.heapUsed + held.external -
    (baseline.heapUsed + baseline.external);
  const heldBound = attackers * heldPerAttacker + 16 * MiB;
  ok(
    heldBytes < heldBound,
    `the server held ${mib(heldBytes)} during the attack, bound ${
      mib(heldBound)
    }`,
  );
  ok(
    after.heapUsed < baseline.heapUsed + 8 * MiB,
    `heap ${mib(after.heapUsed)} after, ${mib(baseline.heapUsed)} before`,
  );
  ok(
    after.rss < baseline.rss + bound,
    `RSS ${mib(after.rss)} after, ${mib(baseline.rss)} before`,
  );
}

/** `n` copies of the frames of `texts`, as one buffer. */
function repeated(texts: string[], n: number): Uint8Array {
  const one = texts.map(textFrame);
  const size = one.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(size * n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    for (const frame of one) {
      out.set(frame, offset);
      offset += frame.length;
    }
  }
  return out;
}

Deno.test("abuse: serverpush.v1 subscribe/unsubscribe flood from a client that never reads", async () => {
  await using server = await startFixture("hub_ws_session");
  const frames = repeated([
    JSON.stringify({ type: "subscribe", topic: "t" }),
    JSON.stringify({ type: "unsubscribe", topic: "t" }),
  ], 2000);
  await attack(server, frames, 2);
});

Deno.test("abuse: serverpush.v1 re-subscribe with since against a full replay window, never reading", async () => {
  await using server = await startFixture("hub_ws_session");
  const frames = repeated([
    JSON.stringify({ type: "subscribe", topic: "full", since: "0" }),
    JSON.stringify({ type: "unsubscribe", topic: "full" }),
  ], 1000);
  await attack(server, frames, 2);
});

// The same attacks on the codec engine (serveWebSocket with
// hubWebSocketHandler): the session reads nothing more while an answer
// waits, so the requests stay in the connection and TCP holds the rest
// back; the bound is the same. (Before the codec engine counted a frame's
// bookkeeping in bufferedAmount, this attack held about 11 MiB per client:
// some 27,000 tiny answer frames waiting in the sender, about 400 bytes of
// heap each for the 50 that counted.)

Deno.test("abuse: serverpush.v1 subscribe/unsubscribe flood on the codec engine from a client that never reads", async () => {
  await using server = await startFixture("hub_ws_session_codec");
  const frames = repeated([
    JSON.stringify({ type: "subscribe", topic: "t" }),
    JSON.stringify({ type: "unsubscribe", topic: "t" }),
  ], 2000);
  await attack(server, frames, 2);
});

Deno.test("abuse: serverpush.v1 re-subscribe with since against a full replay window on the codec engine, never reading", async () => {
  await using server = await startFixture("hub_ws_session_codec");
  const frames = repeated([
    JSON.stringify({ type: "subscribe", topic: "full", since: "0" }),
    JSON.stringify({ type: "unsubscribe", topic: "full" }),
  ], 1000);
  await attack(server, frames, 2);
});
