// Copyright 2026 the serverpush authors. MIT license.

import { ok, rejects, strictEqual, throws } from "node:assert/strict";
import { authorizeWithJwt, JwtError } from "../../auth/mod.ts";
import { generateKeys, inSeconds, SECRET, signJwt } from "./_sign.ts";

const hooks = authorizeWithJwt({ secret: SECRET });

function withToken(claims: Record<string, unknown>): Request {
  const token = signJwt("HS256", SECRET, { alg: "HS256" }, {
    exp: inSeconds(600),
    ...claims,
  });
  return new Request("http://localhost/", {
    headers: { authorization: `Bearer ${token}` },
  });
}

async function status(
  verdict: Promise<true | Response>,
): Promise<true | number> {
  const value = await verdict;
  if (value === true) return true;
  await value.body?.cancel();
  return value.status;
}

Deno.test("authorizeWithJwt grants topics by pattern", async (t) => {
  const request = withToken({
    serverpush: { subscribe: ["chat", "news/*"], publish: ["*"] },
  });
  for (
    const [topic, expected] of [
      ["chat", true],
      ["chat2", 403],
      ["news/today", true],
      ["news/a/b", true],
      ["news", 403],
      ["newsroom/x", 403],
      ["other", 403],
    ] as const
  ) {
    await t.step(topic, async () => {
      strictEqual(
        await status(hooks.authorizeSubscribe(request, topic)),
        expected,
      );
      strictEqual(await status(hooks.authorizePublish(request, topic)), true);
    });
  }
});

Deno.test("authorizeWithJwt grants nothing from a claim of another shape", async (t) => {
  for (
    const serverpush of [
      undefined,
      "chat",
      ["chat"],
      { subscribe: "chat" },
      { subscribe: [1, null] },
      { publish: ["chat"] },
    ]
  ) {
    await t.step(JSON.stringify(serverpush) ?? "undefined", async () => {
      strictEqual(
        await status(
          hooks.authorizeSubscribe(withToken({ serverpush }), "chat"),
        ),
        403,
      );
    });
  }
});

Deno.test("authorizeWithJwt reads the grants from the claim it is told", async () => {
  const named = authorizeWithJwt({ secret: SECRET, claim: "push" });
  const request = withToken({ push: { subscribe: ["chat"] } });
  strictEqual(await status(named.authorizeSubscribe(request, "chat")), true);
  strictEqual(await status(hooks.authorizeSubscribe(request, "chat")), 403);
});

Deno.test("authorizeWithJwt expiresAt is the token's exp, or false when it is missing or invalid", async () => {
  const exp = inSeconds(100);
  strictEqual(await hooks.expiresAt(withToken({ exp })), exp * 1000);
  strictEqual(await hooks.expiresAt(new Request("http://localhost/")), false);
  strictEqual(
    await hooks.expiresAt(withToken({ exp: inSeconds(-100) })),
    false,
  );
  const lenient = authorizeWithJwt({
    secret: SECRET,
    requireExpiration: false,
  });
  strictEqual(
    await lenient.expiresAt(withToken({ exp: undefined })),
    undefined,
  );
});

Deno.test("authorizeWithJwt claims rejects with reason missing when there is no token", async () => {
  await rejects(
    hooks.claims(new Request("http://localhost/")),
    (error: unknown) => error instanceof JwtError && error.reason === "missing",
  );
  strictEqual((await hooks.claims(withToken({ sub: "ada" }))).sub, "ada");
});

Deno.test("authorizeWithJwt refuses two key sources at once", () => {
  const { jwk } = generateKeys("EdDSA", "k");
  throws(
    () => authorizeWithJwt({ secret: SECRET, jwks: { keys: [jwk] } } as never),
    TypeError,
  );
  ok(authorizeWithJwt({ jwks: { keys: [jwk] } }));
});
