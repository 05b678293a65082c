// Copyright 2026 the serverpush authors. MIT license.
// The response for an accepted upgrade under `serve` on Node
// (serve/_node_upgrade_response.ts): a `Response` with status 200 and the
// handshake's own headers, whatever is asked of it.

import { ok, strictEqual } from "node:assert/strict";
import {
  upgradeHeaderLines,
  upgradeResponse,
} from "../../serve/_node_upgrade_response.ts";
import {
  headerLinesOf,
  ProvidedAcceptance,
  upgradeHeaders,
} from "../../ws/_check_upgrade.ts";

/** The handshake of RFC 6455 section 1.3's example key. */
function acceptance(protocol = "", extensions = ""): ProvidedAcceptance {
  return new ProvidedAcceptance({
    protocol,
    extensions,
    deflate: undefined,
    key: "dGhlIHNhbXBsZSBub25jZQ==",
  });
}

Deno.test("the upgrade response is a Response with the handshake's headers", async () => {
  const response = upgradeResponse(acceptance());
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
  const accepted = acceptance();
  const response = upgradeResponse(accepted);
  response.headers.set("access-control-allow-origin", "https://a.example");
  strictEqual(
    accepted.headers.get("access-control-allow-origin"),
    "https://a.example",
  );
  const clone = response.clone();
  ok(clone instanceof Response);
  strictEqual(clone.status, 200);
  strictEqual(
    clone.headers.get("access-control-allow-origin"),
    "https://a.example",
  );
  strictEqual(clone.headers.get("upgrade"), "websocket");
});

Deno.test("the 101's header lines are those of the handshake's headers, built or not", () => {
  for (
    const [protocol, extensions] of [
      ["", ""],
      ["serverpush.v1", ""],
      ["", "permessage-deflate; server_no_context_takeover"],
      ["chat", "permessage-deflate"],
    ]
  ) {
    const checked = {
      protocol: protocol!,
      extensions: extensions!,
      deflate: undefined,
      key: "dGhlIHNhbXBsZSBub25jZQ==",
    };
    const expected = headerLinesOf(upgradeHeaders(checked));
    strictEqual(
      upgradeHeaderLines(upgradeResponse(new ProvidedAcceptance(checked))),
      expected,
    );
    // Read (and so built) but unchanged: the same lines.
    const read = upgradeResponse(new ProvidedAcceptance(checked));
    strictEqual(read.headers.get("upgrade"), "websocket");
    strictEqual(upgradeHeaderLines(read), expected);
  }
  strictEqual(
    upgradeHeaderLines(upgradeResponse(acceptance())),
    "connection: Upgrade\r\n" +
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
      "upgrade: websocket\r\n",
  );
});

Deno.test("headers a handler adds to the upgrade response go out with the 101", () => {
  const response = upgradeResponse(acceptance("chat"));
  response.headers.set("access-control-allow-origin", "https://a.example");
  response.headers.delete("sec-websocket-protocol");
  strictEqual(
    upgradeHeaderLines(response),
    "access-control-allow-origin: https://a.example\r\n" +
      "connection: Upgrade\r\n" +
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
      "upgrade: websocket\r\n",
  );
});
