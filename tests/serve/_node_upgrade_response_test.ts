// Copyright 2026 the serverpush authors. MIT license.
// The response for an accepted upgrade under `serve` on Node
// (serve/_node_upgrade_response.ts): a `Response` with status 200 and the
// handshake's own headers, whatever is asked of it.

import { ok, strictEqual } from "node:assert/strict";
import { upgradeResponse } from "../../serve/_node_upgrade_response.ts";

function handshakeHeaders(): Headers {
  return new Headers({
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  });
}

Deno.test("the upgrade response is a Response with the handshake's headers", async () => {
  const headers = handshakeHeaders();
  const response = upgradeResponse(headers);
  ok(response instanceof Response);
  strictEqual(Object.prototype.toString.call(response), "[object Response]");
  strictEqual(response.status, 200);
  strictEqual(response.statusText, "");
  strictEqual(response.ok, true);
  strictEqual(response.type, "default");
  strictEqual(response.redirected, false);
  strictEqual(response.body, null);
  strictEqual(response.bodyUsed, false);
  strictEqual(
    response.headers.get("sec-websocket-accept"),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
  strictEqual(await response.text(), "");
});

Deno.test("headers added to the upgrade response are its own", () => {
  const headers = handshakeHeaders();
  const response = upgradeResponse(headers);
  response.headers.set("access-control-allow-origin", "https://a.example");
  strictEqual(headers.get("access-control-allow-origin"), "https://a.example");
  const clone = response.clone();
  ok(clone instanceof Response);
  strictEqual(clone.status, 200);
  strictEqual(
    clone.headers.get("access-control-allow-origin"),
    "https://a.example",
  );
  strictEqual(clone.headers.get("upgrade"), "websocket");
});
