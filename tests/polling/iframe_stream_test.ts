// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { hubSource, iframeStream } from "../../polling/mod.ts";
import {
  openHub,
  pageReader,
  parseCalls,
  publishAll,
  serve,
  until,
  within,
} from "./_helpers.ts";
import { POLLING_TOPIC_START } from "../../message/mod.ts";

function at(query: Record<string, string>): Request {
  const url = new URL("http://localhost/iframe");
  for (const [key, value] of Object.entries(query)) {
    url.searchParams.set(key, value);
  }
  return new Request(url);
}

/** Payloads that would break out of a script or a page if not escaped. */
const HOSTILE: readonly string[] = [
  "</script><script>alert(1)</script>",
  "</SCRIPT >",
  "<!--",
  "<!-- <script>",
  "-->",
  "]]>",
  "\u2028",
  "\u2029",
  "a\u2028b\u2029c",
  "\"quotes\" and 'single'",
  "back\\slash \\u003c \\",
  "&lt;&amp;&#x3c;",
  "\r\n\t\0",
  "\ud800 lone surrogate",
  "emoji 🎉 and é",
  "",
];

Deno.test("iframeStream answers an HTML page that no one caches or frames", async () => {
  await using hub = openHub();
  const response = iframeStream(at({ callback: "cb" }), hubSource(hub, "t"));
  strictEqual(response.status, 200);
  strictEqual(response.headers.get("content-type"), "text/html; charset=utf-8");
  strictEqual(response.headers.get("cache-control"), "no-store");
  strictEqual(response.headers.get("x-content-type-options"), "nosniff");
  strictEqual(
    response.headers.get("content-security-policy"),
    "frame-ancestors 'self'",
  );
  await response.body!.cancel();
});

Deno.test("iframeStream writes the padding as the first chunk, before any script", async (t) => {
  await using hub = openHub();
  for (const padding of [2048, 4096]) {
    await t.step(`${padding} bytes`, async () => {
      const response = iframeStream(
        at({ callback: "cb" }),
        hubSource(hub, "t"),
        padding === 2048 ? {} : { padding },
      );
      const reader = response.body!.getReader();
      const { value } = await reader.read();
      strictEqual(value!.length, padding);
      const text = new TextDecoder().decode(value);
      ok(text.startsWith("<!DOCTYPE html>"));
      ok(!text.includes("<script"));
      await reader.cancel();
    });
  }
});

Deno.test("iframeStream writes hostile payloads so that they parse back exactly", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["seen"]);
  const response = iframeStream(
    at({ callback: "appPush", cursor: seen! }),
    hubSource(hub, "t"),
  );
  const page = pageReader(response.body!);
  const ids = await publishAll(hub, "t", HOSTILE);
  await page.until((text) =>
    parseCalls(text, "appPush").length === HOSTILE.length
  );
  await page.cancel();
  deepStrictEqual(
    parseCalls(page.text, "appPush"),
    HOSTILE.map((data, i) => ({ message: { id: ids[i], data } })),
  );
  // Only our own markup: one opening and one closing tag per script, and
  // nothing that could start a comment or end a line inside a script.
  const scripts = page.text.split("<script>").length - 1;
  strictEqual(scripts, HOSTILE.length);
  strictEqual(page.text.split("</script>").length - 1, HOSTILE.length);
  strictEqual(
    page.text.toLowerCase().split("</script").length - 1,
    HOSTILE.length,
  );
  strictEqual(page.text.split("<!--").length - 1, 1); // the padding
  ok(!/[\u2028\u2029]/.test(page.text));
  await until(() => hub.stats().subscribers === 0, "the release");
});

Deno.test("iframeStream sends bytes as base64 and event types", async () => {
  await using hub = openHub();
  const response = iframeStream(at({ callback: "cb" }), hubSource(hub, "t"));
  const page = pageReader(response.body!);
  const id = await hub.publish("t", {
    event: "raw",
    data: new Uint8Array([60, 0, 255]),
  });
  await page.until((text) => parseCalls(text, "cb").length === 1);
  await page.cancel();
  deepStrictEqual(parseCalls(page.text, "cb"), [{
    message: { id, event: "raw", data: "PAD/", encoding: "base64" },
  }]);
});

