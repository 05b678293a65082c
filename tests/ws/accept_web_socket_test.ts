// Copyright 2026 the serverpush authors. MIT license.
// Unit tests of acceptWebSocket with a fake Deno.upgradeWebSocket.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  acceptWebSocket,
  type AcceptWebSocketOptions,
  jsonCodec,
  type UpgradeWebSocket,
  type WsConnection,
} from "../../ws/mod.ts";
import { FakeSocket } from "./_fake_socket.ts";
import { upgradeRequest } from "../_upgrade.ts";

interface FakeUpgrade {
  upgrade: UpgradeWebSocket;
  calls: { idleTimeout?: number }[];
  sockets: FakeSocket[];
}

/** A fake upgrade that records its options and hands out fake sockets. */
function fakeUpgrade(): FakeUpgrade {
  const calls: FakeUpgrade["calls"] = [];
  const sockets: FakeSocket[] = [];
  return {
    calls,
    sockets,
    upgrade(_request, options) {
      calls.push(options);
      const socket = new FakeSocket();
      sockets.push(socket);
      // A Response cannot have status 101 outside Deno.serve; the fake's
      // 200 stands for it.
      return {
        response: new Response(null, { status: 200 }),
        socket: socket.asWebSocket,
      };
    },
  };
}

/** Runs acceptWebSocket with a fake upgrade; returns the status and calls. */
async function accept(
  request: Request,
  options: AcceptWebSocketOptions = {},
): Promise<{ status: number; response: Response; fake: FakeUpgrade }> {
  const fake = fakeUpgrade();
  const { response, connection } = await acceptWebSocket(request, {
    ...options,
    upgrade: fake.upgrade,
  });
  strictEqual(connection === undefined, fake.calls.length === 0);
  for (const socket of fake.sockets) socket.finish(1000);
  return { status: response.status, response, fake };
}

Deno.test("acceptWebSocket answers 426 with Upgrade: websocket to a request that is not an upgrade", async () => {
  const { status, response, fake } = await accept(
    new Request("http://chat.example/ws"),
  );
  strictEqual(status, 426);
  strictEqual(response.headers.get("upgrade"), "websocket");
  strictEqual(fake.calls.length, 0);
  await response.body?.cancel();
});

Deno.test("acceptWebSocket answers a malformed handshake with 400 and the reason", async () => {
  const { status, response } = await accept(
    upgradeRequest({ "sec-websocket-key": "short" }),
  );
  strictEqual(status, 400);
  strictEqual(
    await response.text(),
    'Cannot accept WebSocket upgrade: Sec-WebSocket-Key "short" is not the base64 of 16 bytes',
  );
});

Deno.test("acceptWebSocket answers a wrong version with 426 and Sec-WebSocket-Version: 13", async () => {
  const { status, response } = await accept(
    upgradeRequest({ "sec-websocket-version": "8" }),
  );
  strictEqual(status, 426);
  strictEqual(response.headers.get("sec-websocket-version"), "13");
  await response.body?.cancel();
});

Deno.test("acceptWebSocket applies the Origin policy", async (t) => {
  const cases: [
    name: string,
    origin: string | undefined,
    origins: AcceptWebSocketOptions["origins"],
    status: number,
  ][] = [
    ["default: same origin passes", "http://chat.example", undefined, 200],
    ["default: no Origin passes", undefined, undefined, 200],
    ["default: another origin gets 403", "http://evil.example", undefined, 403],
    ["default: Origin null gets 403", "null", undefined, 403],
    ["allow-list: listed origin passes", "https://app.example", [
      "https://app.example",
    ], 200],
    ["allow-list: own origin not listed gets 403", "http://chat.example", [
      "https://app.example",
    ], 403],
    ["URLPattern: matching origin passes", "https://a.app.example", [
      new URLPattern({ protocol: "https", hostname: "*.app.example" }),
    ], 200],
    ["URLPattern: other origin gets 403", "https://evil.example", [
      new URLPattern({ protocol: "https", hostname: "*.app.example" }),
    ], 403],
    ["function: allows", "http://evil.example", () => true, 200],
    ["function: refuses", "http://chat.example", () => false, 403],
    ["any", "http://evil.example", "any", 200],
  ];
  for (const [name, origin, origins, expected] of cases) {
    await t.step(name, async () => {
      const { status, response } = await accept(
        upgradeRequest(origin === undefined ? {} : { origin }),
        origins === undefined ? {} : { origins },
      );
      strictEqual(status, expected);
      await response.body?.cancel();
    });
  }
});

Deno.test("acceptWebSocket passes the Origin value and the request to an origin function", async () => {
  const seen: [string | undefined, string][] = [];
  const { response } = await accept(
    upgradeRequest({ origin: "https://x.example" }),
    {
      origins: (origin, request) => {
        seen.push([origin, request.url]);
        return true;
      },
    },
  );
  deepStrictEqual(seen, [["https://x.example", "http://chat.example/ws"]]);
  await response.body?.cancel();
});

