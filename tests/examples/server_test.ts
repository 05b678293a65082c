// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import {
  type EventSourceMessage,
  EventSourceParserStream,
} from "eventsource-parser/stream";
import { isLoopback, startDemo } from "../../examples/server.ts";
import { createDemoFeed, type DemoFeed } from "../../examples/demo/feed.ts";
import { demoEvent } from "../../examples/demo/events.ts";
import { rawRequest, upgradeHeaders } from "../_raw_http.ts";

// The feeds in these tests are never started: events are published by hand,
// so what each stream carries does not depend on timing.

/** A feed that has already published events 1 to `count`. */
function feedWith(count: number, capacity?: number): DemoFeed {
  const feed = createDemoFeed(capacity === undefined ? {} : { capacity });
  for (let i = 0; i < count; i++) feed.publish();
  return feed;
}

/** The parsed events of an SSE response, and the `retry` values it sent. */
function parse(response: Response): {
  reader: ReadableStreamDefaultReader<EventSourceMessage>;
  retries: number[];
} {
  const retries: number[] = [];
  const reader = response.body!
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(
      new EventSourceParserStream({ onRetry: (ms) => retries.push(ms) }),
    )
    .getReader();
  return { reader, retries };
}

async function take(
  reader: ReadableStreamDefaultReader<EventSourceMessage>,
  count: number,
): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) {
      throw new Error(`Cannot read event: stream ended after ${events.length}`);
    }
    events.push(value);
  }
  return events;
}

/** The demo events `from` to `to` as the parser reports them. */
function expected(from: number, to: number): EventSourceMessage[] {
  const out: EventSourceMessage[] = [];
  for (let n = from; n <= to; n++) {
    const { id, event, data } = demoEvent(n);
    out.push({ id, event, data });
  }
  return out;
}

function plain(events: EventSourceMessage[]): EventSourceMessage[] {
  return events.map(({ id, event, data }) => ({ id, event, data }));
}

Deno.test("startDemo serves the page as HTML", async () => {
  await using demo = startDemo({ port: 0, feed: createDemoFeed() });
  match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const response = await fetch(demo.url);
  strictEqual(response.status, 200);
  match(response.headers.get("content-type")!, /^text\/html\b/);
  const html = await response.text();
  match(html, /<section[^>]*id="sse"/);
  match(html, /<script type="module" src="\/app\.js"><\/script>/);
});

