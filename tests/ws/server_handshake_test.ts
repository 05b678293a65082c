// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { acceptUpgrade } from "../../ws/server_handshake.ts";
import { WsHandshakeError } from "../../ws/handshake_error.ts";
import { upgradeRequest } from "../_upgrade.ts";

async function rejection(
  request: Request,
  options?: Parameters<typeof acceptUpgrade>[1],
): Promise<WsHandshakeError> {
  try {
    await acceptUpgrade(request, options);
  } catch (error) {
    ok(error instanceof WsHandshakeError, String(error));
    return error;
  }
  throw new Error("acceptUpgrade accepted the request");
}

Deno.test("acceptUpgrade builds the 101 headers for a valid request", async () => {
  const accepted = await acceptUpgrade(upgradeRequest());
  deepStrictEqual([...accepted.headers], [
    ["connection", "Upgrade"],
    ["sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
    ["upgrade", "websocket"],
  ]);
  strictEqual(accepted.protocol, "");
  strictEqual(accepted.extensions, "");
  strictEqual(accepted.deflate, undefined);
});

Deno.test("acceptUpgrade accepts tokens inside lists, in any case", async (t) => {
  const cases: Record<string, string>[] = [
    { connection: "keep-alive, Upgrade" },
    { connection: "upgrade" },
    { connection: "UPGRADE,keep-alive" },
    { connection: " keep-alive ,\tupgrade\t" },
    { upgrade: "WebSocket" },
    { upgrade: "h2c, websocket" },
    { upgrade: "WEBSOCKET" },
  ];
  for (const overrides of cases) {
    await t.step(JSON.stringify(overrides), async () => {
      const accepted = await acceptUpgrade(upgradeRequest(overrides));
      strictEqual(
        accepted.headers.get("sec-websocket-accept"),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
      );
    });
  }
});

Deno.test("acceptUpgrade rejects each invalid request with its code and status", async (t) => {
  const cases: {
    name: string;
    overrides?: Record<string, string | null>;
    method?: string;
    code: string;
    status: number;
    headers?: [string, string][];
  }[] = [
    {
      name: "POST",
      method: "POST",
      code: "bad-method",
      status: 405,
      headers: [["allow", "GET"]],
    },
    {
      name: "HEAD",
      method: "HEAD",
      code: "bad-method",
      status: 405,
      headers: [["allow", "GET"]],
    },
    {
      name: "no Upgrade",
      overrides: { upgrade: null },
      code: "bad-upgrade",
      status: 400,
    },
    {
      name: "Upgrade h2c",
      overrides: { upgrade: "h2c" },
      code: "bad-upgrade",
      status: 400,
    },
    {
      name: "Upgrade websockets",
      overrides: { upgrade: "websockets" },
      code: "bad-upgrade",
      status: 400,
    },
    {
      name: "no Connection",
      overrides: { connection: null },
      code: "bad-connection",
      status: 400,
    },
    {
      name: "Connection keep-alive",
      overrides: { connection: "keep-alive" },
      code: "bad-connection",
      status: 400,
    },
    {
      name: "Connection upgraded",
      overrides: { connection: "upgraded" },
      code: "bad-connection",
      status: 400,
    },
    {
      name: "no version",
      overrides: { "sec-websocket-version": null },
      code: "bad-version",
      status: 426,
      headers: [["sec-websocket-version", "13"]],
    },
    {
      name: "version 8",
      overrides: { "sec-websocket-version": "8" },
      code: "bad-version",
      status: 426,
      headers: [["sec-websocket-version", "13"]],
    },
    {
      name: "version 13, 8",
      overrides: { "sec-websocket-version": "13, 8" },
      code: "bad-version",
      status: 426,
      headers: [["sec-websocket-version", "13"]],
    },
    {
      name: "no key",
      overrides: { "sec-websocket-key": null },
      code: "bad-key",
      status: 400,
    },
    {
      name: "key of 15 bytes",
      overrides: { "sec-websocket-key": "AQIDBAUGBwgJCgsMDQ4P" },
      code: "bad-key",
      status: 400,
    },
    {
      name: "key of 17 bytes",
      overrides: { "sec-websocket-key": "AQIDBAUGBwgJCgsMDQ4PEBE=" },
      code: "bad-key",
      status: 400,
    },
    {
      name: "key not base64",
      overrides: { "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ!=" },
      code: "bad-key",
      status: 400,
    },
    {
      name: "key without padding",
      overrides: { "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ" },
      code: "bad-key",
      status: 400,
    },
    {
      name: "two keys",
      overrides: {
        "sec-websocket-key":
          "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==",
      },
      code: "bad-key",
      status: 400,
    },
    {
      name: "protocol not a token",
      overrides: { "sec-websocket-protocol": "chat, a b" },
      code: "bad-protocol",
      status: 400,
    },
    {
      name: "protocol twice",
      overrides: { "sec-websocket-protocol": "chat, chat" },
      code: "bad-protocol",
      status: 400,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const error = await rejection(upgradeRequest(c.overrides, c.method));
      strictEqual(error.code, c.code);
      strictEqual(error.status, c.status);
      deepStrictEqual([...error.headers], c.headers ?? []);
      ok(error.message.startsWith("Cannot accept WebSocket upgrade: "));
    });
  }
});

