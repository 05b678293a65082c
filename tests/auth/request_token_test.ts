// Copyright 2026 the serverpush authors. MIT license.

import { strictEqual } from "node:assert/strict";
import { requestToken } from "../../auth/mod.ts";

function request(
  headers: Record<string, string> = {},
  query = "",
): Request {
  return new Request(`http://localhost/hub/chat${query}`, { headers });
}

Deno.test("requestToken reads a bearer token from the Authorization header", async (t) => {
  for (
    const [header, expected] of [
      ["Bearer abc.def.ghi", "abc.def.ghi"],
      ["bearer abc.def.ghi", "abc.def.ghi"],
      ["Bearer  a-b_c~d+e/f==", "a-b_c~d+e/f=="],
      ["Basic dXNlcjpwYXNz", undefined],
      ["Bearer", undefined],
      ["Bearer a b", undefined],
    ] as const
  ) {
    await t.step(header, () => {
      strictEqual(requestToken(request({ authorization: header })), expected);
    });
  }
});

Deno.test("requestToken reads the access_token. subprotocol, never another one", () => {
  strictEqual(
    requestToken(
      request({
        "sec-websocket-protocol": "serverpush.v1, access_token.abc.def",
      }),
    ),
    "abc.def",
  );
  strictEqual(
    requestToken(request({ "sec-websocket-protocol": "serverpush.v1" })),
    undefined,
  );
  strictEqual(
    requestToken(request({ "sec-websocket-protocol": "access_token." })),
    undefined,
  );
  strictEqual(
    requestToken(request({ "sec-websocket-protocol": "jwt.abc" }), {
      subprotocol: "jwt.",
    }),
    "abc",
  );
  strictEqual(
    requestToken(request({ "sec-websocket-protocol": "access_token.abc" }), {
      subprotocol: false,
    }),
    undefined,
  );
});

Deno.test("requestToken reads a cookie only when one is named", () => {
  const headers = { cookie: 'theme=dark; push="abc.def"; other=1' };
  strictEqual(requestToken(request(headers)), undefined);
  strictEqual(requestToken(request(headers), { cookie: "push" }), "abc.def");
  strictEqual(requestToken(request(headers), { cookie: "pus" }), undefined);
  strictEqual(
    requestToken(request({ cookie: "push=" }), { cookie: "push" }),
    undefined,
  );
});

Deno.test("requestToken reads ?access_token= unless query is false", () => {
  strictEqual(requestToken(request({}, "?access_token=abc")), "abc");
  strictEqual(requestToken(request({}, "?access_token=")), undefined);
  strictEqual(requestToken(request({}, "?t=abc"), { query: "t" }), "abc");
  strictEqual(
    requestToken(request({}, "?access_token=abc"), { query: false }),
    undefined,
  );
});

Deno.test("requestToken takes the header, then the subprotocol, the cookie and the query", () => {
  const all = {
    authorization: "Bearer header",
    "sec-websocket-protocol": "access_token.protocol",
    cookie: "push=cookie",
  };
  const options = { cookie: "push" };
  const query = "?access_token=query";
  strictEqual(requestToken(request(all, query), options), "header");
  const { authorization: _, ...rest } = all;
  strictEqual(requestToken(request(rest, query), options), "protocol");
  strictEqual(
    requestToken(request({ cookie: all.cookie }, query), options),
    "cookie",
  );
  strictEqual(requestToken(request({}, query), options), "query");
});
