// Copyright 2026 the serverpush authors. MIT license.
import { ok, rejects, strictEqual } from "node:assert/strict";
import { admitUpgrade } from "../../ws/mod.ts";
import { upgradeRequest } from "../_upgrade.ts";

async function status(result: Response | object): Promise<number> {
  if (!(result instanceof Response)) return 101;
  await result.body?.cancel();
  return result.status;
}

Deno.test("admitUpgrade answers each refusal with its status", async (t) => {
  const cases: [name: string, request: Request, expected: number][] = [
    ["valid", upgradeRequest(), 101],
    ["not an upgrade", new Request("http://chat.example/ws"), 426],
    ["Upgrade: h2c", upgradeRequest({ upgrade: "h2c" }), 426],
    ["POST", upgradeRequest({}, "POST"), 405],
    [
      "no Connection: upgrade",
      upgradeRequest({ connection: "keep-alive" }),
      400,
    ],
    ["bad key", upgradeRequest({ "sec-websocket-key": "x" }), 400],
    ["version 8", upgradeRequest({ "sec-websocket-version": "8" }), 426],
    [
      "bad protocol list",
      upgradeRequest({ "sec-websocket-protocol": "a b" }),
      400,
    ],
    [
      "cross-site Origin",
      upgradeRequest({ origin: "https://evil.example" }),
      403,
    ],
  ];
  for (const [name, request, expected] of cases) {
    await t.step(name, async () => {
      strictEqual(await status(await admitUpgrade(request)), expected);
    });
  }
});

Deno.test("admitUpgrade sends Upgrade: websocket with a 426 for a plain request", async () => {
  const result = await admitUpgrade(new Request("http://chat.example/ws"));
  ok(result instanceof Response);
  strictEqual(result.headers.get("upgrade"), "websocket");
  strictEqual(result.headers.get("connection"), null);
  await result.body?.cancel();
});

Deno.test("admitUpgrade negotiates permessage-deflate when asked", async () => {
  const result = await admitUpgrade(
    upgradeRequest({ "sec-websocket-extensions": "permessage-deflate" }),
    { deflate: true },
  );
  ok(!(result instanceof Response));
  strictEqual(result.extensions, "permessage-deflate");
});

Deno.test("admitUpgrade runs authorize last and obeys it", async (t) => {
  await t.step("false is 403", async () => {
    strictEqual(
      await status(
        await admitUpgrade(upgradeRequest(), { authorize: () => false }),
      ),
      403,
    );
  });
  await t.step("a Response is sent as is", async () => {
    const result = await admitUpgrade(upgradeRequest(), {
      authorize: () => new Response(null, { status: 401 }),
    });
    strictEqual(await status(result), 401);
  });
  await t.step("not called for a malformed handshake", async () => {
    let called = false;
    const result = await admitUpgrade(
      upgradeRequest({ "sec-websocket-key": "x" }),
      {
        authorize: () => (called = true),
      },
    );
    strictEqual(await status(result), 400);
    strictEqual(called, false);
  });
  await t.step("its rejection propagates", async () => {
    await rejects(
      admitUpgrade(upgradeRequest(), {
        authorize: () => Promise.reject(new Error("down")),
      }),
      { message: "down" },
    );
  });
});

Deno.test("admitUpgrade throws TypeError for an allow-list entry that is not a URL", async () => {
  await rejects(
    admitUpgrade(upgradeRequest({ origin: "https://a.example" }), {
      origins: ["not a url"],
    }),
    TypeError,
  );
});
