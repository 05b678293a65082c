// Copyright 2026 the serverpush authors. MIT license.
// SseClient against servers that would make it reconnect in a tight loop or
// fail it with an id it cannot send back: a bound on the requests made, not
// on how fast they come.

import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { lastEventId, SseClient, sseResponse } from "../../sse/mod.ts";
import { serve, within } from "./_server.ts";
import { delay } from "../_wait.ts";

Deno.test("SseClient makes a handful of requests in 2 s to streams that open with retry: 0 and end empty", async () => {
  let requests = 0;
  await using s = serve(() => {
    requests++;
    return sseResponse([{ retry: 0 }].values(), { keepAlive: false });
  });
  const client = new SseClient(s.url, { retry: 0 });
  await delay(2000);
  client.close();
  // Before the floor: hundreds (865 in 3 s). With a floor of 1 s doubling
  // on each empty stream: the first request, then at most two more.
  ok(requests >= 1, "the client connected");
  ok(requests <= 4, `${requests} requests in 2 s`);
});

Deno.test("SseClient makes a handful of requests in 2 s to a refused port with retry: 0", async () => {
  // A port that was just free: connections are refused at once.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  let attempts = 0;
  const client = new SseClient(`http://127.0.0.1:${port}/`, {
    retry: 0,
    fetch: (input, init) => {
      attempts++;
      return fetch(input, init);
    },
  });
  await delay(2000);
  client.close();
  ok(attempts >= 1);
  ok(attempts <= 4, `${attempts} attempts in 2 s`);
});

Deno.test("SseClient reconnects at the reconnection time after a stream that dispatched an event", async () => {
  let requests = 0;
  await using s = serve(() => {
    requests++;
    return sseResponse([{ retry: 0 }, { data: "x" }].values(), {
      keepAlive: false,
    });
  });
  const client = new SseClient(s.url, { retry: 0 });
  const seen = Promise.withResolvers<void>();
  let events = 0;
  client.onmessage = () => {
    if (++events === 5) seen.resolve();
  };
  // Five streams in well under the floor's doubling (1 + 2 + 4 + 8 s).
  await within(seen.promise, "five events", 10_000);
  client.close();
  ok(requests >= 5);
});

Deno.test("SseClient does not send back an id over 1024 bytes, and the events still carry it", async () => {
  const seen: (string | undefined)[] = [];
  const long = "i".repeat(1024 * 1024);
  const limit = "é".repeat(512); // 1024 UTF-8 bytes: still sent
  const script = [
    () => sseResponse([{ id: long, data: "a" }].values(), { keepAlive: false }),
    () =>
      sseResponse([{ id: limit, data: "b" }].values(), { keepAlive: false }),
    () =>
      sseResponse([{ id: `${limit}x`, data: "c" }].values(), {
        keepAlive: false,
      }),
  ];
  await using s = serve((request) => {
    seen.push(
      request.headers.has("last-event-id") ? lastEventId(request) : undefined,
    );
    if ((request.headers.get("last-event-id")?.length ?? 0) > 1024) {
      return new Response("too long", { status: 400 });
    }
    const step = script[seen.length - 1];
    return step ? step() : new Response(null, { status: 204 });
  });
  const client = new SseClient(s.url, { retry: 0, minRetry: 0 });
  const ids: string[] = [];
  client.onmessage = (event) => ids.push(event.lastEventId);
  await within(
    new Promise<void>((resolve) => {
      client.onerror = () => {
        if (client.readyState === SseClient.CLOSED) resolve();
      };
    }),
    "the server's 204",
  );
  deepStrictEqual(ids.map((id) => id.length), [long.length, 512, 513]);
  // After the long id: none; after the 1024-byte one: it; after 1025: none.
  deepStrictEqual(seen, [undefined, undefined, limit, undefined]);
});

Deno.test("SseClient rejects a negative or NaN minRetry", () => {
  throws(
    () => new SseClient("http://localhost/", { minRetry: -1 }),
    RangeError,
  );
  throws(
    () => new SseClient("http://localhost/", { minRetry: NaN }),
    RangeError,
  );
});
