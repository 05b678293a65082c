// Copyright 2026 the serverpush authors. MIT license.
// forEachMessage on both engines (serverpush's codec over TCP, and Deno's
// native WebSocket through acceptWebSocket under Deno.serve), seen from a
// real client: order, one message at a time, backpressure through a
// returned promise, the end, and a handler that fails.

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import {
  acceptWebSocket,
  connectWebSocket,
  forEachMessage,
  jsonCodec,
  serveWebSocket,
  type WsCloseInfo,
  type WsConnection,
} from "../../ws/mod.ts";
import { delay, within } from "../_wait.ts";

/** A server running `handler` for each connection, on one engine. */
interface EchoServer extends AsyncDisposable {
  url: string;
}

type Engine = "codec" | "native";

function startServer(
  engine: Engine,
  handler: (connection: WsConnection) => void,
): EchoServer {
  if (engine === "codec") {
    const server = serveWebSocket({}, (connection) => handler(connection));
    return {
      url: `ws://127.0.0.1:${server.addr.port}/`,
      [Symbol.asyncDispose]: () => server.shutdown(),
    };
  }
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const { response, connection } = await acceptWebSocket(request, {
        origins: "any",
      });
      if (connection !== undefined) handler(connection);
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}/`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Reads `count` messages from `client`. */
async function take(
  client: WsConnection,
  count: number,
): Promise<(string | Uint8Array)[]> {
  const got: (string | Uint8Array)[] = [];
  if (count === 0) return got;
  const reader = client.readable.getReader();
  try {
    while (got.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return got;
}

for (const engine of ["codec", "native"] as Engine[]) {
  Deno.test(`forEachMessage (${engine}): each message in order, one at a time, then resolves when the peer closes`, async () => {
    const seen: (string | Uint8Array)[] = [];
    let running = 0;
    let most = 0;
    let ended: Promise<void> | undefined;
    await using server = startServer(engine, (connection) => {
      ended = forEachMessage(connection, async (message) => {
        running++;
        most = Math.max(most, running);
        // Every third message takes a while: the next waits for it.
        if (seen.length % 3 === 0) await delay(5);
        seen.push(message);
        running--;
        await connection.send(message);
      });
    });
    const client = await connectWebSocket(server.url);
    const sent: (string | Uint8Array)[] = [];
    for (let i = 0; i < 20; i++) {
      const message = i % 2 === 0 ? `m${i}` : new Uint8Array([i, i + 1]);
      sent.push(message);
      void client.send(message);
    }
    deepStrictEqual(await within(take(client, 20), "echoes"), sent);
    deepStrictEqual(seen, sent);
    strictEqual(most, 1);
    await client.close(1000);
    await within(ended!, "forEachMessage resolves");
  });

  Deno.test(`forEachMessage (${engine}): a synchronous handler takes messages queued before it started`, async () => {
    const seen: (string | Uint8Array)[] = [];
    let opened!: () => void;
    const gotConnection = new Promise<void>((resolve) => opened = resolve);
    let connection: WsConnection | undefined;
    await using server = startServer(engine, (c) => {
      connection = c;
      opened();
    });
    const client = await connectWebSocket(server.url);
    await within(gotConnection, "connection");
    await client.send("a");
    await client.send("b");
    // Both have arrived (and queued) before the handler is given.
    await delay(100);
    const ended = forEachMessage(connection!, (message) => {
      seen.push(message);
    });
    await client.send("c");
    await client.close(1000);
    await within(ended, "forEachMessage resolves");
    deepStrictEqual(seen, ["a", "b", "c"]);
  });

  Deno.test(`forEachMessage (${engine}): a handler that throws closes with 1011 and rejects with its error`, async () => {
    const seen: (string | Uint8Array)[] = [];
    let ended: Promise<void> | undefined;
    const boom = new Error("boom");
    await using server = startServer(engine, (connection) => {
      ended = forEachMessage(connection, (message) => {
        if (message === "bad") throw boom;
        seen.push(message);
        return connection.send(message);
      });
      // Checked below, once the client saw the close.
      ended.catch(() => {});
    });
    const client = await connectWebSocket(server.url);
    await client.send("ok");
    deepStrictEqual(await within(take(client, 1), "the echo"), ["ok"]);
    await client.send("bad");
    // Dropped unhandled. (Deno's native server, bare Deno.upgradeWebSocket
    // too, drops the connection without a close frame, 1006, when it
    // closes while the peer's next message is on its way: only the codec
    // engine is sent one here.)
    if (engine === "codec") await client.send("after");
    const info: WsCloseInfo = await within(client.closed, "close");
    strictEqual(info.code, 1011);
    await rejects(ended!, (error) => error === boom);
    deepStrictEqual(seen, ["ok"]);
  });

  Deno.test(`forEachMessage (${engine}): a handler's rejected promise closes with 1011 and rejects with its error`, async () => {
    let ended: Promise<void> | undefined;
    await using server = startServer(engine, (connection) => {
      ended = forEachMessage(connection, async (message) => {
        await delay(1);
        throw new RangeError(`refused ${message}`);
      });
      ended.catch(() => {});
    });
    const client = await connectWebSocket(server.url);
    await client.send("x");
    strictEqual((await within(client.closed, "close")).code, 1011);
    await rejects(
      ended!,
      (error) => error instanceof RangeError && error.message === "refused x",
    );
  });

  Deno.test(`forEachMessage (${engine}): rejects with a TypeError when the messages are already being read`, async () => {
    let outcome: Promise<void> | undefined;
    let opened!: () => void;
    const gotConnection = new Promise<void>((resolve) => opened = resolve);
    await using server = startServer(engine, (connection) => {
      const reader = connection.readable.getReader();
      outcome = forEachMessage(connection, () => {});
      outcome.catch(() => {});
      reader.releaseLock();
      opened();
    });
    const client = await connectWebSocket(server.url);
    await within(gotConnection, "connection");
    await rejects(outcome!, TypeError);
    await client.close(1000);
  });
}

