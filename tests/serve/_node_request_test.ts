// Copyright 2026 the serverpush authors. MIT license.
// The handler's request of `serve` on Node (serve/_node_request.ts), made
// from a stand-in for Node's IncomingMessage (a node:stream Readable with
// the fields Node's parser fills in): whatever the runtime, it must behave
// as a `Request`. Where the runtime takes lazy requests (Node's undici,
// Deno, Bun's native one too) the lazy one is what is tested.

import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { Readable } from "node:stream";
import {
  nodeRequest,
  nodeRequestsWork,
  type SignalSource,
} from "../../serve/_node_request.ts";
import type { NodeIncomingMessage } from "../../serve/_node_types.ts";

/** A stand-in for Node's IncomingMessage: `chunks` are its body. */
function incoming(
  method: string,
  rawHeaders: string[],
  chunks: string[] = [],
): NodeIncomingMessage {
  const body = Readable.from(
    chunks.map((chunk) => new TextEncoder().encode(chunk)),
    {
      objectMode: false,
    },
  );
  return Object.assign(body, {
    method,
    url: "/",
    rawHeaders,
    headers: {},
    socket: {},
  }) as unknown as NodeIncomingMessage;
}

/** A signal source that counts how often it was asked. */
function source(): SignalSource & { made: number; abort(): void } {
  const aborter = new AbortController();
  return {
    made: 0,
    closeSignal() {
      this.made++;
      return aborter.signal;
    },
    abort: () => aborter.abort(),
  };
}

const HEADERS = [
  "Host",
  "example.com:8000",
  "X-Multi",
  "a",
  "Upgrade",
  "websocket",
  "x-multi",
  "b",
];

Deno.test("nodeRequest is lazy on this runtime", () => {
  strictEqual(nodeRequestsWork(), true);
  const request = nodeRequest(
    incoming("GET", HEADERS),
    "http://example.com:8000/a",
    new AbortController().signal,
    undefined,
  );
  // A real Request's constructor is Request; the lazy one's class is not.
  ok(Object.getPrototypeOf(request) !== Request.prototype);
});

Deno.test("the handler's request is a Request with Node's method, URL and headers", () => {
  const request = nodeRequest(
    incoming("GET", HEADERS),
    "http://example.com:8000/topic?history=5",
    new AbortController().signal,
    undefined,
  );
  ok(request instanceof Request);
  strictEqual(Object.prototype.toString.call(request), "[object Request]");
  strictEqual(request.constructor, Request);
  strictEqual(request.method, "GET");
  strictEqual(request.url, "http://example.com:8000/topic?history=5");
  ok(request.headers instanceof Headers);
  strictEqual(request.headers.get("x-multi"), "a, b");
  strictEqual(request.headers.get("X-MULTI"), "a, b");
  strictEqual(request.headers.get("upgrade"), "websocket");
  strictEqual(request.headers.get("missing"), null);
  ok(request.headers.has("HOST"));
  ok(!request.headers.has("missing"));
  deepStrictEqual([...request.headers], [
    ["host", "example.com:8000"],
    ["upgrade", "websocket"],
    ["x-multi", "a, b"],
  ]);
  strictEqual(request.headers, request.headers);
  strictEqual(request.body, null);
  strictEqual(request.bodyUsed, false);
  strictEqual(request.cache, "default");
  strictEqual(request.redirect, "follow");
});

Deno.test("the request's headers refuse what Headers refuses and take changes", () => {
  const request = nodeRequest(
    incoming("GET", HEADERS),
    "http://example.com:8000/",
    new AbortController().signal,
    undefined,
  );
  throws(() => request.headers.get("bad name"), TypeError);
  throws(() => request.headers.has("bad name"), TypeError);
  request.headers.set("x-added", "1");
  request.headers.delete("upgrade");
  strictEqual(request.headers.get("x-added"), "1");
  strictEqual(request.headers.get("upgrade"), null);
  // A clone made after the change carries it.
  const clone = request.clone();
  strictEqual(clone.headers.get("x-added"), "1");
  strictEqual(clone.headers.get("upgrade"), null);
  strictEqual(clone.headers.get("x-multi"), "a, b");
});

Deno.test("an upgrade's request makes its signal when first read, and it aborts", () => {
  const signals = source();
  const request = nodeRequest(
    incoming("GET", HEADERS),
    "http://example.com:8000/",
    signals,
    undefined,
  );
  const lazy = nodeRequestsWork();
  strictEqual(signals.made, lazy ? 0 : 1);
  const signal = request.signal;
  strictEqual(request.signal, signal);
  strictEqual(signals.made, 1);
  strictEqual(signal.aborted, false);
  signals.abort();
  strictEqual(request.signal.aborted, true);
});

Deno.test("copies and clones of the request follow its signal", () => {
  const aborter = new AbortController();
  const request = nodeRequest(
    incoming("GET", HEADERS),
    "http://example.com:8000/a",
    aborter.signal,
    undefined,
  );
  const copy = new Request(request);
  const changed = new Request(request, { method: "POST", body: "x" });
  const clone = request.clone();
  strictEqual(copy.url, "http://example.com:8000/a");
  strictEqual(copy.headers.get("x-multi"), "a, b");
  strictEqual(changed.method, "POST");
  strictEqual(changed.headers.get("upgrade"), "websocket");
  strictEqual(clone.method, "GET");
  aborter.abort();
  ok(request.signal.aborted);
  ok(copy.signal.aborted);
  ok(changed.signal.aborted);
  ok(clone.signal.aborted);
});

Deno.test("a POST request's body streams from Node's request", async () => {
  const request = nodeRequest(
    incoming("POST", ["Host", "h", "Content-Type", "text/plain"], [
      "one ",
      "two",
    ]),
    "http://h/",
    new AbortController().signal,
    1024,
  );
  ok(request.body instanceof ReadableStream);
  strictEqual(await request.text(), "one two");
  strictEqual(request.bodyUsed, true);
  await rejects(request.text(), TypeError);
});

Deno.test("a body over the limit fails with a RangeError", async () => {
  const request = nodeRequest(
    incoming("POST", ["Host", "h"], ["12345", "67890"]),
    "http://h/",
    new AbortController().signal,
    8,
  );
  await rejects(request.arrayBuffer(), (error: unknown) => {
    ok(error instanceof RangeError, String(error));
    ok(error.message.includes("maxRequestBodyBytes of 8"), error.message);
    return true;
  });
});

Deno.test("a request with no body, or an upgrade, has none", async () => {
  for (
    const [method, max] of [["GET", 1024], ["HEAD", 1024], [
      "POST",
      undefined,
    ]] as const
  ) {
    const request = nodeRequest(
      incoming(method, ["Host", "h"], ["ignored"]),
      "http://h/",
      new AbortController().signal,
      max,
    );
    strictEqual(request.body, null, `${method} ${max}`);
    strictEqual(await request.text(), "");
  }
});

Deno.test("a method is refused as the runtime's Request refuses it", () => {
  for (const method of ["TRACE", "CONNECT", "PROPFIND"]) {
    let refused: unknown;
    try {
      new Request("http://h/", { method });
    } catch (error) {
      refused = error;
    }
    const make = () =>
      nodeRequest(
        incoming(method, ["Host", "h"]),
        "http://h/",
        new AbortController().signal,
        1024,
      );
    if (refused === undefined) strictEqual(make().method, method);
    else throws(make, TypeError);
  }
});
