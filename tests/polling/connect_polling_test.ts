// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import type { Hub } from "../../hub/mod.ts";
import {
  connectPolling,
  type ConnectPollingOptions,
  hubSource,
  longPoll,
  poll,
  type PollingEvent,
  type PollingFetch,
} from "../../polling/mod.ts";
import {
  openHub,
  publishAll,
  serve,
  type TestServer,
  until,
  within,
} from "./_helpers.ts";

/** Runs a client in the background, collecting what it yields. */
function collect(
  url: string,
  options: ConnectPollingOptions,
): {
  events: PollingEvent[];
  done: Promise<unknown>;
  stop(): Promise<unknown>;
} {
  const controller = new AbortController();
  const events: PollingEvent[] = [];
  const done = (async () => {
    for await (
      const event of connectPolling(url, {
        ...options,
        signal: controller.signal,
      })
    ) {
      events.push(event);
    }
  })();
  return {
    events,
    done,
    stop(): Promise<unknown> {
      controller.abort();
      return within(done, "the client to stop");
    },
  };
}

function data(events: PollingEvent[]): string[] {
  return events.map((e) =>
    e.kind === "message" ? String(e.data) : `reset:${e.reason}`
  );
}

/** Serves `hub`'s topic "t" through long or short polling. */
function start(
  hub: Hub,
  mode: "long" | "short",
  port = 0,
): TestServer & { stop(): Promise<void> } {
  const shutdown = new AbortController();
  const source = hubSource(hub, "t");
  const server = serve(
    (request) =>
      mode === "long"
        ? longPoll(request, source, {
          timeout: 5000,
          signal: shutdown.signal,
          maxBatch: 4,
        })
        : poll(request, source, { maxBatch: 4 }),
    port,
  );
  return {
    ...server,
    async stop(): Promise<void> {
      shutdown.abort();
      await server.server.shutdown();
    },
  };
}

for (const mode of ["long", "short"] as const) {
  Deno.test(`connectPolling (${mode}) loses and repeats nothing across a server restart`, async () => {
    await using hub = openHub();
    const expected = Array.from({ length: 30 }, (_, i) => `m${i}`);
    let server = start(hub, mode);
    const port = server.port;
    let failures = 0;
    const counting: PollingFetch = async (input, init) => {
      try {
        return await fetch(input, init);
      } catch (error) {
        failures++;
        throw error;
      }
    };
    const client = collect(server.url, {
      mode,
      history: 50,
      fetch: counting,
      interval: 10,
      retry: 10,
      maxRetry: 50,
    });
    try {
      await publishAll(hub, "t", expected.slice(0, 10));
      await until(() => client.events.length >= 10, "the first messages");
      await server.stop();
      // Published while the server is down: kept by the hub, taken in one go.
      await publishAll(hub, "t", expected.slice(10, 20));
      await until(() => failures > 0, "the client to find the server down");
      server = start(hub, mode, port);
      await until(() => client.events.length >= 20, "the missed messages");
      await publishAll(hub, "t", expected.slice(20));
      await until(() => client.events.length >= 30, "the live messages");
    } finally {
      await client.stop();
      await server.stop();
    }
    deepStrictEqual(data(client.events), expected);
    const ids = client.events.map((e) => e.kind === "message" ? e.id : "");
    strictEqual(new Set(ids).size, ids.length);
    strictEqual(hub.stats().subscribers, 0);
  });
}

/** A fetch that answers from a list of handlers and records each URL. */
function scripted(
  steps: ((url: URL) => Response | Promise<Response>)[],
): PollingFetch & { urls: URL[] } {
  const urls: URL[] = [];
  const fake = ((input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : input);
    urls.push(url);
    const step = steps[urls.length - 1];
    if (step === undefined) return Promise.reject(new Error("script ran out"));
    return Promise.resolve(step(url));
  }) as PollingFetch & { urls: URL[] };
  fake.urls = urls;
  return fake;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

