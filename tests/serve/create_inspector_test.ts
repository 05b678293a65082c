// Copyright 2026 the serverpush authors. MIT license.

import { match, ok, strictEqual, throws } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { createInspector } from "../../serve/mod.ts";
import { openRaw, serveObserved } from "./_observed_server.ts";
import { until } from "../_wait.ts";
import { neverReads } from "../_raw_socket.ts";

interface Snapshot {
  at: number;
  totals: Record<string, number>;
  connections: {
    transport: string;
    remoteAddress: string | null;
    clientId: string | null;
    topics: string[];
    messagesIn: number;
    bytesIn: number;
    messagesOut: number;
    bytesOut: number;
    queuedBytes: number;
    ageMs: number;
  }[];
  topics: {
    topic: string;
    subscribers: number;
    retainedMessages: number | null;
    retainedBytes: number | null;
    messagesPerSecond: number;
  }[];
  events: { at: number; kind: string; reason: string; detail: string }[];
}

/** Reads the snapshots of an inspector feed, one per call. */
function snapshots(
  body: ReadableStream<Uint8Array>,
): { next(): Promise<Snapshot>; cancel(): Promise<void> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(): Promise<Snapshot> {
      while (!buffer.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("Cannot read snapshot: the feed ended");
        buffer += decoder.decode(value, { stream: true });
      }
      const end = buffer.indexOf("\n\n");
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      strictEqual(frame.split("\n")[0], "event: snapshot");
      return JSON.parse(frame.slice(frame.indexOf("data: ") + 6));
    },
    cancel: () => reader.cancel(),
  };
}

Deno.test("createInspector refuses a request its authorize does not allow, and reports it", async () => {
  const hub = new Hub();
  const inspector = createInspector(hub, {
    authorize: (_request, info) => info?.remoteAddr?.hostname === "127.0.0.1",
  });
  const refused = await inspector(
    new Request("http://localhost/inspector?feed"),
    { remoteAddr: { hostname: "10.1.2.3", port: 4444 } },
  );
  strictEqual(refused.status, 403);
  strictEqual(await refused.text(), "Cannot serve inspector: not authorized");
  strictEqual(hub.counters.refused.get(403), 1);
  const event = hub.counters.events().at(-1)!;
  strictEqual(event.kind, "refused");
  match(event.detail, /10\.1\.2\.3/);
  const post = await inspector(
    new Request("http://localhost/inspector", { method: "POST" }),
  );
  strictEqual(post.status, 405);
  await post.body?.cancel();
  await hub.close();
});

Deno.test("createInspector needs an authorize hook and a positive interval", () => {
  const hub = new Hub();
  throws(
    () => createInspector(hub, {} as never),
    /authorize is not a function/,
  );
  throws(
    () => createInspector(hub, { authorize: () => true, intervalMs: 0 }),
    RangeError,
  );
});

Deno.test("createInspector serves one self-contained page under a strict CSP", async () => {
  const hub = new Hub();
  const inspector = createInspector(hub, { authorize: () => true });
  const response = await inspector(new Request("http://localhost/inspector"));
  strictEqual(response.status, 200);
  const csp = response.headers.get("content-security-policy")!;
  match(csp, /default-src 'none'/);
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
  const html = await response.text();
  ok(html.includes(`<script nonce="${nonce}">`));
  // No external asset: nothing is loaded by src or href.
  strictEqual(/\s(src|href)=/.test(html), false);
  match(html, /name="viewport"/);
  await hub.close();
});

Deno.test("createInspector feed lists connections with their address, client id and counts, and topics", async () => {
  const hub = new Hub();
  await using server = serveObserved(hub, {
    hub: {
      clientId: (request) => request.headers.get("x-client") ?? undefined,
    },
  });
  const events = await fetch(`${server.origin}/hub/news`, {
    headers: { accept: "text/event-stream", "x-client": "alice" },
  });
  const eventReader = events.body!.getReader();
  await until(() => hub.stats().subscribers === 1, "subscribed");
  await hub.publish("news", { data: "hello" });
  await eventReader.read(); // the opener
  await eventReader.read(); // the message

  const feed = await fetch(`${server.origin}/inspector?feed`);
  strictEqual(feed.headers.get("content-type"), "text/event-stream");
  const feedReader = snapshots(feed.body!);
  const snapshot = await feedReader.next();
  strictEqual(snapshot.totals.connections, 1);
  strictEqual(snapshot.totals.published, 1);
  const [connection] = snapshot.connections;
  strictEqual(connection!.transport, "sse");
  match(connection!.remoteAddress!, /^127\.0\.0\.1:\d+$/);
  strictEqual(connection!.clientId, "alice");
  strictEqual(connection!.messagesOut, 1);
  strictEqual(connection!.topics.join(), "news");
  ok(connection!.bytesOut > "data: hello".length);
  strictEqual(snapshot.topics[0]!.topic, "news");
  strictEqual(snapshot.topics[0]!.subscribers, 1);
  strictEqual(snapshot.topics[0]!.retainedMessages, 1);
  ok(snapshot.topics[0]!.retainedBytes! > 5);
  // Messages per second come from one snapshot to the next.
  for (let i = 0; i < 5; i++) await hub.publish("news", { data: "more" });
  const later = await feedReader.next();
  ok(later.topics[0]!.messagesPerSecond > 0);
  await feedReader.cancel();
  await eventReader.cancel();
  await hub.close();
});

