// Copyright 2026 the serverpush authors. MIT license.
// authorizeWithJwt on a real server (createHubHandler + Deno.serve on
// 127.0.0.1): subscriptions and publishes allowed and refused by the
// token's claim over every transport, and connections that end when their
// token expires unless a serverpush.v1 client refreshes it.

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import {
  authorizeWithJwt,
  type AuthorizeWithJwtOptions,
} from "../../auth/mod.ts";
import {
  type HubHandlerOptions,
  hubWebSocketHandler,
} from "../../serve/mod.ts";
import { serveWebSocket } from "../../ws/mod.ts";
import {
  openEvents,
  openSocket,
  serveHub,
  type TestSocket,
  until,
  upgradeStatus,
  within,
} from "../serve/_handler_clients.ts";
import { delay } from "../_wait.ts";
import { generateKeys, inSeconds, SECRET, signJwt } from "./_sign.ts";

const GRANTS = { subscribe: ["chat", "news/*"], publish: ["chat"] };
const SSE = { accept: "text/event-stream" } as const;

/** An HS256 token for audience "push" with `claims` (the grants by default). */
function token(claims: Record<string, unknown> = {}): string {
  return signJwt("HS256", SECRET, { alg: "HS256", typ: "JWT" }, {
    sub: "ada",
    aud: "push",
    exp: inSeconds(600),
    serverpush: GRANTS,
    ...claims,
  });
}

/** A serverpush.v1 WebSocket that carries `value` in a subprotocol. */
function openV1(origin: string, value: string): TestSocket {
  return openSocket(`${origin}/hub`, [
    "serverpush.v1",
    `access_token.${value}`,
  ]);
}

/** The time, in seconds, one to two seconds from now. */
function soon(): number {
  return Math.ceil(Date.now() / 1000) + 1;
}

function serve(
  hub: Hub,
  auth: Partial<AuthorizeWithJwtOptions> = {},
  options: HubHandlerOptions = {},
) {
  return serveHub(hub, {
    prefix: "/hub",
    allowPublish: true,
    ...authorizeWithJwt(
      { secret: SECRET, audience: "push", ...auth } as AuthorizeWithJwtOptions,
    ),
    ...options,
  });
}

Deno.test("authorizeWithJwt lets an SSE stream subscribe with ?access_token= to what the claim grants", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const url = (topic: string, value = token()) =>
    `${server.origin}/hub/${topic}?access_token=${value}`;

  const { events } = await openEvents(url("news/today"));
  const id = await hub.publish("news/today", { data: "hello" });
  deepStrictEqual(
    (await events.take(1)).map((e) => [e.lastEventId, e.data]),
    [[id, "hello"]],
  );
  await events.cancel();

  const refused = await fetch(url("secret"), { headers: SSE });
  strictEqual(refused.status, 403);
  strictEqual(
    refused.headers.get("www-authenticate"),
    'Bearer realm="serverpush", error="insufficient_scope"',
  );
  match(await refused.text(), /^Cannot subscribe to topic "secret"/);

  // "news/*" covers what is under news/, not news itself.
  const parent = await fetch(url("news"), { headers: SSE });
  strictEqual(parent.status, 403);
  await parent.body?.cancel();

  const none = await fetch(`${server.origin}/hub/chat`, { headers: SSE });
  strictEqual(none.status, 401);
  strictEqual(
    none.headers.get("www-authenticate"),
    'Bearer realm="serverpush"',
  );
  await none.body?.cancel();

  const expired = await fetch(url("chat", token({ exp: inSeconds(-60) })), {
    headers: SSE,
  });
  strictEqual(expired.status, 401);
  strictEqual(
    expired.headers.get("www-authenticate"),
    'Bearer realm="serverpush", error="invalid_token", error_description="expired"',
  );
  await expired.body?.cancel();

  const wrongAudience = await fetch(url("chat", token({ aud: "elsewhere" })), {
    headers: SSE,
  });
  strictEqual(wrongAudience.status, 401);
  match(wrongAudience.headers.get("www-authenticate")!, /wrong-audience/);
  await wrongAudience.body?.cancel();
  await hub.close();
});

