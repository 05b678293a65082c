// Copyright 2026 the serverpush authors. MIT license.

// The hub handler's `cors` option: preflights and the headers that let a
// page on another origin read the answers, only for origins that the
// `origins` policy allows. (Chromium uses it for real in
// tests/browser/cors_test.ts.)

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { createHubHandler, type HubHandlerOptions } from "../../serve/mod.ts";

const APP = "https://app.example";

function preflight(
  origin: string,
  method = "POST",
  headers = "idempotency-key, content-type",
): Request {
  return new Request("https://hub.example/news", {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": headers,
    },
  });
}

async function withHandler(
  options: HubHandlerOptions,
  fn: (
    handler: (request: Request) => Promise<Response>,
    hub: Hub,
  ) => Promise<void>,
): Promise<void> {
  const hub = new Hub();
  try {
    await fn(createHubHandler(hub, options), hub);
  } finally {
    await hub.close();
  }
}

Deno.test("cors: a preflight from an allowed origin gets 204 with the methods, headers and max age", async () => {
  await withHandler({ origins: [APP], cors: true }, async (handler) => {
    const response = await handler(preflight(APP));
    strictEqual(response.status, 204);
    strictEqual(response.headers.get("access-control-allow-origin"), APP);
    strictEqual(
      response.headers.get("access-control-allow-credentials"),
      "true",
    );
    strictEqual(
      response.headers.get("access-control-allow-methods"),
      "GET, POST",
    );
    deepStrictEqual(
      response.headers.get("access-control-allow-headers")!.split(", "),
      [
        "authorization",
        "cache-control",
        "content-type",
        "idempotency-key",
        "last-event-id",
        "x-event",
      ],
    );
    strictEqual(response.headers.get("access-control-max-age"), "600");
    strictEqual(response.headers.get("vary"), "Origin");
  });
});

Deno.test("cors: a preflight from an origin the policy refuses gets 403 without CORS headers", async () => {
  await withHandler({ origins: [APP], cors: true }, async (handler) => {
    const response = await handler(preflight("https://evil.example"));
    strictEqual(response.status, 403);
    strictEqual(response.headers.get("access-control-allow-origin"), null);
    await response.body?.cancel();
  });
  // The default policy is same-origin: no foreign page at all.
  await withHandler({ cors: true }, async (handler) => {
    const response = await handler(preflight(APP));
    strictEqual(response.status, 403);
    await response.body?.cancel();
  });
});

Deno.test("cors: a preflight for a method other than GET or POST gets 405", async () => {
  await withHandler({ origins: [APP], cors: true }, async (handler) => {
    const response = await handler(preflight(APP, "DELETE"));
    strictEqual(response.status, 405);
    strictEqual(response.headers.get("allow"), "GET, POST");
    await response.body?.cancel();
  });
});

Deno.test("cors: without the option, OPTIONS gets 405 and answers carry no CORS header", async () => {
  await withHandler(
    { origins: [APP], authorizePublish: () => true },
    async (handler) => {
      const refused = await handler(preflight(APP));
      strictEqual(refused.status, 405);
      await refused.body?.cancel();
      const published = await handler(
        new Request("https://hub.example/news", {
          method: "POST",
          headers: { origin: APP },
          body: "x",
        }),
      );
      strictEqual(published.status, 201);
      strictEqual(published.headers.get("access-control-allow-origin"), null);
      await published.body?.cancel();
    },
  );
});

Deno.test("cors: POST, SSE and polling answers name the allowed origin, with credentials", async () => {
  await withHandler(
    { origins: [APP], cors: true, authorizePublish: () => true },
    async (handler) => {
      const published = await handler(
        new Request("https://hub.example/news", {
          method: "POST",
          headers: { origin: APP, "idempotency-key": "k1" },
          body: "hello",
        }),
      );
      strictEqual(published.status, 201);
      strictEqual(published.headers.get("access-control-allow-origin"), APP);
      const { id } = await published.json();

      const sse = await handler(
        new Request("https://hub.example/news?history=1", {
          headers: { origin: APP, accept: "text/event-stream" },
        }),
      );
      strictEqual(sse.status, 200);
      strictEqual(sse.headers.get("access-control-allow-origin"), APP);
      strictEqual(
        sse.headers.get("access-control-allow-credentials"),
        "true",
      );
      const reader = sse.body!.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while (!text.includes("data: hello")) text += (await reader.read()).value;
      strictEqual(text.includes(`id: ${id}`), true);
      await reader.cancel();

      const polled = await handler(
        new Request("https://hub.example/news?transport=poll&history=1", {
          headers: { origin: APP },
        }),
      );
      strictEqual(polled.status, 200);
      strictEqual(polled.headers.get("access-control-allow-origin"), APP);
      await polled.body?.cancel();
    },
  );
});

Deno.test("cors: a refused POST from a foreign origin still gets 403 and no CORS header", async () => {
  await withHandler(
    { origins: [APP], cors: true, authorizePublish: () => true },
    async (handler, hub) => {
      const response = await handler(
        new Request("https://hub.example/news", {
          method: "POST",
          headers: { origin: "https://evil.example" },
          body: "x",
        }),
      );
      strictEqual(response.status, 403);
      strictEqual(response.headers.get("access-control-allow-origin"), null);
      await response.body?.cancel();
      deepStrictEqual((await hub.history("news")).messages, []);
    },
  );
});

Deno.test('cors: with origins "any", every page may read, without credentials', async () => {
  await withHandler({ origins: "any", cors: true }, async (handler) => {
    const response = await handler(preflight("https://anyone.example", "GET"));
    strictEqual(response.status, 204);
    strictEqual(response.headers.get("access-control-allow-origin"), "*");
    strictEqual(
      response.headers.get("access-control-allow-credentials"),
      null,
    );
  });
});

Deno.test("cors: allowHeaders adds headers; bad settings are refused when the handler is made", async () => {
  await withHandler(
    { origins: [APP], cors: { allowHeaders: ["X-Tenant"], maxAge: 60 } },
    async (handler) => {
      const response = await handler(preflight(APP));
      strictEqual(
        response.headers.get("access-control-allow-headers")!.endsWith(
          ", x-tenant",
        ),
        true,
      );
      strictEqual(response.headers.get("access-control-max-age"), "60");
    },
  );
  const hub = new Hub();
  throws(
    () => createHubHandler(hub, { cors: { maxAge: -1 } }),
    /RangeError: Cannot create hub handler: cors.maxAge is -1/,
  );
  throws(
    () => createHubHandler(hub, { cors: { allowHeaders: ["bad header"] } }),
    /TypeError: Cannot create hub handler: cors.allowHeaders has "bad header"/,
  );
  await hub.close();
});

Deno.test("cors: allowedHosts still applies to preflights", async () => {
  await withHandler(
    { origins: [APP], cors: true, allowedHosts: ["hub.example"] },
    async (handler) => {
      const response = await handler(
        new Request("https://rebound.example/news", {
          method: "OPTIONS",
          headers: {
            origin: APP,
            "access-control-request-method": "GET",
          },
        }),
      );
      strictEqual(response.status, 421);
      await response.body?.cancel();
    },
  );
});
