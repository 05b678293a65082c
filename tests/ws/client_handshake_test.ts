// Copyright 2026 the serverpush authors. MIT license.
import {
  deepStrictEqual,
  notStrictEqual,
  ok,
  strictEqual,
  throws,
} from "node:assert/strict";
import { acceptKey } from "../../ws/accept_key.ts";
import {
  type ClientHandshake,
  createClientHandshake,
  verifyClientHandshake,
} from "../../ws/client_handshake.ts";
import { WsHandshakeError } from "../../ws/handshake_error.ts";
import { acceptUpgrade } from "../../ws/server_handshake.ts";

Deno.test("createClientHandshake builds the opening request headers", () => {
  const handshake = createClientHandshake("ws://example.com:8080/chat?room=1", {
    protocols: ["chat.v2", "chat.v1"],
    deflate: { serverNoContextTakeover: true },
    headers: { origin: "https://example.com", authorization: "Bearer x" },
  });
  strictEqual(handshake.url.href, "http://example.com:8080/chat?room=1");
  deepStrictEqual(Object.fromEntries(handshake.headers), {
    authorization: "Bearer x",
    connection: "Upgrade",
    origin: "https://example.com",
    "sec-websocket-extensions":
      "permessage-deflate; server_no_context_takeover; client_max_window_bits",
    "sec-websocket-key": handshake.key,
    "sec-websocket-protocol": "chat.v2, chat.v1",
    "sec-websocket-version": "13",
    upgrade: "websocket",
  });
  deepStrictEqual(handshake.protocols, ["chat.v2", "chat.v1"]);
  deepStrictEqual(handshake.deflate, { serverNoContextTakeover: true });
});

Deno.test("createClientHandshake makes a fresh 16-byte key every time", () => {
  const a = createClientHandshake("ws://localhost/");
  const b = createClientHandshake("ws://localhost/");
  strictEqual(atob(a.key).length, 16);
  strictEqual(atob(b.key).length, 16);
  notStrictEqual(a.key, b.key);
  strictEqual(a.headers.has("sec-websocket-protocol"), false);
  strictEqual(a.headers.has("sec-websocket-extensions"), false);
});

Deno.test("createClientHandshake accepts a single protocol as a string", () => {
  const handshake = createClientHandshake("ws://localhost/", {
    protocols: "chat",
  });
  deepStrictEqual(handshake.protocols, ["chat"]);
  strictEqual(handshake.headers.get("sec-websocket-protocol"), "chat");
});

Deno.test("createClientHandshake maps schemes and keeps http and https", async (t) => {
  for (
    const [input, expected] of [
      ["ws://a.example/x", "http://a.example/x"],
      ["wss://a.example/x", "https://a.example/x"],
      ["http://a.example/x", "http://a.example/x"],
      ["https://a.example/x", "https://a.example/x"],
      ["wss://a.example:443/x", "https://a.example/x"],
    ]
  ) {
    await t.step(input!, () => {
      strictEqual(createClientHandshake(input!).url.href, expected);
    });
  }
});

Deno.test("createClientHandshake refuses bad input with a TypeError", async (t) => {
  const cases: [string, () => unknown][] = [
    ["not a URL", () => createClientHandshake("not a url")],
    ["ftp scheme", () => createClientHandshake("ftp://a.example/")],
    ["fragment", () => createClientHandshake("ws://a.example/#x")],
    ["empty fragment", () => createClientHandshake("ws://a.example/#")],
    [
      "protocol not a token",
      () => createClientHandshake("ws://a/", { protocols: ["a b"] }),
    ],
    [
      "protocol repeats",
      () => createClientHandshake("ws://a/", { protocols: ["a", "a"] }),
    ],
    [
      "reserved header",
      () =>
        createClientHandshake("ws://a/", {
          headers: { "Sec-WebSocket-Key": "x" },
        }),
    ],
    [
      "reserved upgrade",
      () => createClientHandshake("ws://a/", { headers: { upgrade: "h2c" } }),
    ],
  ];
  for (const [name, fn] of cases) {
    await t.step(name, () => throws(fn, TypeError));
  }
  throws(
    () =>
      createClientHandshake("ws://a/", {
        deflate: { serverMaxWindowBits: 16 },
      }),
    RangeError,
  );
});

async function serverAnswer(
  handshake: ClientHandshake,
  change: (headers: Headers) => void = () => {},
): Promise<Headers> {
  const headers = new Headers({
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-accept": await acceptKey(handshake.key),
  });
  change(headers);
  return headers;
}

