// Copyright 2026 the serverpush authors. MIT license.
import { ok, strictEqual } from "node:assert/strict";
import { WsHandshakeError } from "../../ws/handshake_error.ts";

Deno.test("WsHandshakeError carries code, status, headers and cause", () => {
  const cause = new SyntaxError("inner");
  const error = new WsHandshakeError("Cannot accept WebSocket upgrade: x", {
    code: "bad-version",
    status: 426,
    headers: { "sec-websocket-version": "13" },
    cause,
  });
  ok(error instanceof Error);
  strictEqual(error.name, "WsHandshakeError");
  strictEqual(error.code, "bad-version");
  strictEqual(error.status, 426);
  strictEqual(error.headers.get("sec-websocket-version"), "13");
  strictEqual(error.cause, cause);
});

Deno.test("WsHandshakeError.toResponse answers with status, headers and message", async () => {
  const error = new WsHandshakeError("Cannot accept WebSocket upgrade: no", {
    code: "bad-method",
    status: 405,
    headers: { allow: "GET" },
  });
  const response = error.toResponse();
  strictEqual(response.status, 405);
  strictEqual(response.headers.get("allow"), "GET");
  strictEqual(
    response.headers.get("content-type"),
    "text/plain; charset=utf-8",
  );
  strictEqual(await response.text(), "Cannot accept WebSocket upgrade: no");
  // A fresh response each time, and the error's headers are untouched.
  const again = error.toResponse();
  strictEqual(again === response, false);
  strictEqual(error.headers.has("content-type"), false);
  await again.body?.cancel();
});
