// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { rawRequest, upgradeHeaders } from "../_raw_http.ts";
import { createHubHandler } from "../../serve/mod.ts";

/** A hub handler on a real server, allowing its loopback names. */
function start(): {
  hub: Hub;
  server: Deno.HttpServer<Deno.NetAddr>;
  port: number;
} {
  const hub = new Hub();
  let handler: (request: Request) => Promise<Response> = () =>
    Promise.resolve(new Response(null, { status: 500 }));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => handler(request),
  );
  const port = server.addr.port;
  handler = createHubHandler(hub, {
    allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`],
    authorizePublish: () => true,
    keepAlive: false,
  });
  return { hub, server, port };
}

Deno.test("createHubHandler answers 421 on every route to a Host not in allowedHosts", async (t) => {
  const { hub, server, port } = start();
  const evil = `evil.example:${port}`;
  try {
    const routes: [string, string, string, Record<string, string>][] = [
      ["SSE", "GET", "/news", { accept: "text/event-stream" }],
      ["long poll", "GET", "/news?transport=longpoll", {}],
      ["poll", "GET", "/news?transport=poll", {}],
      ["iframe", "GET", "/news?transport=iframe&callback=cb", {}],
      ["publish", "POST", "/news", { "content-type": "text/plain" }],
      ["WebSocket", "GET", "/news", upgradeHeaders(evil)],
      [
        "serverpush.v1",
        "GET",
        "/",
        upgradeHeaders(evil, undefined, {
          "sec-websocket-protocol": "serverpush.v1",
        }),
      ],
    ];
    for (const [name, method, path, headers] of routes) {
      await t.step(name, async () => {
        const response = await rawRequest(port, method, path, {
          ...headers,
          host: evil,
          origin: `http://${evil}`,
          connection: headers.upgrade === undefined ? "close" : "Upgrade",
        }, method === "POST" ? "pwned" : "");
        strictEqual(response.status, 421, response.head);
      });
    }
    strictEqual((await hub.history("news")).messages.length, 0);
    strictEqual(hub.stats().subscribers, 0);

    // The server's own names are served.
    const own = await fetch(`http://127.0.0.1:${port}/news`, {
      method: "POST",
      body: "hello",
    });
    strictEqual(own.status, 201);
    await own.body?.cancel();
    const sse = await fetch(`http://localhost:${port}/news`, {
      headers: { accept: "text/event-stream", "last-event-id": "0" },
    });
    strictEqual(sse.status, 200);
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("data: hello")) {
      const { value, done } = await reader.read();
      ok(!done, text);
      text += value;
    }
    await reader.cancel();
  } finally {
    await hub.close();
    await server.shutdown();
  }
});
