// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { createMetricsHandler } from "../../serve/mod.ts";
import { openRaw, sample, serveObserved } from "./_observed_server.ts";
import { until } from "../_wait.ts";

const PROMTOOL = "/usr/bin/promtool";
const promtoolMissing = (() => {
  try {
    return !Deno.statSync(PROMTOOL).isFile;
  } catch {
    return true;
  }
})();
if (promtoolMissing) {
  // deno-lint-ignore no-console
  console.log(
    `promtool test skipped: ${PROMTOOL} not found (apt-get install prometheus; .ci/run does it)`,
  );
}

/** Runs `promtool check metrics` on `text`: its exit code and output. */
async function promtool(text: string): Promise<[number, string]> {
  const child = new Deno.Command(PROMTOOL, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return [code, decoder.decode(stdout) + decoder.decode(stderr)];
}

Deno.test({
  name:
    "createMetricsHandler output passes promtool check metrics and counts real traffic",
  ignore: promtoolMissing,
  async fn() {
    const hub = new Hub();
    await using server = serveObserved(hub, {
      hub: { authorizePublish: (request) => request.headers.has("x-ok") },
    });
    const before = await server.metrics();
    const a = await openRaw(`${server.origin}/hub/news`);
    const b = await openRaw(`${server.origin}/hub/news`);
    await until(() => hub.stats().subscribers === 2, "two subscribers");
    for (const data of ["one", "two", "three"]) {
      const response = await fetch(`${server.origin}/hub/news`, {
        method: "POST",
        body: data,
        headers: { "x-ok": "1" },
      });
      strictEqual(response.status, 201);
      await response.body?.cancel();
    }
    const refused = await fetch(`${server.origin}/hub/news`, {
      method: "POST",
      body: "no",
    });
    strictEqual(refused.status, 403);
    await refused.body?.cancel();
    await a.events(3);
    await b.events(3);

    const text = await server.metrics();
    const [code, output] = await promtool(text);
    strictEqual(code, 0, output);
    match(text, /^# TYPE serverpush_messages_delivered_total counter$/m);
    match(text, /^# HELP serverpush_delivery_latency_seconds /m);
    strictEqual(
      sample(text, "serverpush_messages_delivered_total") -
        sample(before, "serverpush_messages_delivered_total"),
      6,
    );
    strictEqual(sample(text, "serverpush_messages_published_total"), 3);
    strictEqual(sample(text, 'serverpush_connections{transport="sse"}'), 2);
    strictEqual(sample(text, "serverpush_subscriptions"), 2);
    strictEqual(sample(text, "serverpush_topics"), 1);
    strictEqual(
      sample(text, 'serverpush_refused_requests_total{status="403"}'),
      1,
    );
    // What the two clients received, minus the 4-byte opener comment of
    // each stream, is what was counted as sent.
    strictEqual(
      sample(text, "serverpush_sent_bytes_total"),
      a.bytes - 4 + b.bytes - 4,
    );
    // The first message is sampled, and was delivered twice.
    strictEqual(sample(text, "serverpush_delivery_latency_seconds_count"), 2);
    strictEqual(
      sample(text, 'serverpush_delivery_latency_seconds_bucket{le="+Inf"}'),
      2,
    );
    await a.close();
    await b.close();
    await until(() => hub.counters.connections.size === 0, "both gone");
    strictEqual(
      sample(await server.metrics(), 'serverpush_connections{transport="sse"}'),
      0,
    );
    await hub.close();
  },
});

Deno.test("createMetricsHandler counts WebSocket frames and slow readers cut off", async () => {
  const hub = new Hub({ maxQueuedMessages: 2 });
  await using server = serveObserved(hub);
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/hub/t`);
  const frames: string[] = [];
  socket.onmessage = (event) => frames.push(event.data);
  await new Promise((resolve) => socket.onopen = resolve);
  await until(() => hub.stats().subscribers === 1, "subscribed");
  await hub.publish("t", { data: "x" });
  await until(() => frames.length === 1, "one frame");
  // A subscriber nobody reads: its queue of 2 overflows on the third.
  hub.subscribe("t");
  for (const data of ["a", "b", "c"]) await hub.publish("t", { data });
  await until(() => frames.length === 4, "four frames");
  const text = await server.metrics();
  strictEqual(
    sample(text, 'serverpush_connections{transport="websocket"}'),
    1,
  );
  strictEqual(
    sample(text, "serverpush_sent_bytes_total"),
    frames.reduce((sum, frame) => sum + frame.length, 0),
  );
  strictEqual(
    sample(text, 'serverpush_subscriptions_cut_total{reason="slow"}'),
    1,
  );
  const closed = new Promise((resolve) => socket.onclose = resolve);
  socket.close();
  await closed;
  await hub.close();
});

Deno.test("createMetricsHandler counts drops and resets under drop-oldest", async () => {
  const hub = new Hub({ maxQueuedMessages: 2, queuePolicy: "drop-oldest" });
  const metrics = createMetricsHandler(hub);
  const reader = hub.subscribe("t").getReader();
  for (const data of ["1", "2", "3", "4"]) await hub.publish("t", { data });
  const kinds: string[] = [];
  for (let i = 0; i < 3; i++) kinds.push((await reader.read()).value!.kind);
  deepStrictEqual(kinds, ["reset", "message", "message"]);
  const text = await (await metrics(new Request("http://localhost/"))).text();
  strictEqual(
    sample(text, 'serverpush_messages_dropped_total{reason="queue_full"}'),
    2,
  );
  strictEqual(sample(text, 'serverpush_resets_total{reason="dropped"}'), 1);
  strictEqual(sample(text, "serverpush_messages_delivered_total"), 2);
  await hub.close();
});

Deno.test("createMetricsHandler refuses other methods and unauthorized scrapes", async () => {
  const hub = new Hub();
  const metrics = createMetricsHandler(hub, {
    authorize: (request) => request.headers.get("authorization") === "Bearer s",
  });
  const post = await metrics(
    new Request("http://localhost/metrics", { method: "POST" }),
  );
  strictEqual(post.status, 405);
  strictEqual(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
  const anonymous = await metrics(new Request("http://localhost/metrics"));
  strictEqual(anonymous.status, 403);
  await anonymous.body?.cancel();
  const allowed = await metrics(
    new Request("http://localhost/metrics", {
      headers: { authorization: "Bearer s" },
    }),
  );
  strictEqual(allowed.status, 200);
  strictEqual(
    allowed.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  match(await allowed.text(), /^serverpush_messages_published_total 0$/m);
  await hub.close();
});