Deno.test("verifyClientHandshake accepts what acceptUpgrade answers", async () => {
  const handshake = createClientHandshake("ws://localhost/", {
    protocols: ["a", "b"],
    deflate: { clientMaxWindowBits: 12 },
  });
  const accepted = await acceptUpgrade(
    new Request(handshake.url, { headers: handshake.headers }),
    { protocols: ["b"], deflate: { serverNoContextTakeover: true } },
  );
  const result = await verifyClientHandshake(handshake, {
    status: 101,
    headers: accepted.headers,
  });
  deepStrictEqual(result, {
    protocol: "b",
    extensions:
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=12",
    deflate: {
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 12,
    },
  });
  deepStrictEqual(result.deflate, accepted.deflate);
});

Deno.test("verifyClientHandshake accepts a minimal answer and token lists", async () => {
  const handshake = createClientHandshake("ws://localhost/", {
    protocols: ["a"],
    deflate: true,
  });
  const result = await verifyClientHandshake(handshake, {
    status: 101,
    headers: await serverAnswer(handshake, (h) => {
      h.set("upgrade", "WebSocket");
      h.set("connection", "keep-alive, upgrade");
    }),
  });
  deepStrictEqual(result, { protocol: "", extensions: "", deflate: undefined });
});

Deno.test("verifyClientHandshake rejects each bad answer with its code", async (t) => {
  const cases: {
    name: string;
    status?: number;
    change: (headers: Headers) => void;
    code: string;
    deflate?: boolean;
  }[] = [
    {
      name: "status 200",
      status: 200,
      change: () => {},
      code: "unexpected-status",
    },
    {
      name: "status 403",
      status: 403,
      change: () => {},
      code: "unexpected-status",
    },
    {
      name: "no Upgrade",
      change: (h) => h.delete("upgrade"),
      code: "bad-upgrade",
    },
    {
      name: "Upgrade h2c",
      change: (h) => h.set("upgrade", "h2c"),
      code: "bad-upgrade",
    },
    {
      name: "no Connection",
      change: (h) => h.delete("connection"),
      code: "bad-connection",
    },
    {
      name: "Connection close",
      change: (h) => h.set("connection", "close"),
      code: "bad-connection",
    },
    {
      name: "no accept",
      change: (h) => h.delete("sec-websocket-accept"),
      code: "bad-accept",
    },
    {
      name: "wrong accept",
      change: (h) =>
        h.set("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
      code: "bad-accept",
    },
    {
      name: "protocol not offered",
      change: (h) => h.set("sec-websocket-protocol", "c"),
      code: "bad-protocol",
    },
    {
      name: "two protocols",
      change: (h) => h.set("sec-websocket-protocol", "a, b"),
      code: "bad-protocol",
    },
    {
      name: "empty protocol",
      change: (h) => h.set("sec-websocket-protocol", ""),
      code: "bad-protocol",
    },
    {
      name: "extension not offered",
      deflate: false,
      change: (h) => h.set("sec-websocket-extensions", "permessage-deflate"),
      code: "bad-extensions",
    },
    {
      name: "unknown extension",
      change: (h) => h.set("sec-websocket-extensions", "x-foo"),
      code: "bad-extensions",
    },
    {
      name: "deflate twice",
      change: (h) =>
        h.set(
          "sec-websocket-extensions",
          "permessage-deflate, permessage-deflate",
        ),
      code: "bad-extensions",
    },
    {
      name: "unknown parameter",
      change: (h) =>
        h.set("sec-websocket-extensions", "permessage-deflate; foo"),
      code: "bad-extensions",
    },
    {
      name: "bare client_max_window_bits",
      change: (h) =>
        h.set(
          "sec-websocket-extensions",
          "permessage-deflate; client_max_window_bits",
        ),
      code: "bad-extensions",
    },
    {
      name: "window bits 16",
      change: (h) =>
        h.set(
          "sec-websocket-extensions",
          "permessage-deflate; server_max_window_bits=16",
        ),
      code: "bad-extensions",
    },
    {
      name: "malformed extensions",
      change: (h) => h.set("sec-websocket-extensions", "permessage-deflate;;"),
      code: "bad-extensions",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const handshake = createClientHandshake("ws://localhost/", {
        protocols: ["a", "b"],
        deflate: c.deflate ?? true,
      });
      const status = c.status ?? 101;
      try {
        await verifyClientHandshake(handshake, {
          status,
          headers: await serverAnswer(handshake, c.change),
        });
      } catch (error) {
        ok(error instanceof WsHandshakeError, String(error));
        strictEqual(error.code, c.code);
        strictEqual(error.status, status);
        ok(error.message.startsWith("Cannot complete WebSocket handshake: "));
        return;
      }
      throw new Error("verifyClientHandshake accepted the answer");
    });
  }
});
