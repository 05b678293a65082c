// Copyright 2026 the serverpush authors. MIT license.
// connectWebSocket (both engines) against the `ws` server from npm running
// in this process, a bare Deno.upgradeWebSocket server, and our own server.

import { permessageDeflate } from "../../ws/deflate.ts";
import {
  deepStrictEqual as assertEquals,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import type WsWebSocket from "ws";
import { WebSocketServer } from "ws";
import {
  connectWebSocket,
  type ConnectWebSocketOptions,
  serveWebSocket,
  WsHandshakeError,
} from "../../ws/mod.ts";
import { duplexPair } from "./_duplex.ts";
import { hasOpenssl, testCertificate } from "../_tls.ts";

const ENGINES = ["codec", "native"] as const;

/** The `ws` server, echoing, with what it saw of each connection. */
interface WsServer {
  url: string;
  /** Request headers of each connection. */
  headers: Record<string, string | string[] | undefined>[];
  /** Close code each connection received, in order. */
  closeCodes: number[];
  /** Extensions the server agreed to, per connection. */
  extensions: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

async function startWsServer(
  options: Record<string, unknown> = {},
  onConnection?: (socket: WsWebSocket) => void,
): Promise<WsServer> {
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate: false,
    ...options,
  });
  const headers: WsServer["headers"] = [];
  const closeCodes: number[] = [];
  const extensions: string[] = [];
  const sockets = new Set<Promise<void>>();
  wss.on(
    "connection",
    (
      socket: WsWebSocket,
      request: { headers: Record<string, string | string[] | undefined> },
    ) => {
      headers.push(request.headers);
      extensions.push(socket.extensions);
      sockets.add(
        new Promise((resolve) =>
          socket.on("close", (code: number) => {
            closeCodes.push(code);
            resolve();
          })
        ),
      );
      if (onConnection) return onConnection(socket);
      socket.on(
        "message",
        (data: Uint8Array, isBinary: boolean) =>
          socket.send(data, { binary: isBinary }),
      );
    },
  );
  await new Promise<void>((resolve) => wss.on("listening", resolve));
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    headers,
    closeCodes,
    extensions,
    async [Symbol.asyncDispose](): Promise<void> {
      // After a failed assertion a client may still be open: give it a
      // moment, then cut it off so the test ends.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(sockets),
        new Promise((resolve) => timer = setTimeout(resolve, 2000)),
      ]);
      clearTimeout(timer);
      for (const socket of wss.clients) socket.terminate();
      await Promise.all(sockets);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** A bare Deno.upgradeWebSocket echo server. */
