// Copyright 2026 the serverpush authors. MIT license.
// The node:net adapter of the codec engine, run here on Deno's node:net.

import { ok, rejects, strictEqual } from "node:assert/strict";
import { nodeDialer } from "../../ws/_node_socket.ts";
import { connectWebSocket, serveWebSocket } from "../../ws/mod.ts";

Deno.test("nodeDialer connects, writes, half-closes and reads to the end", async () => {
  const dial = nodeDialer();
  ok(dial !== undefined, "Deno has process.getBuiltinModule");
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    using conn = await listener.accept();
    let total = 0;
    const buffer = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      total += n;
    }
    await conn.write(new TextEncoder().encode(`got ${total} bytes`));
  })();
  const duplex = await dial({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    tls: false,
  });
  strictEqual(await duplex.write!(new TextEncoder().encode("hello")), 5);
  await duplex.closeWrite!();
  const chunks: string[] = [];
  for await (const chunk of duplex.readable) {
    chunks.push(new TextDecoder().decode(chunk));
  }
  strictEqual(chunks.join(""), "got 5 bytes");
  await served;
  duplex.close();
});

Deno.test("nodeDialer's writeChunk delivers every byte and calls back once per write, in order; after close it calls back with an error", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sizes = [1, 300, 2 * 1024 * 1024, 7, 64 * 1024, 2];
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const served = (async () => {
    using conn = await listener.accept();
    const bytes: number[] = [];
    const buffer = new Uint8Array(64 * 1024);
    let count = 0;
    // Each write's bytes are its index: record where the value changes.
    while (count < total) {
      const n = await conn.read(buffer);
      if (n === null) break;
      for (let i = 0; i < n; i++) {
        if (bytes.length === 0 || bytes.at(-1) !== buffer[i]) {
          bytes.push(buffer[i]!);
        }
      }
      count += n;
    }
    return { count, bytes };
  })();
  const duplex = await nodeDialer()!({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    tls: false,
  });
  const calls: number[] = [];
  sizes.forEach((size, i) =>
    duplex.writeChunk!(new Uint8Array(size).fill(i), (error) => {
      ok(error === undefined || error === null);
      calls.push(i);
    })
  );
  const { count, bytes } = await served;
  strictEqual(count, total);
  strictEqual(bytes.join(), "0,1,2,3,4,5");
  while (calls.length < sizes.length) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  strictEqual(calls.join(), "0,1,2,3,4,5");
  duplex.close();
  const failure = await new Promise((resolve) =>
    duplex.writeChunk!(new Uint8Array(1), resolve)
  );
  ok(failure instanceof Error || failure instanceof DOMException);
});

Deno.test("nodeDialer rejects a refused connection with the ECONNREFUSED error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await rejects(
    nodeDialer()!({ hostname: "127.0.0.1", port, tls: false }),
    (error) => (error as { code?: string }).code === "ECONNREFUSED",
  );
});

Deno.test("connectWebSocket runs its codec engine over nodeDialer", async () => {
  await using server = serveWebSocket({}, async (connection) => {
    for await (const message of connection) await connection.send(message);
  });
  const client = await connectWebSocket(
    `ws://127.0.0.1:${server.addr.port}/`,
    { connect: nodeDialer()! },
  );
  const big = "node ".repeat(50_000);
  await client.send(big);
  for await (const message of client) {
    strictEqual(message, big);
    break;
  }
  strictEqual((await client.closed).wasClean, true);
});
