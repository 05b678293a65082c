// Copyright 2026 the serverpush authors. MIT license.
// acceptWebSocket on a real Deno.serve, against Deno's WebSocket client and
// the `ws` client from npm: each cell of the interop matrix is a test.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  acceptWebSocket,
  type AcceptWebSocketOptions,
  jsonCodec,
  withCodec,
  type WsCloseInfo,
  type WsConnection,
} from "../../ws/mod.ts";
import { denoClient, type TestClient, wsClient } from "./_ws_clients.ts";

/** A Deno.serve running acceptWebSocket and a handler per connection. */
interface TestServer {
  url: string;
  /** Connections in the order they were accepted. */
  accepted: WsConnection[];
  /** Resolves with the nth accepted connection (0-based). */
  connection(index: number): Promise<WsConnection>;
  /** Errors the handlers ended with, in order. */
  handlerErrors: unknown[];
  shutdown(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function startServer(
  options: AcceptWebSocketOptions,
  handle: (connection: WsConnection) => Promise<void>,
): TestServer {
  const accepted: WsConnection[] = [];
  const waiters: ((c: WsConnection) => void)[] = [];
  const handlers: Promise<void>[] = [];
  const handlerErrors: unknown[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    async (request, info) => {
      const { response, connection } = await acceptWebSocket(request, {
        ...options,
        remoteAddr: info.remoteAddr,
      });
      if (connection !== undefined) {
        accepted.push(connection);
        for (const wake of waiters.splice(0)) wake(connection);
        handlers.push(
          handle(connection).catch((error) => void handlerErrors.push(error)),
        );
      }
      return response;
    },
  );
  async function shutdown(): Promise<void> {
    await server.shutdown();
    await Promise.all(accepted.map((c) => c.closed));
    await Promise.all(handlers);
  }
  return {
    url: `ws://127.0.0.1:${server.addr.port}/`,
    accepted,
    handlerErrors,
    async connection(index: number): Promise<WsConnection> {
      while (accepted[index] === undefined) {
        await new Promise<WsConnection>((resolve) => waiters.push(resolve));
      }
      return accepted[index]!;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

async function echo(connection: WsConnection): Promise<void> {
  for await (const message of connection) await connection.send(message);
}

async function idle(connection: WsConnection): Promise<void> {
  await connection.closed;
}

const CLIENTS: [
  name: string,
  connect: (url: string, protocols?: string[]) => TestClient,
][] = [
  ["Deno's WebSocket", denoClient],
  [
    "the ws client",
    (url, protocols) => wsClient(url, protocols ? { protocols } : {}),
  ],
];

for (const [clientName, connect] of CLIENTS) {
  Deno.test(`acceptWebSocket echoes text and binary with ${clientName}`, async () => {
    await using server = startServer({}, echo);
    const client = connect(server.url);
    await client.opened;
    client.send("héllo");
    client.send(new Uint8Array([0, 1, 2, 255]));
    client.send("");
    strictEqual(await client.next(), "héllo");
    deepStrictEqual(await client.next(), new Uint8Array([0, 1, 2, 255]));
    strictEqual(await client.next(), "");
    client.close(1000);
    await client.closed;
  });

  Deno.test(`acceptWebSocket sends the bytes of a view, whether it covers its whole buffer or part of it, with ${clientName}`, async () => {
    const whole = new Uint8Array([9, 8, 7]);
    const buffer = new Uint8Array([1, 2, 3, 4, 5, 6]);
    await using server = startServer({}, async (connection) => {
      await connection.send(whole);
      await connection.send(buffer.subarray(2, 5));
      await connection.send(buffer.subarray(0, 2));
      await connection.send(new Uint16Array([0x0201, 0x0403]));
      await connection.send(new Uint8Array(0));
      await connection.closed;
    });
    const client = connect(server.url);
    await client.opened;
    deepStrictEqual(await client.next(), new Uint8Array([9, 8, 7]));
    deepStrictEqual(await client.next(), new Uint8Array([3, 4, 5]));
    deepStrictEqual(await client.next(), new Uint8Array([1, 2]));
    deepStrictEqual(await client.next(), new Uint8Array([1, 2, 3, 4]));
    deepStrictEqual(await client.next(), new Uint8Array(0));
    client.close(1000);
    await client.closed;
  });

  Deno.test(`acceptWebSocket reports the chosen subprotocol on both sides with ${clientName}`, async () => {
    await using server = startServer(
      { protocols: ["chat.v1", "chat.v2"] },
      idle,
    );
    const client = connect(server.url, ["other", "chat.v2", "chat.v1"]);
    await client.opened;
    strictEqual(client.protocol, "chat.v1");
    strictEqual((await server.connection(0)).protocol, "chat.v1");
    client.close(1000);
    await client.closed;
  });

  Deno.test(`acceptWebSocket reports the client's close code and reason with ${clientName}`, async () => {
    await using server = startServer({}, idle);
    const client = connect(server.url);
    await client.opened;
    client.close(4001, "bye");
    deepStrictEqual(await (await server.connection(0)).closed, {
      code: 4001,
      reason: "bye",
      wasClean: true,
    });
    strictEqual((await client.closed).code, 4001);
  });

  Deno.test(`acceptWebSocket delivers the server's close code and reason with ${clientName}`, async () => {
    await using server = startServer(
      {},
      (connection) => connection.close(4002, "server says bye"),
    );
    const client = connect(server.url);
    deepStrictEqual(await client.closed, {
      code: 4002,
      reason: "server says bye",
    });
    strictEqual((await (await server.connection(0)).closed).code, 4002);
  });

  Deno.test(`acceptWebSocket closes with 1009 on a message over maxMessageBytes with ${clientName}`, async () => {
    await using server = startServer({ maxMessageBytes: 16 }, echo);
    const client = connect(server.url);
    await client.opened;
    client.send("x".repeat(16));
    strictEqual(await client.next(), "x".repeat(16));
    client.send(new Uint8Array(17));
    const info = await client.closed;
    strictEqual(info.code, 1009);
    strictEqual(
      info.reason,
      "Cannot receive message: it exceeds maxMessageBytes of 16",
    );
    strictEqual((await (await server.connection(0)).closed).code, 1009);
  });

  Deno.test(`acceptWebSocket with jsonCodec closes with 1007 on bad JSON with ${clientName}`, async () => {
    const seen: unknown[] = [];
    await using server = startServer({}, async () => {});
    // The codec layer over the accepted connection, as `codec` would build.
    const client = connect(server.url);
    await client.opened;
    const typed = withCodec(await server.connection(0), jsonCodec());
    const reading = (async () => {
      for await (const value of typed) seen.push(value);
    })();
    client.send('{"ok":true}');
    client.send("{not json");
    const info = await client.closed;
    strictEqual(info.code, 1007);
    await reading;
    deepStrictEqual(seen, [{ ok: true }]);
    strictEqual((await typed.closed).code, 1007);
  });
}

Deno.test("acceptWebSocket with a codec closes with 1003 on binary to a JSON codec", async () => {
  const seen: unknown[] = [];
  const closes: WsCloseInfo[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    async (request) => {
      const { response, connection } = await acceptWebSocket(request, {
        codec: jsonCodec(),
      });
      if (connection) {
        (async () => {
          for await (const value of connection) {
            seen.push(value);
            await connection.send({ echo: value });
          }
          closes.push(await connection.closed);
        })();
      }
      return response;
    },
  );
  const client = denoClient(`ws://127.0.0.1:${server.addr.port}/`);
  await client.opened;
  client.send('{"n":1}');
  strictEqual(await client.next(), '{"echo":{"n":1}}');
  client.send(new Uint8Array([1]));
  const info = await client.closed;
  strictEqual(info.code, 1003);
  await server.shutdown();
  deepStrictEqual(seen, [{ n: 1 }]);
  strictEqual(closes[0]?.code, 1003);
});

Deno.test("acceptWebSocket heartbeat closes a peer that never answers pings with 1001", async () => {
  let pings = 0;
  await using server = startServer({ heartbeat: { interval: 100 } }, idle);
  const client = wsClient(server.url, {
    autoPong: false,
    onPing: () => pings++,
  });
  const info = await (await server.connection(0)).closed;
  deepStrictEqual(info, {
    code: 1001,
    reason: "No response from ping frame.",
    wasClean: false,
  });
  strictEqual((await client.closed).code, 1001);
  ok(pings >= 1);
});

Deno.test("acceptWebSocket reports the peer's address", async () => {
  await using server = startServer({}, idle);
  const client = denoClient(server.url);
  await client.opened;
  strictEqual((await server.connection(0)).remoteAddr?.hostname, "127.0.0.1");
  client.close(1000);
  await client.closed;
});

Deno.test("acceptWebSocket send() to a client that never reads stays within maxBufferedBytes plus one message", async () => {
  const maxBufferedBytes = 256 * 1024;
  const chunk = new Uint8Array(64 * 1024);
  const total = 1024; // 64 MiB: far more than the kernel's socket buffers
  let completed = 0;
  let highest = 0;
  let ended: unknown;
  const blocked = Promise.withResolvers<void>();
  await using server = startServer({ maxBufferedBytes }, async (connection) => {
    try {
      for (let i = 0; i < total; i++) {
        const sent = connection.send(chunk);
        // Right after handing over: at most the limit plus this message.
        highest = Math.max(highest, connection.bufferedAmount);
        if (connection.bufferedAmount > maxBufferedBytes) blocked.resolve();
        await sent;
        completed++;
        ok(connection.bufferedAmount <= maxBufferedBytes);
      }
    } catch (error) {
      ended = error;
    }
  });

  // A client that completes the handshake by hand and then never reads.
  const port = Number(new URL(server.url).port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    ),
  );
  // The producer is waiting on a send(); wait until it stops making progress
  // at all (the peer's kernel buffers are full). Timing only decides how
  // long this waits, not whether the assertions below hold.
  await blocked.promise;
  for (let last = -1; completed !== last;) {
    last = completed;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  strictEqual(ended, undefined);
  ok(completed < total, `all ${total} sends completed`);
  const stuck = (await server.connection(0)).bufferedAmount;
  ok(stuck > maxBufferedBytes, `bufferedAmount ${stuck} while stuck`);
  ok(stuck <= maxBufferedBytes + chunk.byteLength);
  conn.close();
  const connection = await server.connection(0);
  await connection.closed;
  await server.shutdown();

  ok(completed < total, `all ${total} sends completed`);
  ok(
    highest <= maxBufferedBytes + chunk.byteLength,
    `bufferedAmount reached ${highest}`,
  );
  const error = ended as unknown; // narrowed to undefined above
  ok(error instanceof DOMException && error.name === "InvalidStateError");
  await rejects(connection.send("after"), { name: "InvalidStateError" });
});