function startDenoServer(): {
  url: string;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const closed: Promise<void>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    (request) => {
      const offered = request.headers.get("sec-websocket-protocol");
      const { response, socket } = Deno.upgradeWebSocket(
        request,
        offered?.includes("chat") ? { protocol: "chat" } : {},
      );
      socket.onmessage = (event) => socket.send(event.data);
      closed.push(new Promise((resolve) => socket.onclose = () => resolve()));
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}/`,
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all(closed);
      await server.shutdown();
    },
  };
}

for (const engine of ENGINES) {
  Deno.test(`connectWebSocket (${engine}) echoes text and binary with the ws server`, async () => {
    await using server = await startWsServer();
    const client = await connectWebSocket(server.url, { engine });
    await client.send("héllo");
    await client.send(new Uint8Array([1, 2, 3]));
    await client.send(new Uint8Array(100_000).fill(9).buffer);
    const reader = client.readable.getReader();
    strictEqual((await reader.read()).value, "héllo");
    assertEquals((await reader.read()).value, new Uint8Array([1, 2, 3]));
    assertEquals(
      (await reader.read()).value,
      new Uint8Array(100_000).fill(9),
    );
    reader.releaseLock();
    await client.close(4000, "bye");
    // ws echoes the code and the reason.
    assertEquals(await client.closed, {
      code: 4000,
      reason: "bye",
      wasClean: true,
    });
    await server[Symbol.asyncDispose]();
    assertEquals(server.closeCodes, [4000]);
  });

  Deno.test(`connectWebSocket (${engine}) sends subprotocols and headers to the ws server`, async () => {
    await using server = await startWsServer({
      handleProtocols: (protocols: Set<string>) =>
        protocols.has("chat.v2") ? "chat.v2" : false,
    });
    const client = await connectWebSocket(server.url, {
      engine,
      protocols: ["chat.v1", "chat.v2"],
      headers: { authorization: "Bearer token", "x-trace": "42" },
    });
    strictEqual(client.protocol, "chat.v2");
    strictEqual(server.headers[0]?.authorization, "Bearer token");
    strictEqual(server.headers[0]?.["x-trace"], "42");
    await client.close(1000);
  });

  Deno.test(`connectWebSocket (${engine}) reports the server's close code`, async () => {
    await using server = await startWsServer({}, (socket) => {
      socket.close(4003, "go away");
    });
    const client = await connectWebSocket(server.url, { engine });
    assertEquals(await Array.fromAsync(client), []);
    assertEquals(await client.closed, {
      code: 4003,
      reason: "go away",
      wasClean: true,
    });
  });

  Deno.test(`connectWebSocket (${engine}) closes with 1009 on a message over maxMessageBytes`, async () => {
    await using server = await startWsServer({}, (socket) => {
      socket.send("x".repeat(100));
      socket.send("x".repeat(101));
    });
    const client = await connectWebSocket(server.url, {
      engine,
      maxMessageBytes: 100,
    });
    assertEquals(await Array.fromAsync(client), ["x".repeat(100)]);
    await client.closed;
    await server[Symbol.asyncDispose]();
    // A client WebSocket may only send 1000 and 3000-4999: the native
    // engine closes without a code instead.
    assertEquals(server.closeCodes, [engine === "codec" ? 1009 : 1005]);
  });

  Deno.test(`connectWebSocket (${engine}) echoes with a bare Deno.upgradeWebSocket server`, async () => {
    await using server = startDenoServer();
    const client = await connectWebSocket(server.url, {
      engine,
      protocols: ["chat"],
    });
    strictEqual(client.protocol, "chat");
    await client.send("one");
    await client.send(new Uint8Array([7]));
    const reader = client.readable.getReader();
    strictEqual((await reader.read()).value, "one");
    assertEquals((await reader.read()).value, new Uint8Array([7]));
    reader.releaseLock();
    await client.close(1000);
    strictEqual((await client.closed).wasClean, true);
  });

  Deno.test(`connectWebSocket (${engine}) talks to serveWebSocket`, async () => {
    await using server = serveWebSocket(
      { deflate: permessageDeflate() },
      async (connection) => {
        for await (const message of connection) {
          await connection.send(message);
        }
      },
    );
    const client = await connectWebSocket(
      `ws://127.0.0.1:${server.addr.port}/`,
      engine === "codec"
        ? { engine, deflate: permessageDeflate() }
        : { engine },
    );
    strictEqual(
      client.extensions,
      engine === "codec" ? "permessage-deflate" : "",
    );
    const text = "round trip ".repeat(1000);
    await client.send(text);
    for await (const message of client) {
      strictEqual(message, text);
      break;
    }
    strictEqual((await client.closed).code, 1000);
  });

  Deno.test(`connectWebSocket (${engine}) rejects when the connection is refused`, async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    await rejects(connectWebSocket(`ws://127.0.0.1:${port}/`, { engine }));
  });
}

Deno.test("connectWebSocket offers no compression without a deflate option", async () => {
  await using server = await startWsServer({ perMessageDeflate: true });
  const client = await connectWebSocket(server.url);
  strictEqual(client.extensions, "");
  assertEquals(server.extensions, [""]);
  await client.close(1000);
});

Deno.test("connectWebSocket refuses deflate settings without permessageDeflate", async () => {
  for (const deflate of [true, { serverNoContextTakeover: true }]) {
    await rejects(
      connectWebSocket("ws://127.0.0.1:1/", {
        deflate: deflate as unknown as false,
      }),
      (error) =>
        error instanceof TypeError &&
        error.message.includes('"@serverpush/serverpush/ws/deflate"'),
    );
  }
});

