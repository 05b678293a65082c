// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints the memory measured
// `serve` on Deno, Node and Bun, with a handler that accepts a WebSocket and
// never reads it (or reads it with a `forEachMessage` handler that never
// finishes with the first message), while one client floods it with 64 KiB
// messages as fast as the server takes them. `maxUnreadBytes` (16 MiB by default) bounds what
// the server keeps: on Node the codec engine stops reading the socket (TCP
// backpressure, so the client's writes stall and the connection stays
// open); Deno and Bun cannot pause their native WebSocket, so the
// connection is closed with 1008. Either way the server's memory stays
// bounded and it goes on serving other clients.

import { equal, ok } from "node:assert/strict";
import { MiB, mib } from "./_harness.ts";
import { maskedFrame, repeatFrame } from "./_raw_ws.ts";
import { rawUpgrade } from "../_raw_socket.ts";
import {
  bunUnavailable,
  type Runtime,
  startRuntime,
} from "../serve/_runtimes.ts";

/** What the client tries to send: 256 MiB, 16 times the default limit. */
const FLOOD = 256 * MiB;
/** How long the client keeps trying, at most. */
const FLOOD_MS = 8_000;
/**
 * Growth of the server's RSS over its baseline, at its peak: the 16 MiB of
 * unread messages, the message being read, and the runtime's own buffers.
 * Measured here: Deno +21 MiB, Node +31 to +39 MiB, Bun +18 to +22 MiB;
 * without the limit it would follow the flood to hundreds of MiB.
 */
const PEAK_BOUND = 96 * MiB;

const bunMissing = await bunUnavailable();
if (bunMissing !== undefined) console.log(`Bun is skipped: ${bunMissing}`);

/**
 * Writes `chunk` to `conn` again and again until `total` bytes went out, the
 * deadline passes, or the server ends the connection; resolves with the
 * bytes written.
 */
async function flood(
  conn: Deno.Conn,
  chunk: Uint8Array,
  total: number,
  ms: number,
): Promise<number> {
  const deadline = Date.now() + ms;
  let written = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    while (written < total && Date.now() < deadline) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = await Promise.race([
          conn.write(chunk.subarray(offset)),
          timedOut,
        ]);
        if (n === "timeout") return written + offset;
        offset += n;
      }
      written += chunk.length;
    }
    return written;
  } catch {
    // The server ended the connection (Deno and Bun close with 1008).
    return written;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads `conn` until the server ends it; resolves with whether it did
 * within `ms`.
 */
async function endedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const buffer = new Uint8Array(65_536);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (await conn.read(buffer) !== null) {
      // What the server sent before it ended the connection.
    }
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return true;
    // Closed by the timer: the server did not end it.
    if (error instanceof Deno.errors.BadResource) return false;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const READERS = [
  { path: "/never-read", what: "the handler never reads" },
  { path: "/each-stalled", what: "a stalled forEachMessage handler reads" },
];

for (const runtime of ["deno", "node", "bun"] as Runtime[]) {
  for (const reader of READERS) {
    Deno.test({
      name:
        `serve on ${runtime}: a WebSocket ${reader.what} cannot grow the server past maxUnreadBytes`,
      ignore: runtime === "bun" && bunMissing !== undefined,
      async fn() {
        await using server = await startRuntime(runtime);
        const base = `http://127.0.0.1:${server.port}`;
        const baseline = server.rss();

        const { conn, head } = await rawUpgrade(server.port, reader.path);
        ok(head.startsWith("HTTP/1.1 101"), head);
        const payload = new Uint8Array(65_000).fill(0x61);
        const chunk = repeatFrame(maskedFrame(0x82, payload), 64);

        let peak = baseline;
        const sampler = setInterval(() => {
          peak = Math.max(peak, server.rss());
        }, 50);
        let written: number;
        try {
          written = await flood(conn, chunk, FLOOD, FLOOD_MS);
          // Let the server take in what is still in flight.
          await new Promise((resolve) => setTimeout(resolve, 500));
          peak = Math.max(peak, server.rss());
        } finally {
          clearInterval(sampler);
        }
        const growth = peak - baseline;
        console.log(
          `${runtime} ${reader.path}: client wrote ${mib(written)} of ${
            mib(FLOOD)
          }; server RSS ${mib(baseline)} -> peak ${mib(peak)} (+${
            mib(growth)
          })`,
        );
        ok(
          growth < PEAK_BOUND,
          `RSS grew by ${mib(growth)}, over the bound of ${mib(PEAK_BOUND)}`,
        );

        const closes = async (): Promise<number[]> =>
          await (await fetch(`${base}/never-read-closes`)).json();
        if (runtime === "node") {
          // The engine stopped reading: the client could not get the flood
          // out, and the connection is still open.
          ok(written < FLOOD, `the client wrote all ${mib(written)}`);
          equal((await closes()).length, 0);
        } else {
          // The native WebSocket cannot pause: the server closed the
          // connection (with 1008; a client that floods while never reading
          // may see a reset instead, since the server closes its socket with
          // the flood still unread) once the unread messages passed the limit.
          let codes = await closes();
          for (let i = 0; i < 100 && codes.length === 0; i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            codes = await closes();
          }
          console.log(
            `${runtime} ${reader.path}: the handler's connection closed with`,
            codes,
          );
          equal(codes.length, 1);
          ok(await endedWithin(conn, 15_000), "the server kept the connection");
        }
        try {
          conn.close();
        } catch { /* already closed */ }

        // Everything else goes on working.
        const rss = await fetch(`${base}/rss`);
        equal(rss.status, 200);
        ok(Number(await rss.text()) > 0);
      },
    });
  }
}