Deno.test("authorizeWithJwt reads the token of a WebSocket from a subprotocol, which the server never echoes", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const offer = `access_token.${token()}`;

  const socket = openSocket(`${server.origin}/hub/chat`, [offer]);
  await socket.opened;
  // The server chose no subprotocol: the token is not sent back.
  strictEqual(socket.socket.protocol, "");
  await until(() => hub.stats().subscribers === 1);
  const id = await hub.publish("chat", { data: "hi" });
  deepStrictEqual(await socket.next(), { id, data: "hi" });
  await socket.close();

  strictEqual(
    await upgradeStatus(server.port, "/hub/secret", {
      "Sec-WebSocket-Protocol": offer,
    }),
    403,
  );
  strictEqual(await upgradeStatus(server.port, "/hub/chat"), 401);
  await hub.close();
});

Deno.test("authorizeWithJwt checks each subscribe and publish of a serverpush.v1 connection", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const socket = openV1(server.origin, token());
  await socket.opened;
  strictEqual(socket.socket.protocol, "serverpush.v1");

  socket.send({ type: "subscribe", topic: "chat" });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "chat" });
  socket.send({ type: "subscribe", topic: "secret" });
  deepStrictEqual(await socket.next(), {
    type: "error",
    code: "unauthorized",
    message: 'Cannot subscribe to topic "secret": not authorized',
    topic: "secret",
  });
  socket.send({ type: "publish", topic: "news/today", data: "x" });
  deepStrictEqual((await socket.next()).code, "unauthorized");
  socket.send({ type: "publish", topic: "chat", data: "mine" });
  // The answer and the message itself may come in either order.
  const both = [await socket.next(), await socket.next()];
  const published = both.find((value) => value.type === "published")!;
  deepStrictEqual(both.find((value) => value.type === "message"), {
    type: "message",
    topic: "chat",
    id: published.id,
    data: "mine",
  });
  await socket.close();
  await hub.close();
});

Deno.test("authorizeWithJwt guards the polling transports and POST publishes", async (t) => {
  const hub = new Hub();
  await using server = serve(hub, { cookie: "push_token" });
  const first = await hub.publish("chat", { data: "one" });

  await t.step("poll with ?access_token=", async () => {
    const allowed = await fetch(
      `${server.origin}/hub/chat?transport=poll&history=1&access_token=${token()}`,
    );
    deepStrictEqual(await allowed.json(), {
      cursor: first,
      messages: [{ id: first, data: "one" }],
    });
    const refused = await fetch(
      `${server.origin}/hub/secret?transport=poll&access_token=${token()}`,
    );
    strictEqual(refused.status, 403);
    await refused.body?.cancel();
  });
  await t.step("long poll with a cookie", async () => {
    const pending = fetch(
      `${server.origin}/hub/chat?transport=longpoll&cursor=${first}`,
      { headers: { cookie: `theme=dark; push_token=${token()}` } },
    );
    await until(() => hub.stats().subscribers === 1);
    const second = await hub.publish("chat", { data: "two" });
    deepStrictEqual(await (await within(pending, "long poll")).json(), {
      cursor: second,
      messages: [{ id: second, data: "two" }],
    });
  });
  await t.step("POST with Authorization: Bearer", async () => {
    const post = (topic: string, headers: Record<string, string>) =>
      fetch(`${server.origin}/hub/${topic}`, {
        method: "POST",
        headers,
        body: "hello",
      });
    const bearer = { authorization: `Bearer ${token()}` };
    const allowed = await post("chat", bearer);
    strictEqual(allowed.status, 201);
    const { id } = await allowed.json();
    strictEqual((await hub.history("chat")).messages.at(-1)?.id, id);

    for (
      const [topic, headers, status] of [
        ["news/today", bearer, 403],
        ["chat", {}, 401],
        ["chat", { authorization: "Bearer not.a.token" }, 401],
        ["chat", {
          authorization: `Bearer ${
            token({ serverpush: { subscribe: ["chat"] } })
          }`,
        }, 403],
      ] as const
    ) {
      const refused = await post(topic, headers);
      strictEqual(
        refused.status,
        status,
        `${topic} ${JSON.stringify(headers)}`,
      );
      await refused.body?.cancel();
    }
  });
  await hub.close();
});