Deno.test("acceptWebSocket answers 403 when authorize returns false", async () => {
  const { status, fake, response } = await accept(upgradeRequest(), {
    authorize: () => false,
  });
  strictEqual(status, 403);
  strictEqual(fake.calls.length, 0);
  await response.body?.cancel();
});

Deno.test("acceptWebSocket sends the Response that authorize returns", async () => {
  const { status, response } = await accept(upgradeRequest(), {
    authorize: () =>
      new Response("log in first", {
        status: 401,
        headers: { "www-authenticate": "Bearer" },
      }),
  });
  strictEqual(status, 401);
  strictEqual(response.headers.get("www-authenticate"), "Bearer");
  strictEqual(await response.text(), "log in first");
});

Deno.test("acceptWebSocket upgrades when an async authorize resolves true", async () => {
  const tokens: (string | null)[] = [];
  const { status } = await accept(
    upgradeRequest({ "sec-websocket-protocol": "chat.v1, token.abc" }),
    {
      protocols: ["chat.v1"],
      authorize: async (request) => {
        await Promise.resolve();
        const offered = request.headers.get("sec-websocket-protocol") ?? "";
        const token = offered.split(", ").find((p) => p.startsWith("token."));
        tokens.push(token ?? null);
        return token === "token.abc";
      },
    },
  );
  strictEqual(status, 200);
  deepStrictEqual(tokens, ["token.abc"]);
});

Deno.test("acceptWebSocket rejects with what authorize throws, without upgrading", async () => {
  const fake = fakeUpgrade();
  await rejects(
    acceptWebSocket(upgradeRequest(), {
      upgrade: fake.upgrade,
      authorize: () => Promise.reject(new Error("database down")),
    }),
    { message: "database down" },
  );
  strictEqual(fake.calls.length, 0);
});

Deno.test("acceptWebSocket does not call authorize for a refused Origin", async () => {
  let called = false;
  const { status, response } = await accept(
    upgradeRequest({ origin: "http://evil.example" }),
    {
      authorize: () => {
        called = true;
        return true;
      },
    },
  );
  strictEqual(status, 403);
  strictEqual(called, false);
  await response.body?.cancel();
});

Deno.test("acceptWebSocket chooses the subprotocol by server preference and reports it", async (t) => {
  const cases: [
    name: string,
    offered: string | undefined,
    protocols: string[],
    chosen: string,
  ][] = [
    [
      "server order wins",
      "chat.v1, chat.v2",
      ["chat.v2", "chat.v1"],
      "chat.v2",
    ],
    ["only a common one", "a, chat.v1", ["chat.v2", "chat.v1"], "chat.v1"],
    ["a list without spaces", "a,chat.v1", ["chat.v1"], "chat.v1"],
    ["none in common", "a, b", ["chat.v1"], ""],
    ["none offered", undefined, ["chat.v1"], ""],
    ["server speaks none", "chat.v1", [], ""],
  ];
  for (const [name, offered, protocols, chosen] of cases) {
    await t.step(name, async () => {
      const fake = fakeUpgrade();
      const { response, connection } = await acceptWebSocket(
        upgradeRequest(
          offered === undefined ? {} : { "sec-websocket-protocol": offered },
        ),
        { protocols, upgrade: fake.upgrade },
      );
      ok(connection !== undefined);
      strictEqual(connection.protocol, chosen);
      strictEqual(
        response.headers.get("sec-websocket-protocol"),
        chosen === "" ? null : chosen,
      );
      // Deno's own protocol option is never used (see acceptWebSocket).
      ok(!("protocol" in fake.calls[0]!));
      fake.sockets[0]!.finish(1000);
    });
  }
});

Deno.test("acceptWebSocket maps the heartbeat to Deno's idleTimeout in seconds", async (t) => {
  const cases: [
    name: string,
    heartbeat: AcceptWebSocketOptions["heartbeat"],
    idleTimeout: number,
  ][] = [
    ["default 30 s + 30 s", undefined, 60],
    ["a number is the interval", 5_000, 10],
    ["interval and timeout", { interval: 10_000, timeout: 2_000 }, 12],
    ["timeout defaults to the interval", { interval: 250 }, 0.5],
    ["false turns it off", false, 0],
  ];
  for (const [name, heartbeat, idleTimeout] of cases) {
    await t.step(name, async () => {
      const { fake } = await accept(
        upgradeRequest(),
        heartbeat === undefined ? {} : { heartbeat },
      );
      strictEqual(fake.calls[0]?.idleTimeout, idleTimeout);
    });
  }
});

