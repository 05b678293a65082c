// Copyright 2026 the serverpush authors. MIT license.
// serveWebSocket (the codec engine's server) on real loopback TCP, against
// the `ws` client from npm, Deno's WebSocket and raw TCP clients.

import { permessageDeflate } from "../../ws/deflate.ts";
import {
  deepStrictEqual as assertEquals,
  ok,
  strictEqual,
} from "node:assert/strict";
import {
  serveWebSocket,
  type ServeWebSocketOptions,
  type WebSocketServer,
  type WsCloseInfo,
  type WsConnection,
} from "../../ws/mod.ts";
import { duplexPair } from "./_duplex.ts";
import {
  bytesToString,
  denoClient,
  rawClient,
  type TestClient,
  upgradeHead,
  wsClient,
} from "./_ws_clients.ts";

/** A server whose handler runs `handle` and records the connections. */
interface TestServer {
  server: WebSocketServer;
  url: string;
  port: number;
  /** Resolves with the nth accepted connection (0-based). */
  connection(index: number): Promise<WsConnection>;
  requests: Request[];
  [Symbol.asyncDispose](): Promise<void>;
}

function start(
  options: ServeWebSocketOptions,
  handle: (connection: WsConnection) => Promise<void> = echo,
): TestServer {
  const accepted: WsConnection[] = [];
  const requests: Request[] = [];
  const waiters: (() => void)[] = [];
  const server = serveWebSocket(options, async (connection, request) => {
    accepted.push(connection);
    requests.push(request);
    for (const wake of waiters.splice(0)) wake();
    await handle(connection);
  });
  return {
    server,
    url: `ws://127.0.0.1:${server.addr.port}/`,
    port: server.addr.port,
    requests,
    async connection(index): Promise<WsConnection> {
      while (accepted[index] === undefined) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return accepted[index]!;
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function echo(connection: WsConnection): Promise<void> {
  for await (const message of connection) await connection.send(message);
}

const CLIENTS: [string, (url: string) => TestClient][] = [
  ["the ws client", (url) => wsClient(url)],
  ["Deno's WebSocket", (url) => denoClient(url)],
];

for (const [name, connect] of CLIENTS) {
  Deno.test(`serveWebSocket echoes text and binary with ${name}`, async () => {
    await using server = start({});
    const client = connect(server.url);
    await client.opened;
    client.send("héllo");
    client.send(new Uint8Array([0, 1, 2, 255]));
    client.send("");
    client.send(new Uint8Array(200_000).fill(7));
    strictEqual(await client.next(), "héllo");
    assertEquals(await client.next(), new Uint8Array([0, 1, 2, 255]));
    strictEqual(await client.next(), "");
    assertEquals(await client.next(), new Uint8Array(200_000).fill(7));
    client.close(1000);
    strictEqual((await client.closed).code, 1000);
  });

  Deno.test(`serveWebSocket reports the client's close code and reason with ${name}`, async () => {
    await using server = start({}, async (c) => void await c.closed);
    const client = connect(server.url);
    await client.opened;
    client.close(4001, "bye");
    const connection = await server.connection(0);
    assertEquals(await connection.closed, {
      code: 4001,
      reason: "bye",
      wasClean: true,
    });
    strictEqual((await client.closed).code, 4001);
  });

  Deno.test(`serveWebSocket close() reaches ${name} with its code and reason`, async () => {
    await using server = start({}, async (c) => {
      await c.send("hi");
      await c.close(4002, "done");
    });
    const client = connect(server.url);
    strictEqual(await client.next(), "hi");
    assertEquals(await client.closed, { code: 4002, reason: "done" });
    const closed = await (await server.connection(0)).closed;
    strictEqual(closed.code, 4002);
    strictEqual(closed.wasClean, true);
  });
}

Deno.test("serveWebSocket negotiates permessage-deflate with the ws client", async (t) => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "with context takeover",
      {},
      "permessage-deflate",
    ],
    [
      "without context takeover",
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    ],
  ];
  for (const [name, perMessageDeflate, expected] of cases) {
    await t.step(name, async () => {
      await using server = start({ deflate: permessageDeflate() });
      const client = wsClient(server.url, {
        perMessageDeflate: { threshold: 0, ...perMessageDeflate },
      });
      await client.opened;
      const connection = await server.connection(0);
      strictEqual(connection.extensions, expected);
      ok(client.extensions.startsWith("permessage-deflate"));
      const big = "compress me ".repeat(5_000);
      for (let i = 0; i < 3; i++) {
        client.send(big);
        strictEqual(await client.next(), big);
      }
      client.send(new Uint8Array(70_000).fill(1));
      assertEquals(await client.next(), new Uint8Array(70_000).fill(1));
      client.close(1000);
      await client.closed;
    });
  }
});