Deno.test("acceptUpgrade rejects a malformed Sec-WebSocket-Extensions when deflate is on", async () => {
  const request = upgradeRequest({
    "sec-websocket-extensions": "permessage-deflate; =1",
  });
  const error = await rejection(request, { deflate: true });
  strictEqual(error.code, "bad-extensions");
  strictEqual(error.status, 400);
  ok(error.cause instanceof SyntaxError);
  // With deflate off the header is not looked at.
  const accepted = await acceptUpgrade(request);
  strictEqual(accepted.extensions, "");
});

Deno.test("acceptUpgrade chooses the subprotocol by the server's preference", async (t) => {
  const cases: { offered: string | null; server: string[]; chosen: string }[] =
    [
      { offered: "a, b, c", server: ["c", "b"], chosen: "c" },
      { offered: "a, b, c", server: ["b", "a"], chosen: "b" },
      { offered: "a,b", server: ["x", "b"], chosen: "b" },
      { offered: "a, b", server: ["x", "y"], chosen: "" },
      { offered: "a, b", server: [], chosen: "" },
      { offered: null, server: ["a"], chosen: "" },
      { offered: "Chat", server: ["chat"], chosen: "" },
      { offered: "v1.chat, , v2.chat", server: ["v2.chat"], chosen: "v2.chat" },
    ];
  for (const c of cases) {
    await t.step(`${c.offered} / ${c.server.join(",")}`, async () => {
      const accepted = await acceptUpgrade(
        upgradeRequest({ "sec-websocket-protocol": c.offered }),
        { protocols: c.server },
      );
      strictEqual(accepted.protocol, c.chosen);
      strictEqual(
        accepted.headers.get("sec-websocket-protocol"),
        c.chosen === "" ? null : c.chosen,
      );
    });
  }
});

Deno.test("acceptUpgrade refuses a server protocol that is not a token", async () => {
  await rejects(
    acceptUpgrade(upgradeRequest(), { protocols: ["a b"] }),
    TypeError,
  );
});

Deno.test("acceptUpgrade negotiates permessage-deflate when asked to", async (t) => {
  await t.step("true accepts Chromium's offer", async () => {
    const accepted = await acceptUpgrade(
      upgradeRequest({
        "sec-websocket-extensions":
          "permessage-deflate; client_max_window_bits",
      }),
      { deflate: true },
    );
    strictEqual(accepted.extensions, "permessage-deflate");
    strictEqual(
      accepted.headers.get("sec-websocket-extensions"),
      "permessage-deflate",
    );
    deepStrictEqual(accepted.deflate, {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
  });
  await t.step("options shape the answer", async () => {
    const accepted = await acceptUpgrade(
      upgradeRequest({
        "sec-websocket-extensions":
          "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits",
      }),
      { deflate: { serverNoContextTakeover: true, clientMaxWindowBits: 10 } },
    );
    strictEqual(
      accepted.headers.get("sec-websocket-extensions"),
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
    );
  });
  await t.step("off by default", async () => {
    const accepted = await acceptUpgrade(
      upgradeRequest({ "sec-websocket-extensions": "permessage-deflate" }),
    );
    strictEqual(accepted.deflate, undefined);
    strictEqual(accepted.headers.has("sec-websocket-extensions"), false);
  });
  await t.step("no acceptable offer means no extension", async () => {
    const accepted = await acceptUpgrade(
      upgradeRequest({
        "sec-websocket-extensions": "permessage-deflate; foo",
      }),
      { deflate: true },
    );
    strictEqual(accepted.deflate, undefined);
    strictEqual(accepted.headers.has("sec-websocket-extensions"), false);
  });
});