Deno.test("connectWebSocket (codec) negotiates permessage-deflate with the ws server", async (t) => {
  const cases: [
    string,
    Record<string, unknown>,
    ConnectWebSocketOptions,
    string,
  ][] = [
    [
      "with context takeover",
      {},
      { deflate: permessageDeflate() },
      "permessage-deflate",
    ],
    [
      "without context takeover, asked by the server",
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      { deflate: permessageDeflate() },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    ],
    [
      "without context takeover, asked by the client",
      {},
      {
        deflate: permessageDeflate({
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
        }),
      },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    ],
  ];
  for (const [name, serverDeflate, options, expected] of cases) {
    await t.step(name, async () => {
      await using server = await startWsServer({
        perMessageDeflate: { threshold: 0, ...serverDeflate },
      });
      const client = await connectWebSocket(server.url, options);
      strictEqual(client.extensions, expected);
      // ws lists only the names of the extensions it agreed to.
      strictEqual(server.extensions[0], "permessage-deflate");
      const big = "deflate me ".repeat(3000);
      const reader = client.readable.getReader();
      for (let i = 0; i < 3; i++) {
        await client.send(big);
        strictEqual((await reader.read()).value, big);
      }
      await client.send("tiny");
      strictEqual((await reader.read()).value, "tiny");
      reader.releaseLock();
      await client.close(1000);
    });
  }
});

Deno.test("connectWebSocket (codec) fails with the status of a refused handshake, without retrying it", async () => {
  let attempts = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    () => {
      attempts++;
      return new Response("no", { status: 403 });
    },
  );
  await rejects(
    connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`, {
      reconnect: { retry: 1 },
    }),
    (error) =>
      error instanceof WsHandshakeError && error.status === 403 &&
      error.code === "unexpected-status",
  );
  strictEqual(attempts, 1);
  await server.shutdown();
});

Deno.test("connectWebSocket retries Node's network errors by code, and not other errors", async () => {
  await using server = serveWebSocket({}, async (connection) => {
    await connection.closed;
  });
  let attempts = 0;
  const client = await connectWebSocket(
    `ws://127.0.0.1:${server.addr.port}/`,
    {
      reconnect: { retry: 1, maxRetry: 2 },
      connect: (options) => {
        attempts++;
        return attempts === 1
          ? Promise.reject(
            Object.assign(new Error("connect ECONNREFUSED"), {
              code: "ECONNREFUSED",
            }),
          )
          : Deno.connect({ hostname: options.hostname, port: options.port });
      },
    },
  );
  strictEqual(attempts, 2);
  await client.close(1000);
  let refusals = 0;
  await rejects(
    connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`, {
      reconnect: { retry: 1 },
      connect: () => {
        refusals++;
        return Promise.reject(new Error("not a network error"));
      },
    }),
    { message: "not a network error" },
  );
  strictEqual(refusals, 1);
});

Deno.test("connectWebSocket retries a 503 with reconnect until the server accepts", async () => {
  let attempts = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    (request) => {
      attempts++;
      if (attempts < 3) return new Response("busy", { status: 503 });
      const { response, socket } = Deno.upgradeWebSocket(request);
      socket.onopen = () => socket.close(4000, "third");
      return response;
    },
  );
  const client = await connectWebSocket(
    `ws://127.0.0.1:${server.addr.port}/`,
    { reconnect: { retry: 1, maxRetry: 4 } },
  );
  strictEqual(attempts, 3);
  strictEqual((await client.closed).code, 4000);
  await server.shutdown();
});

Deno.test("connectWebSocket with reconnect waits for a server that starts later", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  let failures = 0;
  const connecting = connectWebSocket(`ws://127.0.0.1:${port}/`, {
    reconnect: { retry: 5, maxRetry: 20 },
    // Counts attempts through the injection point.
    connect: (options) =>
      Deno.connect({ hostname: options.hostname, port: options.port })
        .catch((error) => {
          failures++;
          throw error;
        }),
  });
  while (failures < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  await using _server = serveWebSocket({ port }, async (connection) => {
    await connection.send("welcome");
    await connection.closed;
  });
  const client = await connecting;
  for await (const message of client) {
    strictEqual(message, "welcome");
    break;
  }
  await client.closed;
  ok(failures >= 2);
});