Deno.test("startDemo serves the page's scripts and refuses other paths", async () => {
  await using demo = startDemo({ port: 0, feed: createDemoFeed() });
  const script = await fetch(new URL("/app.js", demo.url));
  strictEqual(script.status, 200);
  match(script.headers.get("content-type")!, /^text\/javascript\b/);
  match(await script.text(), /new EventSource\("\/sse"\)/);

  for (const path of ["/nope", "/../server.ts", "/demo/feed.ts"]) {
    const response = await fetch(new URL(path, demo.url));
    strictEqual(response.status, 404, path);
    await response.body?.cancel();
  }
  const post = await fetch(demo.url, { method: "POST" });
  strictEqual(post.status, 405);
  strictEqual(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
});

Deno.test("startDemo streams the newest events then live ones as text/event-stream", async () => {
  const feed = feedWith(10);
  await using demo = startDemo({ port: 0, feed, retryMs: 300 });
  const response = await fetch(new URL("/sse", demo.url));
  strictEqual(response.status, 200);
  strictEqual(
    response.headers.get("content-type"),
    "text/event-stream; charset=utf-8",
  );
  strictEqual(response.headers.get("cache-control"), "no-cache");
  const { reader, retries } = parse(response);
  try {
    // A first visit gets the newest quote and telemetry events at once.
    deepStrictEqual(plain(await take(reader, 2)), expected(9, 10));
    deepStrictEqual(retries, [300]);
    feed.publish();
    feed.publish();
    deepStrictEqual(plain(await take(reader, 2)), expected(11, 12));
  } finally {
    await reader.cancel();
  }
  deepStrictEqual(feed.connections.map((c) => c.lastEventIdHeader), [
    undefined,
  ]);
});

Deno.test("startDemo replays exactly the events after Last-Event-ID, then live ones", async () => {
  const feed = feedWith(10);
  await using demo = startDemo({ port: 0, feed });
  const response = await fetch(new URL("/sse", demo.url), {
    headers: { "last-event-id": "4" },
  });
  const { reader } = parse(response);
  try {
    deepStrictEqual(plain(await take(reader, 6)), expected(5, 10));
    feed.publish();
    // The next event is 11: nothing from the replay comes again.
    deepStrictEqual(plain(await take(reader, 1)), expected(11, 11));
  } finally {
    await reader.cancel();
  }
  deepStrictEqual(
    feed.connections.map((c) => [c.lastEventId, c.lastEventIdHeader]),
    [["4", "4"]],
  );
});

Deno.test("startDemo replays nothing to a client that is up to date", async () => {
  const feed = feedWith(10);
  await using demo = startDemo({ port: 0, feed });
  const response = await fetch(new URL("/sse", demo.url), {
    headers: { "last-event-id": "10" },
  });
  const { reader } = parse(response);
  try {
    feed.publish();
    deepStrictEqual(plain(await take(reader, 1)), expected(11, 11));
  } finally {
    await reader.cancel();
  }
});

Deno.test("startDemo replays from the oldest kept event when Last-Event-ID is older than the ring", async () => {
  const feed = feedWith(20, 5);
  await using demo = startDemo({ port: 0, feed });
  const response = await fetch(new URL("/sse", demo.url), {
    headers: { "last-event-id": "3" },
  });
  const { reader } = parse(response);
  try {
    deepStrictEqual(plain(await take(reader, 5)), expected(16, 20));
  } finally {
    await reader.cancel();
  }
});

Deno.test("startDemo treats an unknown Last-Event-ID as a first visit", async (t) => {
  const feed = feedWith(10);
  await using demo = startDemo({ port: 0, feed });
  for (const id of ["", "abc", "11", "-1", "1e3"]) {
    await t.step(JSON.stringify(id), async () => {
      const response = await fetch(new URL("/sse", demo.url), {
        headers: { "last-event-id": id },
      });
      const { reader } = parse(response);
      try {
        deepStrictEqual(plain(await take(reader, 2)), expected(9, 10));
      } finally {
        await reader.cancel();
      }
    });
  }
});

Deno.test("startDemo continues the sequence on a restarted server with the same feed", async () => {
  const feed = feedWith(6);
  const first = startDemo({ port: 0, feed });
  const port = first.port;
  const response = await fetch(new URL("/sse", first.url));
  const { reader } = parse(response);
  deepStrictEqual(plain(await take(reader, 2)), expected(5, 6));
  // Shutting down ends the open stream.
  await first.shutdown();
  const end = await reader.read();
  strictEqual(end.done, true);

  // The feed moves on while no server runs.
  feed.publish();
  feed.publish();
  await using second = startDemo({ port, feed });
  strictEqual(second.url, first.url);
  const resumed = await fetch(new URL("/sse", second.url), {
    headers: { "last-event-id": "6" },
  });
  const parsed = parse(resumed);
  try {
    deepStrictEqual(plain(await take(parsed.reader, 2)), expected(7, 8));
  } finally {
    await parsed.reader.cancel();
  }
});

Deno.test("startDemo with its own feed publishes on a timer and stops it on shutdown", async () => {
  const demo = startDemo({ port: 0 });
  try {
    ok(demo.feed.running);
    const response = await fetch(new URL("/sse", demo.url));
    const { reader } = parse(response);
    try {
      const [event] = await take(reader, 1);
      deepStrictEqual(
        plain([event!]),
        expected(Number(event!.id), Number(event!.id)),
      );
    } finally {
      await reader.cancel();
    }
  } finally {
    await demo.shutdown();
  }
  strictEqual(demo.feed.running, false);
});

Deno.test("startDemo refuses a rebound Host on every route and serves its loopback names", async () => {
  await using demo = startDemo({ port: 0, feed: feedWith(3) });
  const evil = `evil.example:${demo.port}`;
  for (
    const [path, headers] of [
      ["/ws/chat", upgradeHeaders(evil, `http://${evil}`)],
      ["/hub/chat", upgradeHeaders(evil, `http://${evil}`)],
      ["/sse", { host: evil, origin: `http://${evil}`, connection: "close" }],
      ["/", { host: evil, connection: "close" }],
    ] as const
  ) {
    const response = await rawRequest(demo.port, "GET", path, headers);
    strictEqual(response.status, 421, `${path}: ${response.head}`);
  }
  for (const host of [`127.0.0.1:${demo.port}`, `localhost:${demo.port}`]) {
    const response = await rawRequest(
      demo.port,
      "GET",
      "/ws/chat",
      upgradeHeaders(host, `http://${host}`),
    );
    strictEqual(response.status, 101, response.head);
  }
});

Deno.test("startDemo answers /healthz on any Host and serves the extraHosts a proxy forwards", async () => {
  await using demo = startDemo({
    port: 0,
    feed: feedWith(3),
    extraHosts: ["example.com"],
  });
  const evil = `evil.example:${demo.port}`;
  const health = await rawRequest(demo.port, "GET", "/healthz", {
    host: evil,
    connection: "close",
  });
  strictEqual(health.status, 200, health.head);
  match(health.head, /^cache-control: no-store$/m);
  const other = await rawRequest(demo.port, "GET", "/", {
    host: evil,
    connection: "close",
  });
  strictEqual(other.status, 421, other.head);
  // The public name: the page, and a WebSocket whose Origin is that name.
  const page = await rawRequest(demo.port, "GET", "/", {
    host: "example.com",
    connection: "close",
  });
  strictEqual(page.status, 200, page.head);
  const upgrade = await rawRequest(
    demo.port,
    "GET",
    "/hub/chat",
    upgradeHeaders("example.com", "https://example.com"),
  );
  strictEqual(upgrade.status, 101, upgrade.head);
});

Deno.test("startDemo serves its inspector to loopback peers and its metrics", async () => {
  await using demo = startDemo({ port: 0, feed: createDemoFeed() });
  const page = await fetch(new URL("/inspector", demo.url));
  strictEqual(page.status, 200);
  match(await page.text(), /<title>serverpush inspector<\/title>/);
  const metrics = await fetch(new URL("/metrics", demo.url));
  strictEqual(metrics.status, 200);
  match(await metrics.text(), /^# TYPE serverpush_connections gauge$/m);
});

Deno.test("isLoopback accepts IPv4 and IPv6 loopback peers only", () => {
  const at = (hostname: string) => ({ remoteAddr: { hostname, port: 1 } });
  deepStrictEqual(
    ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "10.0.0.1", "::2"]
      .map((host) => isLoopback(at(host))),
    [true, true, true, true, false, false],
  );
  strictEqual(isLoopback(undefined), false);
});
