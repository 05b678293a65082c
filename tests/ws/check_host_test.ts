// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual, throws } from "node:assert/strict";
import {
  acceptWebSocket,
  admitUpgrade,
  checkHost,
  createHostCheck,
  serveWebSocket,
  WsHandshakeError,
} from "../../ws/mod.ts";
import { rawRequest, upgradeHeaders } from "../_raw_http.ts";

function withHost(host: string, origin?: string): Request {
  return new Request("http://placeholder/ws", {
    headers: { host, ...(origin === undefined ? {} : { origin }) },
  });
}

const LOOPBACK = ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"];

Deno.test("checkHost accepts the listed names and refuses a rebound one with 421", async (t) => {
  for (const host of ["127.0.0.1:8000", "LOCALHOST:8000", "[::1]:8000"]) {
    await t.step(`accepts ${host}`, () => checkHost(withHost(host), LOOPBACK));
  }
  for (
    const host of [
      "evil.example:8000",
      "localhost:8001",
      "localhost",
      "127.0.0.2:8000",
      "[::2]:8000",
      "localhost.evil.example:8000",
      "",
      "localhost:8000@evil",
      "localhost:8000/x",
      "a b",
    ]
  ) {
    await t.step(`refuses ${JSON.stringify(host)}`, () => {
      const error = throws(
        () => checkHost(withHost(host, `http://${host}`), LOOPBACK),
        (e: unknown) => {
          ok(e instanceof WsHandshakeError);
          strictEqual(e.code, "forbidden-host");
          strictEqual(e.status, 421);
          ok(e.message.startsWith("Cannot serve request: Host "), e.message);
          return true;
        },
      );
      strictEqual(error, undefined);
    });
  }
});

Deno.test("checkHost matches an entry without a port on any port, and port 80 for no port", () => {
  checkHost(withHost("localhost:1234"), ["localhost"]);
  checkHost(withHost("localhost"), ["localhost"]);
  checkHost(withHost("example.com"), ["example.com:80"]);
  checkHost(withHost("example.com:80"), ["example.com"]);
  throws(() => checkHost(withHost("example.com"), ["example.com:443"]));
  throws(() => checkHost(withHost("evil.example:1234"), ["localhost"]));
});

Deno.test("checkHost uses the request URL's host when there is no Host header", () => {
  checkHost(new Request("http://localhost:8000/"), LOOPBACK);
  throws(
    () => checkHost(new Request("http://evil.example:8000/"), LOOPBACK),
    WsHandshakeError,
  );
});

Deno.test("createHostCheck throws a TypeError for an entry that is not a host", async (t) => {
  for (
    const entry of ["", "http://localhost", "localhost:port", "a/b", "::1"]
  ) {
    await t.step(JSON.stringify(entry), () => {
      throws(() => createHostCheck([entry]), TypeError);
    });
  }
  strictEqual(createHostCheck([])(withHost("localhost")), false);
});

Deno.test("admitUpgrade answers 421 to a Host not in allowedHosts, before the Origin policy", async () => {
  const rebound = new Request("http://evil.example:8000/ws", {
    headers: upgradeHeaders("evil.example:8000", "http://evil.example:8000"),
  });
  // Without allowedHosts the rebound page passes the same-origin rule.
  const passed = await admitUpgrade(rebound);
  ok(!(passed instanceof Response));
  const refused = await admitUpgrade(rebound, { allowedHosts: LOOPBACK });
  ok(refused instanceof Response);
  strictEqual(refused.status, 421);
  await refused.body?.cancel();
  const own = new Request("http://localhost:8000/ws", {
    headers: upgradeHeaders("localhost:8000", "http://localhost:8000"),
  });
  const agreed = await admitUpgrade(own, { allowedHosts: LOOPBACK });
  ok(!(agreed instanceof Response));
});

Deno.test("acceptWebSocket on a real server refuses a rebound Host and Origin with 421", async () => {
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request: Request): Promise<Response> => {
      const port = server.addr.port;
      const { response, connection } = await acceptWebSocket(request, {
        allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`],
      });
      connection?.close();
      return response;
    },
  );
  try {
    const port = server.addr.port;
    const evil = `evil.example:${port}`;
    const refused = await rawRequest(
      port,
      "GET",
      "/ws",
      upgradeHeaders(evil, `http://${evil}`),
    );
    strictEqual(refused.status, 421);
    const own = `127.0.0.1:${port}`;
    const ws = new WebSocket(`ws://${own}/ws`);
    const closed = new Promise((resolve) => ws.onclose = resolve);
    const opened = await new Promise<boolean>((resolve) => {
      ws.onopen = () => resolve(true);
      ws.onerror = () => resolve(false);
    });
    strictEqual(opened, true);
    await closed;
  } finally {
    await server.shutdown();
  }
});

Deno.test("serveWebSocket refuses a rebound Host and Origin with 421", async () => {
  await using server = serveWebSocket({
    hostname: "127.0.0.1",
    port: 0,
    allowedHosts: ["127.0.0.1", "localhost"],
  }, (connection) => connection.close());
  const port = server.addr.port;
  const evil = `evil.example:${port}`;
  const refused = await rawRequest(
    port,
    "GET",
    "/",
    upgradeHeaders(evil, `http://${evil}`),
  );
  strictEqual(refused.status, 421);
  const own = await rawRequest(
    port,
    "GET",
    "/",
    upgradeHeaders(`127.0.0.1:${port}`, `http://127.0.0.1:${port}`),
  );
  strictEqual(own.status, 101);
});
