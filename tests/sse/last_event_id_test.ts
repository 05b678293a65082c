// Copyright 2026 the serverpush authors. MIT license.

import { strictEqual } from "node:assert/strict";
import { lastEventId } from "../../sse/mod.ts";
import { serve } from "./_server.ts";

function request(headers: HeadersInit = {}, query = ""): Request {
  return new Request(`http://localhost/events${query}`, { headers });
}

Deno.test("lastEventId reads the Last-Event-ID header", () => {
  strictEqual(lastEventId(request({ "last-event-id": "42" })), "42");
  strictEqual(lastEventId(request({ "Last-Event-ID": "a:b" })), "a:b");
});

Deno.test("lastEventId returns undefined when the client sent no id", () => {
  strictEqual(lastEventId(request()), undefined);
  strictEqual(lastEventId(request({}, "?other=1")), undefined);
});

Deno.test("lastEventId keeps an empty header", () => {
  strictEqual(lastEventId(request({ "last-event-id": "" })), "");
});

Deno.test("lastEventId falls back to the lastEventId query parameter", () => {
  strictEqual(lastEventId(request({}, "?lastEventId=7")), "7");
  strictEqual(lastEventId(request({}, "?lastEventId=%E2%82%AC%201")), "€ 1");
});

Deno.test("lastEventId prefers the header over the query parameter", () => {
  strictEqual(
    lastEventId(request({ "last-event-id": "header" }, "?lastEventId=query")),
    "header",
  );
});

Deno.test("lastEventId ignores a value over 1024 UTF-8 bytes", async (t) => {
  await t.step("header at and over the bound", () => {
    const id = "x".repeat(1024);
    strictEqual(lastEventId(request({ "last-event-id": id })), id);
    strictEqual(lastEventId(request({ "last-event-id": `${id}x` })), undefined);
  });
  await t.step("query parameter at and over the bound", () => {
    const id = "y".repeat(1024);
    strictEqual(lastEventId(request({}, `?lastEventId=${id}`)), id);
    strictEqual(lastEventId(request({}, `?lastEventId=${id}y`)), undefined);
  });
  await t.step("multi-byte characters count in bytes", () => {
    // 342 euro signs are 1026 bytes but 342 UTF-16 units.
    const over = "€".repeat(342);
    const within = "€".repeat(341);
    strictEqual(
      lastEventId(request({}, `?lastEventId=${encodeURIComponent(over)}`)),
      undefined,
    );
    strictEqual(
      lastEventId(request({}, `?lastEventId=${encodeURIComponent(within)}`)),
      within,
    );
  });
});

Deno.test("lastEventId decodes a UTF-8 header sent by a client", async () => {
  // EventSource sends the id UTF-8 encoded; the server sees one character per
  // byte. Send the raw bytes over a socket to be sure of what is on the wire.
  const seen = Promise.withResolvers<string | undefined>();
  await using s = serve((req) => {
    seen.resolve(lastEventId(req));
    return new Response(null, { status: 204 });
  });
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: s.server.addr.port,
  });
  const encoder = new TextEncoder();
  await conn.write(encoder.encode(
    "GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\nlast-event-id: ",
  ));
  await conn.write(encoder.encode("é-€"));
  await conn.write(encoder.encode("\r\n\r\n"));
  strictEqual(await seen.promise, "é-€");
  // Drain the response until the server closes the connection.
  const buffer = new Uint8Array(1024);
  while (await conn.read(buffer) !== null);
  conn.close();
});

Deno.test("lastEventId keeps a header that is not valid UTF-8 as it is", () => {
  strictEqual(
    lastEventId(request({ "last-event-id": "\xe9t\xe9" })),
    "\xe9t\xe9",
  );
});
