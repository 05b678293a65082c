// Copyright 2026 the serverpush authors. MIT license.
// `serve` in this Deno process: its options and its lifecycle. The same
// server on Node and Bun is tested in serve_runtimes_test.ts.

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { serve } from "../../serve/mod.ts";
import { connectWebSocket } from "../../ws/mod.ts";
import { acceptWebSocket } from "../../ws/mod.ts";

Deno.test("serve refuses a cert without a key", async () => {
  await rejects(
    async () =>
      await serve({ port: 0, cert: "x" }, () => new Response("never")),
    TypeError,
  );
});

Deno.test("serve refuses a port out of range", async () => {
  await rejects(
    async () => await serve({ port: 70000 }, () => new Response("never")),
    RangeError,
  );
});

Deno.test("serve calls onListen with its address and stops when its signal aborts", async () => {
  const controller = new AbortController();
  const heard: { hostname: string; port: number }[] = [];
  const server = await serve({
    port: 0,
    hostname: "127.0.0.1",
    signal: controller.signal,
    onListen: (addr) => heard.push(addr),
  }, () => new Response("hello"));
  strictEqual(server.runtime, "deno");
  deepStrictEqual(heard, [server.addr]);
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  strictEqual(await response.text(), "hello");
  controller.abort();
  await server.finished;
  await rejects(fetch(`http://127.0.0.1:${server.addr.port}/`));
});

Deno.test("serve answers 500 and reports what the handler throws", async () => {
  const errors: unknown[] = [];
  await using server = await serve({
    port: 0,
    hostname: "127.0.0.1",
    onError: (error) => errors.push(error),
  }, () => {
    throw new Error("boom");
  });
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  strictEqual(response.status, 500);
  await response.body?.cancel();
  strictEqual((errors[0] as Error).message, "boom");
});

Deno.test("serve answers 413 to a Content-Length over maxRequestBodyBytes", async () => {
  let called = false;
  await using server = await serve({
    port: 0,
    hostname: "127.0.0.1",
    maxRequestBodyBytes: 10,
  }, () => {
    called = true;
    return new Response("never");
  });
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
    method: "POST",
    body: "x".repeat(11),
  });
  strictEqual(response.status, 413);
  await response.body?.cancel();
  strictEqual(called, false);
});

Deno.test("serve's shutdown ends a stream in progress and closes WebSockets with 1001", async () => {
  const server = await serve(
    { port: 0, hostname: "127.0.0.1" },
    async (request) => {
      if (request.headers.has("upgrade")) {
        const { response } = await acceptWebSocket(request);
        return response;
      }
      return new Response(new ReadableStream({ pull() {} }));
    },
  );
  const stream = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  await server.shutdown();
  strictEqual((await client.closed).code, 1001);
  deepStrictEqual(await Array.fromAsync(stream.body!), []);
});