Deno.test("iframeStream answers 400 to a missing or hostile callback", async (t) => {
  await using hub = openHub();
  const bad = [
    undefined,
    "",
    "alert(1)",
    "a;alert(1)",
    "a b",
    "1abc",
    "a..b",
    ".a",
    "a.",
    "a.b.c.d.e",
    "a.b",
    "app.polling.push",
    "opener.document.write",
    "opener.document.body.remove",
    "a".repeat(65),
    "</script>",
    "a[0]",
    "a\u2028",
    "é",
  ];
  for (const callback of bad) {
    await t.step(JSON.stringify(callback) ?? "missing", async () => {
      const response = iframeStream(
        at(callback === undefined ? {} : { callback }),
        hubSource(hub, "t"),
      );
      strictEqual(response.status, 400);
      const text = await response.text();
      ok(text.startsWith("Cannot open iframe stream: callback"));
      if (callback !== undefined && callback !== "") {
        ok(!text.includes(callback), "the callback is not echoed");
      }
    });
  }
  for (const callback of ["a", "$", "_x9", "onPush", "x".repeat(64)]) {
    await t.step(`accepts ${callback}`, async () => {
      const response = iframeStream(at({ callback }), hubSource(hub, "t"));
      strictEqual(response.status, 200);
      await response.body!.cancel();
    });
  }
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("iframeStream answers 403 to a request not loaded as a frame", async (t) => {
  await using hub = openHub();
  for (const destination of ["document", "empty", "script", "Iframe", ""]) {
    await t.step(`Sec-Fetch-Dest ${JSON.stringify(destination)}`, async () => {
      const request = new Request("http://localhost/iframe?callback=cb", {
        headers: { "sec-fetch-dest": destination },
      });
      const response = iframeStream(request, hubSource(hub, "t"));
      strictEqual(response.status, 403);
      const text = await response.text();
      ok(text.startsWith("Cannot open iframe stream: Sec-Fetch-Dest"), text);
    });
  }
  for (const destination of ["iframe", "frame"]) {
    await t.step(`serves Sec-Fetch-Dest ${destination}`, async () => {
      const request = new Request("http://localhost/iframe?callback=cb", {
        headers: { "sec-fetch-dest": destination },
      });
      const response = iframeStream(request, hubSource(hub, "t"));
      strictEqual(response.status, 200);
      await response.body!.cancel();
    });
  }
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("iframeStream refuses a top-level load with a property-path callback on a real server", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  await using server = serve((request) => iframeStream(request, source));
  // What a page on another origin gets by opening the stream in a window.
  const attack = await fetch(
    `${server.url}?callback=opener.document.write`,
    { headers: { "sec-fetch-dest": "document" } },
  );
  strictEqual(attack.status, 400);
  await attack.body?.cancel();
  const topLevel = await fetch(`${server.url}?callback=write`, {
    headers: { "sec-fetch-dest": "document" },
  });
  strictEqual(topLevel.status, 403);
  await topLevel.body?.cancel();
  const framed = await fetch(`${server.url}?callback=onPush`, {
    headers: { "sec-fetch-dest": "iframe" },
  });
  strictEqual(framed.status, 200);
  await framed.body!.cancel();
  await until(() => hub.stats().subscribers === 0, "the release");
});

Deno.test("iframeStream signals a reset for an unknown cursor, then the window", async () => {
  await using hub = openHub();
  const [id] = await publishAll(hub, "t", ["kept"]);
  const response = iframeStream(
    at({ callback: "cb", cursor: "bogus" }),
    hubSource(hub, "t"),
  );
  const page = pageReader(response.body!);
  await page.until((text) => parseCalls(text, "cb").length === 2);
  await page.cancel();
  deepStrictEqual(parseCalls(page.text, "cb"), [
    { message: null, control: { reset: "unknown-id" } },
    { message: { id, data: "kept" } },
  ]);
});

Deno.test("iframeStream without a cursor is live only; from the topic's start or with ?history=N it replays", async () => {
  await using hub = openHub();
  const ids = await publishAll(hub, "t", ["a", "b"]);
  const pages = [
    at({ callback: "cb" }),
    at({ callback: "cb", cursor: POLLING_TOPIC_START }),
    at({ callback: "cb", history: "1" }),
  ].map((request) => {
    const response = iframeStream(request, hubSource(hub, "t"));
    return pageReader(response.body!);
  });
  const [c] = await publishAll(hub, "t", ["c"]);
  const expected = [
    [{ message: { id: c, data: "c" } }],
    [
      { message: { id: ids[0], data: "a" } },
      { message: { id: ids[1], data: "b" } },
      { message: { id: c, data: "c" } },
    ],
    [{ message: { id: ids[1], data: "b" } }, { message: { id: c, data: "c" } }],
  ];
  for (const [i, page] of pages.entries()) {
    const want = expected[i]!;
    await page.until((text) => parseCalls(text, "cb").length === want.length);
    await page.cancel();
    deepStrictEqual(parseCalls(page.text, "cb"), want, `page ${i}`);
  }
});

Deno.test("iframeStream ends the page after maxBytes with a reconnect call that resumes exactly", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  const data = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(200, "."));
  await publishAll(hub, "t", data);
  const received: string[] = [];
  let cursor: string = POLLING_TOPIC_START;
  let pages = 0;
  while (received.length < data.length) {
    pages++;
    const query: Record<string, string> = { callback: "cb", cursor };
    const response = iframeStream(at(query), source, { maxBytes: 3000 });
    const text = await within(
      pageReader(response.body!).rest(),
      "the end of the page",
    );
    ok(new TextEncoder().encode(text).length < 3000 + 300);
    const calls = parseCalls(text, "cb");
    const last = calls.pop()!;
    strictEqual(last.message, null);
    const messages = calls.map((call) =>
      call.message as { id: string; data: string }
    );
    ok(messages.length > 0);
    deepStrictEqual(last.control, { reconnect: messages.at(-1)!.id });
    received.push(...messages.map((m) => m.data));
    cursor = (last.control as { reconnect: string }).reconnect;
  }
  deepStrictEqual(received, data);
  ok(pages > 1);
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("iframeStream writes a comment when idle for keepAlive", async () => {
  await using hub = openHub();
  const response = iframeStream(at({ callback: "cb" }), hubSource(hub, "t"), {
    keepAlive: 10,
  });
  const page = pageReader(response.body!);
  await page.until((text) => text.includes("<!-- -->\n"));
  await page.cancel();
  strictEqual(parseCalls(page.text, "cb").length, 0);
});

Deno.test("iframeStream ends the page with the request's cursor when options.signal aborts", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["seen"]);
  const controller = new AbortController();
  const response = iframeStream(
    at({ callback: "cb", cursor: seen! }),
    hubSource(hub, "t"),
    { signal: controller.signal },
  );
  const page = pageReader(response.body!);
  await page.until((text) => text.length > 0);
  await until(() => hub.stats().subscribers === 1, "the subscription");
  controller.abort();
  const text = await within(page.rest(), "the end of the page");
  deepStrictEqual(parseCalls(text, "cb"), [
    { message: null, control: { reconnect: seen } },
  ]);
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("iframeStream releases the subscription when the body is cancelled", async () => {
  await using hub = openHub();
  const response = iframeStream(at({ callback: "cb" }), hubSource(hub, "t"));
  const page = pageReader(response.body!);
  await page.until((text) => text.length > 0);
  const reading = page.until(() => false).catch(() => {});
  await until(() => hub.stats().subscribers === 1, "the subscription");
  await page.cancel();
  await reading;
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("iframeStream releases the subscription when the client disconnects from a real server", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  await using server = serve((request) => iframeStream(request, source));
  const controller = new AbortController();
  const response = await fetch(`${server.url}?callback=cb`, {
    signal: controller.signal,
  });
  const page = pageReader(response.body!);
  await page.until((text) => text.length >= 2048);
  await until(() => hub.stats().subscribers === 1, "the subscription");
  controller.abort();
  await page.rest().catch(() => {});
  await until(() => hub.stats().subscribers === 0, "the release");
});

Deno.test("iframeStream throws on out-of-range options", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  const request = at({ callback: "cb" });
  throws(() => iframeStream(request, source, { maxBytes: 0 }), RangeError);
  throws(() => iframeStream(request, source, { keepAlive: -5 }), RangeError);
  throws(() => iframeStream(request, source, { padding: 1.5 }), RangeError);
});