Deno.test("serveWebSocket sends no extension when deflate is off or left out", async (t) => {
  for (const options of [{ deflate: false as const }, {}]) {
    await t.step(JSON.stringify(options), async () => {
      await using server = start(options);
      const client = wsClient(server.url, { perMessageDeflate: true });
      await client.opened;
      strictEqual(client.extensions, "");
      strictEqual((await server.connection(0)).extensions, "");
      client.close(1000);
      await client.closed;
    });
  }
});

Deno.test("serveWebSocket closes with 1009 on a message over maxMessageBytes", async () => {
  await using server = start({ maxMessageBytes: 1024 });
  const client = wsClient(server.url);
  await client.opened;
  client.send("x".repeat(1024));
  strictEqual(await client.next(), "x".repeat(1024));
  client.send("x".repeat(1025));
  strictEqual((await client.closed).code, 1009);
  strictEqual((await (await server.connection(0)).closed).code, 1009);
});

Deno.test("serveWebSocket closes with 1009 on a compressed message that inflates past maxMessageBytes", async () => {
  await using server = start({ maxMessageBytes: 10_000 });
  const client = wsClient(server.url, {
    perMessageDeflate: { threshold: 0 },
  });
  await client.opened;
  client.send("a".repeat(100_000));
  strictEqual((await client.closed).code, 1009);
});

Deno.test("serveWebSocket chooses the subprotocol by server preference", async () => {
  await using server = start({ protocols: ["chat.v1", "chat.v2"] });
  const client = wsClient(server.url, {
    protocols: ["other", "chat.v2", "chat.v1"],
  });
  await client.opened;
  strictEqual(client.protocol, "chat.v1");
  strictEqual((await server.connection(0)).protocol, "chat.v1");
  client.close(1000);
  await client.closed;
});

Deno.test("serveWebSocket applies the Origin policy", async (t) => {
  await t.step("a cross-site Origin gets 403 by default", async () => {
    await using server = start({});
    const client = wsClient(server.url, { origin: "https://evil.example" });
    strictEqual(await client.status, 403);
    await client.closed;
  });
  await t.step("the same origin passes", async () => {
    await using server = start({});
    const client = wsClient(server.url, {
      origin: `http://127.0.0.1:${server.port}`,
    });
    await client.opened;
    client.close(1000);
    await client.closed;
  });
  await t.step("an allow-list widens it", async () => {
    await using server = start({ origins: ["https://app.example"] });
    const client = wsClient(server.url, { origin: "https://app.example" });
    await client.opened;
    client.close(1000);
    await client.closed;
  });
});

Deno.test("serveWebSocket runs authorize before upgrading", async (t) => {
  await t.step("false answers 403", async () => {
    await using server = start({ authorize: () => false });
    const client = wsClient(server.url);
    strictEqual(await client.status, 403);
    await client.closed;
  });
  await t.step("a Response is sent as it is", async () => {
    await using server = start({
      authorize: (request) =>
        request.headers.get("authorization") === "Bearer good" ||
        new Response("no token", { status: 401 }),
    });
    const refused = await rawClient(server.port);
    await refused.write(upgradeHead(server.port));
    const answer = await refused.readAll();
    ok(answer.startsWith("HTTP/1.1 401 "), answer);
    ok(answer.endsWith("\r\n\r\nno token"), answer);
    refused.close();
    const client = wsClient(server.url, {
      headers: { authorization: "Bearer good" },
    });
    await client.opened;
    strictEqual(
      server.requests[0]?.headers.get("authorization"),
      "Bearer good",
    );
    client.close(1000);
    await client.closed;
  });
});

