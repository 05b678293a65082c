// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  createHttp1HeadReader,
  http1ErrorStatus,
  type Http1HeadSplit,
  parseHttp1RequestHead,
  parseHttp1ResponseHead,
  serializeHttp1RequestHead,
  serializeHttp1ResponseHead,
} from "../../ws/_http1.ts";
import { chunkings } from "../_chunks.ts";

/** Text to bytes, one byte per character (ISO-8859-1), like the wire. */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Bytes to text, one character per byte. */
const decoder = {
  decode: (b: Uint8Array): string => String.fromCharCode(...b),
};

/** Feeds chunks to a fresh reader; returns the split or the error thrown. */
function read(
  chunks: readonly Uint8Array[],
  maxHeadBytes?: number,
): Http1HeadSplit | undefined {
  const reader = createHttp1HeadReader(
    maxHeadBytes === undefined ? {} : { maxHeadBytes },
  );
  for (const chunk of chunks) {
    const split = reader.push(chunk);
    if (split !== undefined) return split;
  }
  return undefined;
}

/** Asserts `fn` throws `kind` with the given status hint. */
function throwsWithStatus(
  fn: () => unknown,
  kind: typeof SyntaxError | typeof RangeError,
  status: number,
): void {
  throws(fn, (error: unknown) => {
    ok(error instanceof kind, String(error));
    strictEqual(http1ErrorStatus(error), status);
    return true;
  });
}

const REQUEST =
  "GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
const FRAME = "\x81\x02hi";

Deno.test("createHttp1HeadReader finds the head however the bytes are split", () => {
  for (const { name, chunks } of chunkings(bytes(REQUEST + FRAME))) {
    const reader = createHttp1HeadReader();
    let split: Http1HeadSplit | undefined;
    let after = "";
    for (const chunk of chunks) {
      if (split === undefined) split = reader.push(chunk);
      else after += decoder.decode(chunk);
    }
    strictEqual(split === undefined, false, name);
    strictEqual(decoder.decode(split!.head), REQUEST, name);
    // The rest of the chunk that ended the head, then the caller's chunks.
    strictEqual(decoder.decode(split!.rest) + after, FRAME, name);
  }
});

