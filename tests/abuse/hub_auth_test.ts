// Copyright 2026 the serverpush authors. MIT license.
// Attacks on the token auth of a hub handler (authorizeWithJwt): a client
// that refreshes its token without end holds one token's worth of state,
// not one per refresh; oversized tokens (over maxTokenBytes, 8 KiB) in a
// query, a subprotocol or a refresh are refused before they are decoded, and
// leave nothing behind. An honest client of the same server is served
// throughout.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { MiB, mib, startFixture } from "./_harness.ts";
import { openSocket, within } from "../serve/_handler_clients.ts";
import { inSeconds, SECRET, signJwt } from "../auth/_sign.ts";

const encoder = new TextEncoder();

/** Writes one line of figures to stderr (what the attack cost). */
function note(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`  ${text}\n`));
}

function token(claims: Record<string, unknown> = {}): string {
  return signJwt("HS256", SECRET, { alg: "HS256" }, {
    exp: inSeconds(600),
    serverpush: { subscribe: ["chat"], publish: ["chat"] },
    ...claims,
  });
}

Deno.test("a serverpush.v1 client that refreshes 5,000 times holds the state of one token", async () => {
  await using server = await startFixture("hub_auth", { env: { SECRET } });
  const origin = `http://127.0.0.1:${server.port}`;
  const socket = openSocket(`${origin}/hub`, [
    "serverpush.v1",
    `access_token.${token()}`,
  ]);
  socket.send({ type: "subscribe", topic: "chat" });
  deepStrictEqual(await socket.next(), { type: "subscribed", topic: "chat" });
  // Warm up, then measure.
  for (let i = 0; i < 200; i++) {
    socket.send({ type: "refresh", token: token({ jti: `w${i}` }) });
    deepStrictEqual(await socket.next(), { type: "refreshed" });
  }
  const before = await server.memory();
  const REFRESHES = 5_000;
  for (let sent = 0; sent < REFRESHES; sent += 100) {
    for (let i = 0; i < 100; i++) {
      socket.send({
        type: "refresh",
        token: token({ jti: `r${sent + i}`, pad: "x".repeat(2048) }),
      });
    }
    for (let i = 0; i < 100; i++) {
      deepStrictEqual(await socket.next(), { type: "refreshed" });
    }
  }
  const after = await server.memory();
  const growth = after.heapUsed - before.heapUsed;
  note(
    `${REFRESHES} refreshes of 2 KiB tokens: heap ${mib(before.heapUsed)} -> ${
      mib(after.heapUsed)
    }`,
  );
  // Each refresh leaves a token, a Request and a timer behind if anything
  // keeps them: 5,000 × over 2 KiB would be over 10 MiB.
  ok(growth < 2 * MiB, `heap grew by ${mib(growth)}`);

  // The refreshed connection still delivers.
  const posted = await fetch(`${origin}/hub/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token()}` },
    body: "still here",
  });
  strictEqual(posted.status, 201);
  const { id } = await posted.json();
  deepStrictEqual(await socket.next(), {
    type: "message",
    topic: "chat",
    id,
    data: "still here",
  });
  await socket.close();
});

Deno.test("oversized tokens are refused before they are decoded and leave nothing behind", async () => {
  await using server = await startFixture("hub_auth", { env: { SECRET } });
  const origin = `http://127.0.0.1:${server.port}`;
  // Over maxTokenBytes in a URL (which the client library keeps short),
  // and far over it in a refresh message.
  const long = token({ pad: "x".repeat(12 * 1024) });
  const huge = token({ pad: "x".repeat(96 * 1024) });
  async function attack(rounds: number): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      const sse = await fetch(`${origin}/hub/chat?access_token=${long}`, {
        headers: { accept: "text/event-stream" },
      });
      strictEqual(sse.status, 401);
      strictEqual(
        sse.headers.get("www-authenticate"),
        'Bearer realm="serverpush", error="invalid_token", error_description="too-large"',
      );
      await sse.body?.cancel();
    }
    for (let i = 0; i < rounds / 4; i++) {
      const socket = openSocket(`${origin}/hub`, [
        "serverpush.v1",
        `access_token.${token()}`,
      ]);
      socket.send({ type: "refresh", token: huge });
      deepStrictEqual(await within(socket.closed, "the close"), {
        code: 1008,
        reason: "Cannot refresh credentials: they are not valid or expired",
      });
    }
  }
  // Warm up, then measure.
  await attack(40);
  const before = await server.memory();
  const ROUNDS = 400;
  await attack(ROUNDS);
  const after = await server.memory();
  const growth = after.heapUsed - before.heapUsed;
  note(
    `${ROUNDS} SSE requests with ${long.length >> 10} KiB tokens and ${
      ROUNDS / 4
    } refreshes with ${huge.length >> 10} KiB ones: heap ${
      mib(before.heapUsed)
    } -> ${mib(after.heapUsed)}`,
  );
  // Were the tokens kept, 400 × 16 KiB + 100 × 128 KiB would be 19 MiB.
  ok(growth < 2 * MiB, `heap grew by ${mib(growth)}`);

  // An honest client is served.
  const poll = await fetch(
    `${origin}/hub/chat?transport=poll&access_token=${token()}`,
  );
  strictEqual(poll.status, 200);
  await poll.body?.cancel();
});