Deno.test("serveWebSocket answers a request that is not an upgrade with 426", async () => {
  await using server = start({});
  const response = await fetch(`http://127.0.0.1:${server.port}/`);
  strictEqual(response.status, 426);
  strictEqual(response.headers.get("upgrade"), "websocket");
  await response.body?.cancel();
});

Deno.test("serveWebSocket answers a bad handshake with 400 and the reason", async () => {
  await using server = start({});
  const client = await rawClient(server.port);
  await client.write(
    upgradeHead(server.port).replace(
      "dGhlIHNhbXBsZSBub25jZQ==",
      "short",
    ),
  );
  const answer = await client.readAll();
  ok(answer.startsWith("HTTP/1.1 400 Bad Request\r\n"), answer);
  ok(answer.includes("Sec-WebSocket-Key"), answer);
  client.close();
  strictEqual(server.server.connections, 0);
});

Deno.test("serveWebSocket answers 431 to a request head over maxHeadBytes", async () => {
  await using server = start({});
  const client = await rawClient(server.port);
  await client.write(
    upgradeHead(server.port, [`X-Big: ${"a".repeat(9000)}`]),
  );
  const answer = await client.readAll();
  ok(answer.startsWith("HTTP/1.1 431 "), answer.slice(0, 100));
  client.close();
});

Deno.test("serveWebSocket disconnects a client whose head is not complete within handshakeTimeout", async () => {
  await using server = start({ handshakeTimeout: 50 });
  const client = await rawClient(server.port);
  // A slow-loris client: part of a head, then nothing.
  await client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  strictEqual(await client.readAll(), "");
  client.close();
  strictEqual(server.server.connections, 0);
});