Deno.test("createInspector feed shows a slow reader cut off among its events", async () => {
  const hub = new Hub({ maxQueuedBytes: 65_536 });
  await using server = serveObserved(hub);
  const conn = await neverReads(
    server.port,
    "GET /hub/big HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
  );
  try {
    await until(() => hub.stats().subscribers === 1, "subscribed");
    const data = "x".repeat(65_536);
    for (let i = 0; i < 2000 && hub.counters.clientsCut.slow === 0; i++) {
      await hub.publish("big", { data });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    strictEqual(hub.counters.clientsCut.slow, 1);
    const feed = await fetch(`${server.origin}/inspector?feed`);
    const reader = snapshots(feed.body!);
    const snapshot = await reader.next();
    const cut = snapshot.events.find((event) =>
      event.kind === "cut" && event.detail.startsWith("sse 127.0.0.1:")
    );
    ok(cut, JSON.stringify(snapshot.events));
    strictEqual(cut.reason, "slow");
    strictEqual(snapshot.totals.clientsCut, 1);
    strictEqual(snapshot.totals.connections, 0);
    await reader.cancel();
  } finally {
    conn.close();
  }
  await hub.close();
});

Deno.test("createInspector feed holds at most one snapshot for a viewer that does not read", async () => {
  const hub = new Hub();
  const inspector = createInspector(hub, {
    authorize: () => true,
    intervalMs: 5,
  });
  const feed = await inspector(new Request("http://localhost/inspector?feed"));
  const reader = snapshots(feed.body!);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await reader.next(); // the first, taken on opening
  const asked = Date.now();
  // Twenty intervals passed unread: none of them waits; the next snapshot
  // is taken after we asked.
  const next = await reader.next();
  ok(next.at >= asked, `${next.at} >= ${asked}`);
  await reader.cancel();
  await hub.close();
});

Deno.test("createInspector ends its feeds when its signal aborts", async () => {
  const hub = new Hub();
  const stop = new AbortController();
  const inspector = createInspector(hub, {
    authorize: () => true,
    signal: stop.signal,
  });
  const feed = await inspector(new Request("http://localhost/inspector?feed"));
  const reader = feed.body!.getReader();
  await reader.read();
  stop.abort();
  strictEqual((await reader.read()).done, true);
  const late = await inspector(new Request("http://localhost/inspector?feed"));
  strictEqual(late.status, 503);
  await late.body?.cancel();
  await hub.close();
});

Deno.test("createInspector feed counts WebSocket sessions and their frames in", async () => {
  const hub = new Hub();
  await using server = serveObserved(hub);
  const socket = new WebSocket(
    `ws://127.0.0.1:${server.port}/hub/`,
    "serverpush.v1",
  );
  await new Promise((resolve) => socket.onopen = resolve);
  const answers: string[] = [];
  socket.onmessage = (event) => answers.push(event.data);
  socket.send(JSON.stringify({ type: "subscribe", topic: "a" }));
  socket.send(JSON.stringify({ type: "subscribe", topic: "b" }));
  await until(() => hub.stats().subscribers === 2, "two subscriptions");
  const raw = await openRaw(`${server.origin}/inspector?feed`);
  await raw.events(1);
  const snapshot: Snapshot = JSON.parse(
    raw.text.slice(raw.text.indexOf("data: ") + 6, raw.text.indexOf("\n\n")),
  );
  const [connection] = snapshot.connections;
  strictEqual(connection!.transport, "serverpush.v1");
  strictEqual(connection!.messagesIn, 2);
  strictEqual(connection!.topics.sort().join(), "a,b");
  strictEqual(connection!.messagesOut, answers.length);
  await raw.close();
  const closed = new Promise((resolve) => socket.onclose = resolve);
  socket.close();
  await closed;
  await hub.close();
});
