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
