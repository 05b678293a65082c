// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Token auth in Chromium: the auth entry, bundled for the browser, verifies
// an EdDSA token against a JWKS in the page's own WebCrypto and refuses
// algorithm confusion and `alg: none`; the page's own WebSocket carries a
// token in the subprotocol to a hub guarded by authorizeWithJwt, refreshes
// it, and an EventSource carries one in ?access_token=.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { Hub } from "../../hub/mod.ts";
import { authorizeWithJwt } from "../../auth/mod.ts";
import { createHubHandler } from "../../serve/mod.ts";
import { generateKeys, inSeconds, part, signJwt } from "../auth/_sign.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const PAGE = "<!doctype html><title>auth</title><p>token auth</p>";

/** The auth entry as one browser script, made by `deno bundle`. */
async function bundleAuth(): Promise<string> {
  const entry = fromFileUrl(new URL("../../auth/mod.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform", "browser", entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) {
    throw new Error(new TextDecoder().decode(output.stderr));
  }
  return new TextDecoder().decode(output.stdout);
}

interface VerifyOutcome {
  sub: unknown;
  confusion: string;
  none: string;
}

/** Runs in Chromium: verifies three tokens with the bundled entry. */
async function verifyInPage(
  input: { jwks: unknown; good: string; forged: string; unsigned: string },
): Promise<VerifyOutcome> {
  const auth = await import("/auth.js" as string);
  const keys = { jwks: input.jwks };
  const options = { audience: "push" };
  const claims = await auth.verifyJwt(input.good, keys, options);
  const reason = (token: string) =>
    auth.verifyJwt(token, keys, options).then(
      () => "accepted",
      (error: { name: string; reason: string }) =>
        `${error.name}:${error.reason}`,
    );
  return {
    sub: claims.sub,
    confusion: await reason(input.forged),
    none: await reason(input.unsigned),
  };
}

interface PushOutcome {
  protocol: string;
  messages: unknown[];
  event: string;
}

/**
 * Runs in Chromium: a serverpush.v1 WebSocket with the token in a
 * subprotocol subscribes to "chat", refreshes its token, and waits for
 * one message; an EventSource with ?access_token= waits for one event. The
 * page calls `ready()` once both are subscribed; the test then publishes.
 */
function pushInPage(
  input: { first: string; second: string },
): Promise<PushOutcome> {
  return new Promise((resolve) => {
    const ready = (globalThis as unknown as { ready(): void }).ready;
    const socket = new WebSocket(`ws://${location.host}/hub`, [
      "serverpush.v1",
      `access_token.${input.first}`,
    ]);
    const messages: unknown[] = [];
    let subscribed = 0;
    let event = "";
    const settle = () => {
      if (event !== "" && messages.length === 3) {
        socket.close(1000);
        resolve({ protocol: socket.protocol, messages, event });
      }
    };
    const source = new EventSource(`/hub/chat?access_token=${input.first}`);
    source.onopen = () => {
      if (++subscribed === 2) ready();
    };
    source.onmessage = (message) => {
      event = message.data;
      source.close();
      settle();
    };
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "subscribe", topic: "chat" }));
    };
    socket.onmessage = (message) => {
      const value = JSON.parse(message.data as string);
      messages.push(value);
      if (value.type === "subscribed") {
        socket.send(JSON.stringify({ type: "refresh", token: input.second }));
      }
      if (value.type === "refreshed" && ++subscribed === 2) ready();
      settle();
    };
  });
}

browserTest(
  "auth verifies an EdDSA token in Chromium's WebCrypto and guards a hub for its WebSocket and EventSource",
  async ({ page, pageErrors }) => {
    const keys = generateKeys("EdDSA", "browser");
    const claims = {
      aud: "push",
      exp: inSeconds(600),
      sub: "ada",
      serverpush: { subscribe: ["chat"] },
    };
    const good = signJwt("EdDSA", keys.privateKey, {
      alg: "EdDSA",
      kid: "browser",
    }, claims);
    const jwks = { keys: [keys.jwk] };
    const hub = new Hub();
    const stop = new AbortController();
    const hubHandler = createHubHandler(hub, {
      prefix: "/hub",
      signal: stop.signal,
      ...authorizeWithJwt({ jwks, audience: "push" }),
    });
    const script = await bundleAuth();
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen(): void {} },
      (request) => {
        const { pathname } = new URL(request.url);
        if (pathname === "/auth.js") {
          return new Response(script, {
            headers: { "content-type": "text/javascript; charset=utf-8" },
          });
        }
        if (pathname.startsWith("/hub")) return hubHandler(request);
        return new Response(PAGE, {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      },
    );
    try {
      await page.goto(`http://127.0.0.1:${server.addr.port}/`);
      const verified = await page.evaluate(verifyInPage, {
        jwks,
        good,
        forged: signJwt("HS256", keys.pem, {
          alg: "HS256",
          kid: "browser",
        }, claims),
        unsigned: `${part({ alg: "none" })}.${part(claims)}.`,
      });
      deepStrictEqual(verified, {
        sub: "ada",
        confusion: "JwtError:alg-mismatch",
        none: "JwtError:unsupported-alg",
      });

      let id = "";
      await page.exposeFunction("ready", async () => {
        id = await hub.publish("chat", { data: "to the browser" });
      });
      const second = signJwt("EdDSA", keys.privateKey, {
        alg: "EdDSA",
        kid: "browser",
      }, { ...claims, exp: inSeconds(3600) });
      const pushed = await page.evaluate(pushInPage, { first: good, second });
      deepStrictEqual(pushed, {
        protocol: "serverpush.v1",
        messages: [
          { type: "subscribed", topic: "chat" },
          { type: "refreshed" },
          { type: "message", topic: "chat", id, data: "to the browser" },
        ],
        event: "to the browser",
      });
      strictEqual(pageErrors.length, 0, String(pageErrors));
    } finally {
      stop.abort();
      await server.shutdown();
      await hub.close();
    }
  },
);