Deno.test("connectWebSocket rejects with the signal's reason on abort", async () => {
  // A server that accepts TCP and never answers the handshake.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const controller = new AbortController();
  const connecting = connectWebSocket(
    `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    { signal: controller.signal },
  );
  const conn = await accepted;
  const reason = new Error("stop");
  controller.abort(reason);
  await rejects(connecting, (error) => error === reason);
  // The client closed its end.
  strictEqual(
    await conn.read(new Uint8Array(4096)).then(async (n) => {
      while (n !== null) n = await conn.read(new Uint8Array(4096));
      return n;
    }),
    null,
  );
  conn.close();
  listener.close();
});

Deno.test("connectWebSocket fails with a TimeoutError after handshakeTimeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await rejects(
    connectWebSocket(
      `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
      { handshakeTimeout: 30 },
    ),
    (error) => error instanceof DOMException && error.name === "TimeoutError",
  );
  (await accepted).close();
  listener.close();
});

Deno.test("connectWebSocket refuses options the native engine cannot honour", async (t) => {
  for (
    const options of [
      { deflate: permessageDeflate() },
      { heartbeat: 1000 },
      { caCerts: ["pem"] },
    ] as ConnectWebSocketOptions[]
  ) {
    await t.step(Object.keys(options)[0]!, async () => {
      await rejects(
        connectWebSocket("ws://127.0.0.1:1/", { ...options, engine: "native" }),
        TypeError,
      );
    });
  }
});

Deno.test("connectWebSocket refuses headers the handshake owns", async () => {
  await rejects(
    connectWebSocket("ws://127.0.0.1:1/", {
      headers: { "sec-websocket-key": "x" },
    }),
    TypeError,
  );
});

Deno.test("connectWebSocket runs over an injected connect function", async () => {
  const pair = duplexPair();
  let served = false;
  const stop = Promise.withResolvers<never>();
  const listener = {
    addr: { transport: "tcp", hostname: "fake", port: 1 },
    accept(): Promise<unknown> {
      if (!served) {
        served = true;
        return Promise.resolve({
          ...pair.b,
          readable: pair.b.readable,
          writable: pair.b.writable,
          close: () => pair.b.close(),
          closeWrite: () => pair.b.closeWrite!(),
          remoteAddr: { transport: "tcp", hostname: "client", port: 2 },
        });
      }
      return stop.promise;
    },
    close(): void {
      stop.reject(new Deno.errors.BadResource("closed"));
    },
  } as unknown as Deno.Listener;
  const server = serveWebSocket({ listen: () => listener }, async (c) => {
    for await (const message of c) await c.send(`echo: ${message}`);
  });
  const client = await connectWebSocket("ws://in-memory.example/", {
    connect: (options) => {
      assertEquals(options, {
        hostname: "in-memory.example",
        port: 80,
        tls: false,
      });
      return Promise.resolve(pair.a as unknown as Deno.Conn);
    },
  });
  await client.send("hi");
  for await (const message of client) {
    strictEqual(message, "echo: hi");
    break;
  }
  await client.closed;
  await server.shutdown();
});

const openssl = await hasOpenssl();

Deno.test({
  name: "connectWebSocket (codec) talks to serveWebSocket over TLS",
  ignore: !openssl,
  async fn(): Promise<void> {
    const { ca, cert, key } = await testCertificate();
    await using server = serveWebSocket(
      { cert, key, deflate: permessageDeflate() },
      async (connection) => {
        for await (const message of connection) {
          await connection.send(message);
        }
      },
    );
    const url = `wss://localhost:${server.addr.port}/`;
    // Without the certificate the TLS handshake fails.
    await rejects(connectWebSocket(url));
    const client = await connectWebSocket(url, {
      caCerts: [ca],
      deflate: permessageDeflate(),
    });
    strictEqual(client.extensions, "permessage-deflate");
    await client.send("secure ".repeat(500));
    for await (const message of client) {
      strictEqual(message, "secure ".repeat(500));
      break;
    }
    strictEqual((await client.closed).wasClean, true);
  },
});