Deno.test("acceptWebSocket refuses bad options before upgrading", async (t) => {
  const cases: [name: string, options: AcceptWebSocketOptions][] = [
    ["negative maxMessageBytes", { maxMessageBytes: -1 }],
    ["NaN maxBufferedBytes", { maxBufferedBytes: NaN }],
    ["zero heartbeat interval", { heartbeat: 0 }],
    ["negative heartbeat timeout", { heartbeat: { timeout: -1 } }],
  ];
  for (const [name, options] of cases) {
    await t.step(name, async () => {
      const fake = fakeUpgrade();
      await rejects(
        acceptWebSocket(upgradeRequest(), {
          ...options,
          upgrade: fake.upgrade,
        }),
        RangeError,
      );
      strictEqual(fake.calls.length, 0);
    });
  }
});

Deno.test("acceptWebSocket returns the upgrade's response and a connection over its socket", async () => {
  const fake = fakeUpgrade();
  const { response, connection } = await acceptWebSocket(upgradeRequest(), {
    upgrade: fake.upgrade,
    remoteAddr: { hostname: "127.0.0.1", port: 5000 },
  });
  ok(connection !== undefined);
  strictEqual(response.status, 200);
  deepStrictEqual(connection.remoteAddr, { hostname: "127.0.0.1", port: 5000 });
  strictEqual(connection.extensions, "");
  const socket = fake.sockets[0]!;
  const sent = connection.send("welcome");
  socket.open();
  await sent;
  socket.receive("hi");
  socket.finish(1000);
  deepStrictEqual(await Array.fromAsync(connection), ["hi"]);
  deepStrictEqual(socket.sent, ["welcome"]);
});

Deno.test("acceptWebSocket's connection follows its socket's opening, whether or not anything waited for it", async (t) => {
  async function accepted(): Promise<{
    connection: WsConnection;
    socket: FakeSocket;
  }> {
    const fake = fakeUpgrade();
    const { connection } = await acceptWebSocket(upgradeRequest(), {
      upgrade: fake.upgrade,
    });
    ok(connection !== undefined);
    return { connection, socket: fake.sockets[0]! };
  }

  await t.step(
    "a close() before it opened is made again once it opens",
    async () => {
      const { connection, socket } = await accepted();
      const closing = connection.close(1001, "going");
      socket.readyState = 0; // Deno's server-side socket ignores it
      socket.open();
      deepStrictEqual(socket.closes.map((c) => c.code), [1001, 1001]);
      socket.finish(1001, "going");
      await closing;
      strictEqual((await connection.closed).code, 1001);
    },
  );

  await t.step("an error before it opened ends it with 1006", async () => {
    const { connection, socket } = await accepted();
    socket.fail();
    deepStrictEqual(await connection.closed, {
      code: 1006,
      reason: "",
      wasClean: false,
    });
    await rejects(connection.send("late"), { name: "InvalidStateError" });
  });

  await t.step(
    "opened with nothing waiting: sends go out, and an error waits for the close",
    async () => {
      const { connection, socket } = await accepted();
      socket.open();
      await connection.send("now");
      deepStrictEqual(socket.sent, ["now"]);
      socket.fail();
      socket.finish(1011, "broke");
      deepStrictEqual(await connection.closed, {
        code: 1011,
        reason: "broke",
        wasClean: true,
      });
    },
  );

  await t.step(
    "opened with nothing waiting, then an error: it waits for the close",
    async () => {
      const { connection, socket } = await accepted();
      socket.open();
      socket.fail();
      socket.receive("still here");
      socket.finish(1000);
      deepStrictEqual(await Array.fromAsync(connection), ["still here"]);
      strictEqual((await connection.closed).code, 1000);
    },
  );
});

Deno.test("acceptWebSocket with a codec yields and takes values", async () => {
  const fake = fakeUpgrade();
  const { connection } = await acceptWebSocket(upgradeRequest(), {
    upgrade: fake.upgrade,
    codec: jsonCodec(),
  });
  ok(connection !== undefined);
  const socket = fake.sockets[0]!;
  socket.open();
  await connection.send({ n: 1 });
  socket.receive('{"n":2}');
  socket.finish(1000);
  deepStrictEqual(await Array.fromAsync(connection), [{ n: 2 }]);
  deepStrictEqual(socket.sent, ['{"n":1}']);
});

Deno.test("acceptWebSocket enforces maxMessageBytes with close code 1009", async () => {
  const fake = fakeUpgrade();
  const { connection } = await acceptWebSocket(upgradeRequest(), {
    upgrade: fake.upgrade,
    maxMessageBytes: 3,
  });
  ok(connection !== undefined);
  const socket = fake.sockets[0]!;
  socket.open();
  socket.receive("four");
  deepStrictEqual(socket.closes.map((c) => c.code), [1009]);
  socket.finish(1009);
  await connection.closed;
});