Deno.test("forEachMessage on a TypedWsConnection gets decoded values, in order", async () => {
  const seen: unknown[] = [];
  let ended: Promise<void> | undefined;
  const server = serveWebSocket({ codec: jsonCodec() }, (connection) => {
    ended = forEachMessage(connection, (value) => {
      seen.push(value);
      return connection.send({ echo: value });
    });
  });
  try {
    const client = await connectWebSocket(
      `ws://127.0.0.1:${server.addr.port}/`,
    );
    await client.send(JSON.stringify({ n: 1 }));
    await client.send(JSON.stringify([2]));
    const replies = await within(take(client, 2), "replies");
    deepStrictEqual(replies.map((r) => JSON.parse(r as string)), [
      { echo: { n: 1 } },
      { echo: [2] },
    ]);
    await client.close(1000);
    await within(ended!, "forEachMessage resolves");
    deepStrictEqual(seen, [{ n: 1 }, [2]]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("forEachMessage waits for the handler's promise, and loses nothing while reading pauses at maxUnreadBytes", async () => {
  // 64 KiB unread at most: the engine stops reading the client's 1 MiB
  // part of the way and resumes once the handler goes on (the memory bound
  // itself is attacked in tests/abuse/serve_unread_flood_test.ts).
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let handled = 0;
  let ended: Promise<void> | undefined;
  const server = serveWebSocket(
    { maxUnreadBytes: 65_536 },
    (connection) => {
      ended = forEachMessage(connection, async () => {
        handled++;
        await released;
      });
    },
  );
  try {
    const client = await connectWebSocket(
      `ws://127.0.0.1:${server.addr.port}/`,
    );
    const message = new Uint8Array(16_384);
    for (let i = 0; i < 64; i++) void client.send(message);
    await delay(300);
    // One message is with the handler and the rest wait.
    strictEqual(handled, 1);
    release();
    await within(
      (async () => {
        while (handled < 64) await delay(10);
      })(),
      "all 64 handled once released",
    );
    strictEqual(handled, 64);
    await client.close(1000);
    await within(ended!, "forEachMessage resolves");
  } finally {
    await server.shutdown();
  }
});
