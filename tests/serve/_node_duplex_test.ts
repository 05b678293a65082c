// Copyright 2026 the serverpush authors. MIT license.
// Writes through the duplex that `serve` on Node gives the codec engine
// (serve/_node_duplex.ts), over real `node:net` sockets on loopback: every
// byte arrives in order, each write's callback runs once and in order, a
// callback waits for a peer that reads late, and a write to a destroyed
// socket reports an error. Runs on Deno (its `node:net`), Node and Bun.

import { ok, strictEqual } from "node:assert/strict";
import net from "node:net";
import { NodeSocketDuplex } from "../../serve/_node_duplex.ts";
import type { NodeSocket } from "../../serve/_node_types.ts";

interface Pair {
  /** The duplex over the accepted socket, open. */
  duplex: NodeSocketDuplex;
  /** The accepted socket itself. */
  socket: net.Socket;
  /** The dialing side, paused until `read` is called. */
  client: net.Socket;
  /** Reads every byte the client gets from now on, into `received`. */
  read(): void;
  received: Uint8Array[];
  /** How many bytes arrived. */
  count(): number;
  /** The bytes that arrived, joined. */
  bytes(): Uint8Array;
  close(): Promise<void>;
}

async function pair(): Promise<Pair> {
  const server = net.createServer();
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  const accepted = new Promise<net.Socket>((resolve) =>
    server.once("connection", resolve)
  );
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, "127.0.0.1");
  client.pause();
  const socket = await accepted;
  const duplex = new NodeSocketDuplex(
    socket as unknown as NodeSocket,
    new Uint8Array(0),
  );
  duplex.open();
  const received: Uint8Array[] = [];
  let count = 0;
  return {
    duplex,
    socket,
    client,
    received,
    read(): void {
      client.on("data", (chunk: Uint8Array) => {
        received.push(chunk);
        count += chunk.length;
      });
      client.resume();
    },
    count: () => count,
    bytes(): Uint8Array {
      const all = new Uint8Array(count);
      let at = 0;
      for (const chunk of received) {
        all.set(chunk, at);
        at += chunk.length;
      }
      return all;
    },
    async close(): Promise<void> {
      client.destroy();
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves once `check()` holds (polled), or rejects after `ms`. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("writeChunk: the peer gets every byte in order, and each callback runs once, in order", async () => {
  const p = await pair();
  try {
    p.read();
    const calls: [number, unknown][] = [];
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      // Sizes from a byte to 1 MiB: some go to the kernel at once, some
      // wait behind others.
      const size = i % 10 === 9 ? 1024 * 1024 : 1 + i * 7;
      const bytes = new Uint8Array(size).fill(i);
      sent.push(bytes);
      p.duplex.writeChunk(bytes, (error) => calls.push([i, error]));
    }
    const total = sent.reduce((sum, bytes) => sum + bytes.length, 0);
    await until(() => calls.length === 50);
    await until(() => p.count() === total);
    strictEqual(calls.map(([i]) => i).join(), [...Array(50).keys()].join());
    ok(calls.every(([, error]) => error === undefined || error === null));
    const all = p.bytes();
    let at = 0;
    for (const bytes of sent) {
      ok(all.subarray(at, at + bytes.length).every((b) => b === bytes[0]));
      at += bytes.length;
    }
  } finally {
    await p.close();
  }
});

Deno.test("writeChunk: when the kernel takes the bytes at once, the callback runs before writeChunk returns; otherwise after", async () => {
  const p = await pair();
  try {
    p.read();
    // Whether this runtime completes a small socket write at once: Node and
    // Bun do, Deno's `node:net` completes it later.
    const atOnce = p.socket.write(new Uint8Array([7])) &&
      p.socket.writableLength === 0;
    let called = 0;
    p.duplex.writeChunk(new Uint8Array([8, 9]), () => called++);
    strictEqual(called, atOnce ? 1 : 0);
    await until(() => called === 1 && p.count() === 3);
    strictEqual(p.bytes().join(), "7,8,9");
  } finally {
    await p.close();
  }
});

Deno.test("writeChunk: to a peer that does not read, the callback waits until the peer has read every byte", async () => {
  const p = await pair();
  try {
    // More than loopback's socket buffers hold.
    const size = 32 * 1024 * 1024;
    let done = false;
    p.duplex.writeChunk(new Uint8Array(size).fill(1), (error) => {
      ok(error === undefined || error === null);
      done = true;
    });
    let after = false;
    p.duplex.writeChunk(new Uint8Array([2]), () => {
      // In order: the large write first.
      ok(done);
      after = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    strictEqual(done, false);
    strictEqual(after, false);
    p.read();
    await until(() => after, 20_000);
    await until(() => p.count() === size + 1, 20_000);
    strictEqual(p.bytes()[size], 2);
  } finally {
    await p.close();
  }
});

Deno.test("writeChunk: a write to a destroyed socket calls back with an error", async () => {
  const p = await pair();
  try {
    p.socket.destroy();
    let failure: unknown = "not called";
    p.duplex.writeChunk(new Uint8Array([1]), (error) => failure = error);
    await until(() => failure !== "not called");
    ok(failure instanceof Error, `got ${String(failure)}`);
  } finally {
    await p.close();
  }
});