Deno.test("serveWebSocket decodes frames that arrive with the request head", async () => {
  await using server = start({});
  const client = await rawClient(server.port);
  // The head and a masked text frame "hi" (key 0) in one write.
  const frame = new Uint8Array([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
  const head = new TextEncoder().encode(upgradeHead(server.port));
  const both = new Uint8Array(head.length + frame.length);
  both.set(head);
  both.set(frame, head.length);
  await client.write(both);
  const answer = await client.readUntil("hi");
  ok(answer.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), answer);
  ok(answer.includes("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), answer);
  ok(answer.endsWith("\r\n\r\n\x81\x02hi"), JSON.stringify(answer));
  client.close();
  strictEqual((await (await server.connection(0)).closed).code, 1006);
});

Deno.test("serveWebSocket keeps a client that never reads within maxBufferedBytes plus one message", async () => {
  const maxBufferedBytes = 256 * 1024;
  const message = new Uint8Array(64 * 1024);
  const observed = Promise.withResolvers<[number, number]>();
  await using server = start({ maxBufferedBytes }, async (connection) => {
    let sent = 0;
    while (true) {
      const sending = connection.send(message);
      const done = await Promise.race([
        sending.then(() => true, () => true),
        new Promise<false>((resolve) => setTimeout(resolve, 200, false)),
      ]);
      if (!done) {
        // send() stays pending: the producer is held back.
        observed.resolve([connection.bufferedAmount, sent]);
        await sending.catch(() => {});
        return;
      }
      sent += message.length;
    }
  });
  const client = await rawClient(server.port);
  await client.write(upgradeHead(server.port));
  // Never read.
  const [buffered, sent] = await observed.promise;
  ok(buffered > maxBufferedBytes, `bufferedAmount ${buffered}`);
  ok(
    buffered <= maxBufferedBytes + message.length,
    `bufferedAmount ${buffered}`,
  );
  ok(sent > 0);
  client.close();
  strictEqual((await (await server.connection(0)).closed).code, 1006);
});

Deno.test("serveWebSocket closes a client that does not answer pings with 1001", async () => {
  await using server = start(
    { heartbeat: { interval: 20, timeout: 20 } },
    async (c) => void await c.closed,
  );
  const client = await rawClient(server.port);
  await client.write(upgradeHead(server.port));
  // Reads the 101, a ping, and the close frame 1001, then the end.
  const answer = await client.readAll();
  ok(answer.includes("\r\n\r\n\x89\x00"), JSON.stringify(answer));
  ok(answer.includes("\x88"), JSON.stringify(answer));
  const closed = await (await server.connection(0)).closed;
  assertEquals([closed.code, closed.wasClean], [1001, false]);
  client.close();
});

Deno.test("serveWebSocket shutdown() closes every client with 1001", async () => {
  const server = start({});
  const clients = [
    wsClient(server.url),
    denoClient(server.url),
    wsClient(server.url),
  ];
  await Promise.all(clients.map((c) => c.opened));
  strictEqual(server.server.connections, 3);
  await server.server.shutdown();
  for (const client of clients) strictEqual((await client.closed).code, 1001);
  strictEqual(server.server.connections, 0);
  await server.server.finished;
  // No longer listening.
  const refused = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  })
    .then((conn) => {
      conn.close();
      return false;
    }, () => true);
  ok(refused);
});

Deno.test("serveWebSocket closes with 1011 when the handler throws and reports the error", async () => {
  const errors: unknown[] = [];
  const failure = new Error("boom");
  await using server = start({ onError: (error) => errors.push(error) }, () => {
    throw failure;
  });
  const client = wsClient(server.url);
  strictEqual((await client.closed).code, 1011);
  await (await server.connection(0)).closed;
  assertEquals(errors, [failure]);
});

Deno.test("serveWebSocket shuts down when its signal aborts", async () => {
  const controller = new AbortController();
  const server = start({ signal: controller.signal });
  const client = wsClient(server.url);
  await client.opened;
  controller.abort();
  strictEqual((await client.closed).code, 1001);
  await server.server.finished;
});

Deno.test("serveWebSocket accepts connections from an injected listen function", async () => {
  const pair = duplexPair();
  const conns = [pair.a];
  let closed = false;
  const listener = {
    addr: { transport: "tcp", hostname: "fake", port: 1 },
    accept(): Promise<unknown> {
      const conn = conns.shift();
      if (conn !== undefined) {
        return Promise.resolve({
          ...conn,
          readable: conn.readable,
          writable: conn.writable,
          close: () => conn.close(),
          closeWrite: () => conn.closeWrite!(),
          remoteAddr: { transport: "tcp", hostname: "peer", port: 2 },
        });
      }
      return new Promise((_, reject) => {
        const wait = setInterval(() => {
          if (!closed) return;
          clearInterval(wait);
          reject(new Deno.errors.BadResource("closed"));
        }, 1);
      });
    },
    close(): void {
      closed = true;
    },
  } as unknown as Deno.Listener;
  const received = Promise.withResolvers<WsCloseInfo>();
  const server = serveWebSocket({ listen: () => listener }, async (c) => {
    strictEqual(c.remoteAddr?.hostname, "peer");
    received.resolve(await c.closed);
  });
  assertEquals(server.addr, { transport: "tcp", hostname: "fake", port: 1 });
  const writer = pair.b.writable.getWriter();
  await writer.write(new TextEncoder().encode(upgradeHead(1)));
  // A masked close frame with code 1000 (key 0).
  await writer.write(new Uint8Array([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
  const reader = pair.b.readable.getReader();
  let text = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    text += bytesToString(value);
  }
  ok(text.startsWith("HTTP/1.1 101 "));
  ok(text.endsWith("\x88\x02\x03\xe8"), JSON.stringify(text));
  strictEqual((await received.promise).code, 1000);
  await writer.close();
  await server.shutdown();
});