Deno.test("authorizeWithJwt verifies tokens of an RS256 JWKS on a real server", async () => {
  const keys = generateKeys("RS256", "2026-12");
  const hub = new Hub();
  await using server = serve(hub, {
    secret: undefined,
    jwks: { keys: [keys.jwk] },
    issuer: "https://login.example",
  } as Partial<AuthorizeWithJwtOptions>);
  const claims = {
    aud: "push",
    iss: "https://login.example",
    exp: inSeconds(600),
    serverpush: GRANTS,
  };
  const signed = signJwt("RS256", keys.privateKey, {
    alg: "RS256",
    kid: "2026-12",
  }, claims);
  const { events } = await openEvents(
    `${server.origin}/hub/chat?access_token=${signed}`,
  );
  const id = await hub.publish("chat", { data: "rsa" });
  strictEqual((await events.take(1))[0]!.lastEventId, id);
  await events.cancel();

  // The same claims as HS256 signed with the RSA public key as secret.
  const forged = signJwt(
    "HS256",
    keys.pem,
    { alg: "HS256", kid: "2026-12" },
    claims,
  );
  const refused = await fetch(
    `${server.origin}/hub/chat?access_token=${forged}`,
    {
      headers: SSE,
    },
  );
  strictEqual(refused.status, 401);
  match(refused.headers.get("www-authenticate")!, /alg-mismatch/);
  await refused.body?.cancel();
  await hub.close();
});

Deno.test("a WebSocket whose token expires is closed with 1008", async (t) => {
  const hub = new Hub();
  await using server = serve(hub);
  for (
    const [name, path, protocols] of [
      ["one topic", "/hub/chat", []],
      ["serverpush.v1", "/hub", ["serverpush.v1"]],
    ] as const
  ) {
    await t.step(name, async () => {
      const exp = soon();
      const socket = openSocket(`${server.origin}${path}`, [
        ...protocols,
        `access_token.${token({ exp })}`,
      ]);
      await socket.opened;
      const closed = await within(socket.closed, "the close", 10_000);
      deepStrictEqual(closed, {
        code: 1008,
        reason: "Cannot continue: the credentials expired",
      });
      ok(Date.now() >= exp * 1000, "closed before the token expired");
    });
  }
  await hub.close();
});

Deno.test("an SSE stream whose token expires ends, and its reconnection is refused", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const exp = soon();
  const url = `${server.origin}/hub/chat?access_token=${token({ exp })}`;
  const { events } = await openEvents(url);
  const id = await hub.publish("chat", { data: "before" });
  const { events: seen, error } = await events.rest();
  strictEqual(error, undefined);
  deepStrictEqual(seen.map((e) => e.lastEventId), [id]);
  ok(Date.now() >= exp * 1000, "ended before the token expired");
  const again = await fetch(url, { headers: { ...SSE, "last-event-id": id } });
  strictEqual(again.status, 401);
  await again.body?.cancel();
  await hub.close();
});

Deno.test("a held long poll whose token expires answers, and the next poll is refused", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const first = await hub.publish("chat", { data: "one" });
  const exp = soon();
  const url =
    `${server.origin}/hub/chat?transport=longpoll&cursor=${first}&access_token=${
      token({ exp })
    }`;
  const answer = await within(fetch(url), "the long poll", 10_000);
  ok(Date.now() >= exp * 1000, "answered before the token expired");
  strictEqual(answer.status, 200);
  await answer.body?.cancel();
  const next = await fetch(url);
  strictEqual(next.status, 401);
  await next.body?.cancel();
  await hub.close();
});

Deno.test("a serverpush.v1 client that refreshes its token stays connected", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const exp = soon();
  const socket = openV1(server.origin, token({ exp }));
  socket.send({ type: "subscribe", topic: "chat" });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "chat" });
  socket.send({ type: "refresh", token: token({ exp: inSeconds(600) }) });
  deepStrictEqual(await socket.next(), { type: "refreshed" });
  // Past the first token's expiry, the connection still delivers.
  await delay(exp * 1000 - Date.now() + 500);
  const id = await hub.publish("chat", { data: "still here" });
  deepStrictEqual(await socket.next(), {
    type: "message",
    topic: "chat",
    id,
    data: "still here",
  });
  strictEqual(socket.socket.readyState, WebSocket.OPEN);
  await socket.close();
  await hub.close();
});

