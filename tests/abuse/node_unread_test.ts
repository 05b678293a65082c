// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints the memory measured
// `serve` on Node: the codec engine keeps a received binary payload as a
// view into Node's read chunk when it fills at least half of it, and
// copies it otherwise. A peer that packs tiny binary messages among frames
// the engine drops (pongs) must not make each unread message hold a 64 KiB
// chunk: each counts 65 bytes against maxUnreadBytes, and the memory the
// server keeps for the unread messages stays near what they count.

import { ok, strictEqual } from "node:assert/strict";
import { MiB, mib } from "./_harness.ts";
import { rawWebSocket } from "./_raw_ws.ts";
import { startRuntime } from "../serve/_runtimes.ts";

const FIXTURE = new URL("./fixtures/node_unread.ts", import.meta.url);
const CLIENTS = 8;
/** The server's maxUnreadBytes. */
const MAX_UNREAD_BYTES = 64 * 1024;
/** Most bytes one attacker writes; it stops earlier once writes stall. */
const MAX_BYTES_PER_CLIENT = 64 * MiB;
/** A write that takes this long means the server stopped reading. */
const STALL_MS = 5_000;
/**
 * ArrayBuffer bytes alive in the server after the attack (after a full
 * collection) over its baseline, per client: twice the unread bound (what
 * a view may hold) plus what Node and the kernel hold back for a paused
 * socket. Measured: under 0.1 MiB per client. Were each 1-byte message a
 * view of its 64 KiB read chunk, a client's 1,000 unread messages would
 * hold about 125 chunks (8 MiB).
 */
const BOUND_PER_CLIENT = 2 * MAX_UNREAD_BYTES + MiB;

/** A masked frame (key 0: the payload is sent as is). */
function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(6 + payload.length);
  bytes[0] = 0x80 | opcode;
  bytes[1] = 0x80 | payload.length;
  bytes.set(payload, 6);
  return bytes;
}

/**
 * 8 KiB of pongs (125 bytes each, which the server drops) then a binary
 * message of 1 byte: every 64 KiB read holds about eight tiny messages
 * among bytes nobody keeps.
 */
function block(): Uint8Array {
  const pong = frame(10, new Uint8Array(125).fill(0x70));
  const message = frame(2, new Uint8Array([0x61]));
  const count = Math.floor(8192 / pong.length);
  const bytes = new Uint8Array(count * pong.length + message.length);
  for (let i = 0; i < count; i++) bytes.set(pong, i * pong.length);
  bytes.set(message, count * pong.length);
  return bytes;
}

/** Writes `data` over and over until a write stalls; returns the bytes sent. */
async function flood(
  write: (bytes: Uint8Array) => Promise<boolean>,
  data: Uint8Array,
): Promise<number> {
  let sent = 0;
  while (sent < MAX_BYTES_PER_CLIENT) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((resolve) => {
      timer = setTimeout(() => resolve("stalled"), STALL_MS);
    });
    const outcome = await Promise.race([write(data), stalled]);
    clearTimeout(timer);
    if (outcome !== true) break;
    sent += data.length;
  }
  return sent;
}

async function arrayBufferBytes(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/mem`);
  return Number(await response.text());
}

Deno.test("serve on node: tiny binary messages packed among pongs do not each hold a read chunk while unread", async () => {
  await using server = await startRuntime(
    "node",
    { MAX_UNREAD_BYTES: String(MAX_UNREAD_BYTES) },
    FIXTURE,
  );
  const baseline = await arrayBufferBytes(server.port);
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () => rawWebSocket(server.port, "/hold")),
  );
  const one = block();
  const data = new Uint8Array(one.length * 8);
  for (let i = 0; i < 8; i++) data.set(one, i * one.length);
  const sent = await Promise.all(clients.map((c) => flood(c.write, data)));
  const held = await arrayBufferBytes(server.port) - baseline;
  console.log(
    `serve on node: ${CLIENTS} clients sent ${mib(Math.min(...sent))} to ${
      mib(Math.max(...sent))
    } each (${
      Math.floor(Math.min(...sent) / one.length)
    }+ tiny messages among pongs), unread bound ${
      mib(MAX_UNREAD_BYTES)
    }: ArrayBuffers +${mib(held)} after a full collection`,
  );
  // Each client was held back, after more messages than its bound holds.
  for (const [i, bytes] of sent.entries()) {
    ok(bytes < MAX_BYTES_PER_CLIENT, `client ${i} was never held back`);
    ok(
      Math.floor(bytes / one.length) * 65 >= MAX_UNREAD_BYTES,
      `client ${i} was held back after ${bytes} bytes, before its bound`,
    );
  }
  ok(
    held < CLIENTS * BOUND_PER_CLIENT,
    `the unread messages hold ${mib(held)}, over ${
      mib(CLIENTS * BOUND_PER_CLIENT)
    }`,
  );

  // An honest client of the same server is served.
  const honest = new WebSocket(`ws://127.0.0.1:${server.port}/echo`);
  honest.binaryType = "arraybuffer";
  const echoed = await new Promise<Uint8Array>((resolve, reject) => {
    honest.onopen = () => honest.send(new Uint8Array([1, 2, 3]));
    honest.onmessage = (event) => resolve(new Uint8Array(event.data));
    honest.onerror = () => reject(new Error("the honest client failed"));
  });
  strictEqual(echoed.join(","), "1,2,3");
  const closed = new Promise((resolve) => honest.onclose = resolve);
  honest.close();
  await closed;
  for (const client of clients) client.close();
});