Deno.test("connectPolling retries failures with the same cursor and goes on", async () => {
  const fetch = scripted([
    () => json({ cursor: "1", messages: [{ id: "1", data: "a" }] }),
    () => Promise.reject(new TypeError("connection refused")),
    () => new Response("busy", { status: 503 }),
    () => new Response("<html>proxy error</html>"),
    () => new Response("slow down", { status: 429 }),
    () => json({ cursor: "2", messages: [{ id: "2", data: "b" }] }),
  ]);
  const events: PollingEvent[] = [];
  for await (
    const event of connectPolling("http://x/poll?topic=t", {
      fetch,
      retry: 1,
      maxRetry: 4,
    })
  ) {
    events.push(event);
    if (events.length === 2) break;
  }
  deepStrictEqual(data(events), ["a", "b"]);
  deepStrictEqual(
    fetch.urls.map((u) => u.search),
    [
      "?topic=t",
      "?topic=t&cursor=1",
      "?topic=t&cursor=1",
      "?topic=t&cursor=1",
      "?topic=t&cursor=1",
      "?topic=t&cursor=1",
    ],
  );
});

Deno.test("connectPolling ends with an error on a status that retrying cannot fix", async () => {
  const fetch = scripted([
    () => new Response("no such topic", { status: 404 }),
  ]);
  await rejects(
    Array.fromAsync(connectPolling("http://x/poll", { fetch })),
    { message: 'Cannot poll "http://x/poll": the server answered 404' },
  );
});

Deno.test("connectPolling yields resets, decodes bytes and follows the returned cursor", async () => {
  const fetch = scripted([
    () =>
      json({
        cursor: "9",
        messages: [
          { id: "8", event: "raw", data: "AAH/", encoding: "base64" },
          { id: "9", data: "text" },
        ],
        reset: true,
        reason: "window-exceeded",
      }),
    () =>
      json({ cursor: null, messages: [], reset: true, reason: "unknown-id" }),
    () => json({ cursor: "1", messages: [{ id: "1", data: "fresh" }] }),
  ]);
  const events: PollingEvent[] = [];
  for await (
    const event of connectPolling("http://x/", { fetch, cursor: "5" })
  ) {
    events.push(event);
    if (events.length === 5) break;
  }
  deepStrictEqual(events, [
    { kind: "reset", reason: "window-exceeded" },
    {
      kind: "message",
      id: "8",
      event: "raw",
      data: new Uint8Array([0, 1, 255]),
    },
    { kind: "message", id: "9", data: "text" },
    { kind: "reset", reason: "unknown-id" },
    { kind: "message", id: "1", data: "fresh" },
  ]);
  deepStrictEqual(fetch.urls.map((u) => u.search), [
    "?cursor=5",
    "?cursor=9",
    "",
  ]);
});

Deno.test("connectPolling (short) asks again at once when more is waiting, else waits interval", async () => {
  const times: number[] = [];
  const fetch = scripted([
    () => json({ cursor: "1", messages: [{ id: "1", data: "a" }], more: true }),
    () => json({ cursor: "2", messages: [{ id: "2", data: "b" }] }),
    () => json({ cursor: "3", messages: [{ id: "3", data: "c" }] }),
  ]);
  const timed: PollingFetch = (input, init) => {
    times.push(performance.now());
    return fetch(input, init);
  };
  const events: PollingEvent[] = [];
  for await (
    const event of connectPolling("http://x/", {
      fetch: timed,
      mode: "short",
      interval: 200,
    })
  ) {
    events.push(event);
    if (events.length === 3) break;
  }
  deepStrictEqual(data(events), ["a", "b", "c"]);
  // The only timing assertion is a lower bound, which no slow machine breaks.
  ok(times[2]! - times[1]! >= 190);
});

Deno.test("connectPolling ends when the signal aborts during a held request", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  await using server = serve((request) => longPoll(request, source));
  const client = collect(server.url, {});
  await until(() => hub.stats().subscribers === 1, "the hold");
  await client.stop();
  await until(() => hub.stats().subscribers === 0, "the release");
  deepStrictEqual(client.events, []);
});

Deno.test("connectPolling refuses a response larger than maxResponseBytes", async () => {
  const fetch = scripted([
    () => json({ cursor: "1", messages: [{ id: "1", data: "x".repeat(100) }] }),
  ]);
  await rejects(
    Array.fromAsync(
      connectPolling("http://x/", { fetch, maxResponseBytes: 50 }),
    ),
    RangeError,
  );
});

Deno.test("connectPolling throws on out-of-range options", async () => {
  await rejects(
    Array.fromAsync(connectPolling("http://x/", { mode: "fast" as "long" })),
    TypeError,
  );
  await rejects(
    Array.fromAsync(connectPolling("http://x/", { interval: -1 })),
    RangeError,
  );
  await rejects(
    Array.fromAsync(connectPolling("http://x/", { maxResponseBytes: 0 })),
    RangeError,
  );
});