Deno.test("a refresh that is invalid or grants less than the current subscriptions closes with 1008", async (t) => {
  const hub = new Hub();
  await using server = serve(hub);
  const cases: [string, string, string][] = [
    [
      "a token that does not grant a current subscription",
      token({ serverpush: { subscribe: ["news/*"] } }),
      'Cannot refresh credentials: they do not grant topic "chat"',
    ],
    [
      "an expired token",
      token({ exp: inSeconds(-60) }),
      "Cannot refresh credentials: they are not valid or expired",
    ],
    [
      "a token signed with another secret",
      signJwt("HS256", "another secret, also 32 bytes long", { alg: "HS256" }, {
        aud: "push",
        exp: inSeconds(600),
        serverpush: GRANTS,
      }),
      "Cannot refresh credentials: they are not valid or expired",
    ],
  ];
  for (const [name, fresh, reason] of cases) {
    await t.step(name, async () => {
      const socket = openV1(server.origin, token());
      socket.send({ type: "subscribe", topic: "chat" });
      deepStrictEqual(await socket.next(), {
        type: "subscribed",
        topic: "chat",
      });
      socket.send({ type: "refresh", token: fresh });
      deepStrictEqual(await within(socket.closed, "the close"), {
        code: 1008,
        reason,
      });
    });
  }
  await t.step(
    "a token that is not a string is an error, not a close",
    async () => {
      const socket = openV1(server.origin, token());
      socket.send({ type: "refresh", token: 42 });
      deepStrictEqual((await socket.next()).code, "invalid-message");
      socket.send({ type: "subscribe", topic: "chat" });
      deepStrictEqual(await socket.next(), {
        type: "subscribed",
        topic: "chat",
      });
      await socket.close();
    },
  );
  await hub.close();
});

Deno.test("without expiresAt, refresh is an unknown type", async () => {
  const hub = new Hub();
  await using server = serveHub(hub, { prefix: "/hub" });
  const socket = openSocket(`${server.origin}/hub`, ["serverpush.v1"]);
  socket.send({ type: "refresh", token: token() });
  deepStrictEqual((await socket.next()).code, "unknown-type");
  await socket.close();
  await hub.close();
});

Deno.test("an iframe stream whose token expires writes its reconnect call and ends", async () => {
  const hub = new Hub();
  await using server = serve(hub);
  const exp = soon();
  const response = await fetch(
    `${server.origin}/hub/chat?transport=iframe&callback=onPush&access_token=${
      token({ exp })
    }`,
  );
  strictEqual(response.status, 200);
  const text = await within(response.text(), "the end of the page", 10_000);
  ok(Date.now() >= exp * 1000, "ended before the token expired");
  match(
    text,
    // Nothing arrived on an empty topic: it reconnects from the topic's start.
    /<script>parent\.onPush\(null,\{"reconnect":"\^"\}\);<\/script>\n$/,
  );
  await hub.close();
});

Deno.test("hubWebSocketHandler on the codec engine closes at expiry, and keeps a refreshed serverpush.v1 connection", async () => {
  const hub = new Hub();
  const server = serveWebSocket(
    { protocols: ["serverpush.v1"] },
    hubWebSocketHandler(hub, {
      prefix: "/hub",
      ...authorizeWithJwt({ secret: SECRET, audience: "push" }),
    }),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    const exp = soon();
    const expiring = openSocket(`${origin}/hub/chat`, [
      `access_token.${token({ exp })}`,
    ]);
    const refreshed = openV1(origin, token({ exp }));
    refreshed.send({ type: "subscribe", topic: "chat" });
    deepStrictEqual(await refreshed.next(), {
      type: "subscribed",
      topic: "chat",
    });
    refreshed.send({ type: "refresh", token: token() });
    deepStrictEqual(await refreshed.next(), { type: "refreshed" });
    deepStrictEqual(await within(expiring.closed, "the close"), {
      code: 1008,
      reason: "Cannot continue: the credentials expired",
    });
    ok(Date.now() >= exp * 1000, "closed before the token expired");
    await delay(300);
    const id = await hub.publish("chat", { data: "on" });
    deepStrictEqual(await refreshed.next(), {
      type: "message",
      topic: "chat",
      id,
      data: "on",
    });
    await refreshed.close();
  } finally {
    await server.shutdown();
    await hub.close();
  }
});