Deno.test("createHttp1HeadReader waits while the head is incomplete", () => {
  const reader = createHttp1HeadReader();
  strictEqual(reader.push(bytes("GET / HTTP/1.1\r\nHost: a\r\n")), undefined);
  strictEqual(reader.push(bytes("\r")), undefined);
  const split = reader.push(bytes("\n"));
  strictEqual(decoder.decode(split!.head), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  strictEqual(split!.rest.length, 0);
  throws(() => reader.push(bytes("x")), TypeError);
});

Deno.test("createHttp1HeadReader copies chunks, so callers may reuse buffers", () => {
  const reader = createHttp1HeadReader();
  const buffer = bytes("GET / HTTP/1.1\r\n");
  reader.push(buffer);
  buffer.fill(0x78);
  const split = reader.push(bytes("Host: a\r\n\r\n"));
  strictEqual(decoder.decode(split!.head), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
});

Deno.test("createHttp1HeadReader enforces maxHeadBytes with a 431 RangeError", async (t) => {
  const head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"; // 27 bytes
  await t.step("a head of exactly the limit passes", () => {
    strictEqual(decoder.decode(read([bytes(head)], 27)!.head), head);
  });
  await t.step("one byte less fails, whole or byte by byte", () => {
    for (const { name, chunks } of chunkings(bytes(head + FRAME))) {
      throwsWithStatus(() => read(chunks, 26), RangeError, 431);
      if (name === "split at 3") break;
    }
  });
  await t.step("the default is 8 KiB", () => {
    const big = `GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(8192)}`;
    throwsWithStatus(() => read([bytes(big)]), RangeError, 431);
    const fits = `GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(8000)}\r\n\r\n`;
    strictEqual(read([bytes(fits)])!.head.length, fits.length);
  });
  await t.step("a stream that never ends the head stops at the limit", () => {
    const reader = createHttp1HeadReader({ maxHeadBytes: 100 });
    const chunk = bytes("a".repeat(30));
    for (let i = 0; i < 3; i++) strictEqual(reader.push(chunk), undefined);
    throwsWithStatus(() => reader.push(chunk), RangeError, 431);
  });
  throws(() => createHttp1HeadReader({ maxHeadBytes: 3 }), RangeError);
});

Deno.test("parseHttp1RequestHead builds a body-less Request", async () => {
  const request = parseHttp1RequestHead(
    bytes(
      "GET /chat?room=1 HTTP/1.1\r\nHost: Example.com:8080\r\nUpgrade:websocket\r\nX-Two: a\r\nx-two:  b \t\r\nX-Latin: caf\xe9\r\n\r\n",
    ),
  );
  strictEqual(request.method, "GET");
  strictEqual(request.url, "http://example.com:8080/chat?room=1");
  strictEqual(request.headers.get("upgrade"), "websocket");
  strictEqual(request.headers.get("x-two"), "a, b");
  strictEqual(request.headers.get("x-latin"), "caf\xe9");
  strictEqual(request.body, null);
  const secure = parseHttp1RequestHead(
    bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    { scheme: "https" },
  );
  strictEqual(secure.url, "https://a/");
  const absolute = parseHttp1RequestHead(
    bytes("GET http://b.example/x HTTP/1.1\r\nHost: a\r\n\r\n"),
  );
  strictEqual(absolute.url, "http://b.example/x");
  const zero = parseHttp1RequestHead(
    bytes("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
  );
  strictEqual(zero.method, "POST");
  await zero.body?.cancel();
});

Deno.test("parseHttp1RequestHead refuses malformed heads with a status hint", async (t) => {
  const cases: [string, string, number][] = [
    ["lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400],
    ["HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", 505],
    ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505],
    ["two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["no target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["asterisk target", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["authority target", "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["method not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["no Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 400],
    ["two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400],
    ["bad Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400],
    ["userinfo in Host", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400],
    ["space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
    ["no colon", "GET / HTTP/1.1\r\nHost: a\r\nXYZ\r\n\r\n", 400],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400],
    ["bare LF", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400],
    ["bare CR", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400],
    ["NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400],
    ["DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400],
    ["not ending in CRLF CRLF", "GET / HTTP/1.1\r\nHost: a\r\n", 400],
    [
      "Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
      501,
    ],
    [
      "Content-Length 5",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
      413,
    ],
    [
      "Content-Length -1",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      400,
    ],
    ["CONNECT", "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 501],
    ["TRACE", "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 501],
  ];
  for (const [name, head, status] of cases) {
    await t.step(name, () => {
      throwsWithStatus(
        () => parseHttp1RequestHead(bytes(head)),
        SyntaxError,
        status,
      );
    });
  }
});

Deno.test("parseHttp1ResponseHead reads the status line and headers", () => {
  deepStrictEqual(
    (({ status, statusText, headers }) => ({
      status,
      statusText,
      headers: [...headers],
    }))(
      parseHttp1ResponseHead(
        bytes(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        ),
      ),
    ),
    {
      status: 101,
      statusText: "Switching Protocols",
      headers: [["connection", "Upgrade"], ["upgrade", "websocket"]],
    },
  );
  strictEqual(
    parseHttp1ResponseHead(bytes("HTTP/1.1 204\r\n\r\n")).statusText,
    "",
  );
  strictEqual(
    parseHttp1ResponseHead(bytes("HTTP/1.0 403 \r\n\r\n")).status,
    403,
  );
});

Deno.test("parseHttp1ResponseHead refuses malformed heads with a SyntaxError", async (t) => {
  for (
    const head of [
      "HTTP/1.1 1010 X\r\n\r\n",
      "HTTP/1.1 10 X\r\n\r\n",
      "HTTP/2 101 X\r\n\r\n",
      "http/1.1 101 X\r\n\r\n",
      "HTTP/1.1 101 A\0B\r\n\r\n",
      "HTTP/1.1 101 X\r\nUpgrade websocket\r\n\r\n",
      "HTTP/1.1 101 X\r\n folded\r\n\r\n",
      "HTTP/1.1 101 X\r\n",
    ]
  ) {
    await t.step(JSON.stringify(head), () => {
      throws(() => parseHttp1ResponseHead(bytes(head)), SyntaxError);
    });
  }
});

Deno.test("serializeHttp1RequestHead writes an origin-form request with Host", () => {
  strictEqual(
    decoder.decode(serializeHttp1RequestHead({
      url: "http://example.com:8080/chat?room=1#ignored",
      headers: { upgrade: "websocket", "sec-websocket-version": "13" },
    })),
    "GET /chat?room=1 HTTP/1.1\r\nhost: example.com:8080\r\nsec-websocket-version: 13\r\nupgrade: websocket\r\n\r\n",
  );
  strictEqual(
    decoder.decode(serializeHttp1RequestHead({
      method: "OPTIONS",
      url: new URL("https://example.com"),
      headers: { host: "other.example" },
    })),
    "OPTIONS / HTTP/1.1\r\nhost: other.example\r\n\r\n",
  );
  throws(
    () => serializeHttp1RequestHead({ method: "G T", url: "http://a/" }),
    TypeError,
  );
});

Deno.test("serializeHttp1ResponseHead writes the status line and headers", () => {
  strictEqual(
    decoder.decode(serializeHttp1ResponseHead({
      status: 101,
      headers: { upgrade: "websocket", connection: "Upgrade" },
    })),
    "HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n",
  );
  strictEqual(
    decoder.decode(serializeHttp1ResponseHead({ status: 431 })),
    "HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n",
  );
  strictEqual(
    decoder.decode(serializeHttp1ResponseHead({ status: 599, statusText: "" })),
    "HTTP/1.1 599 \r\n\r\n",
  );
  throws(() => serializeHttp1ResponseHead({ status: 99 }), RangeError);
  throws(
    () => serializeHttp1ResponseHead({ status: 400, statusText: "a\r\nb" }),
    TypeError,
  );
});

Deno.test("serialized heads parse back to what was written", () => {
  const request = parseHttp1RequestHead(serializeHttp1RequestHead({
    url: "http://a.example/x?y",
    headers: { "x-latin": "caf\xe9", upgrade: "websocket" },
  }));
  strictEqual(request.url, "http://a.example/x?y");
  strictEqual(request.headers.get("x-latin"), "caf\xe9");
  const response = parseHttp1ResponseHead(serializeHttp1ResponseHead({
    status: 426,
    headers: { "sec-websocket-version": "13" },
  }));
  strictEqual(response.status, 426);
  strictEqual(response.statusText, "Upgrade Required");
  strictEqual(response.headers.get("sec-websocket-version"), "13");
});

Deno.test("http1ErrorStatus is undefined for other errors", () => {
  strictEqual(http1ErrorStatus(new SyntaxError("x")), undefined);
  strictEqual(http1ErrorStatus(new TypeError("x")), undefined);
  strictEqual(http1ErrorStatus("x"), undefined);
});
