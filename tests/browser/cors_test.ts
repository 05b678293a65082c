// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// A page on one origin uses a hub on another (two loopback ports) through
// the hub handler's `cors` option: the prebuilt client's `connect` reads a
// topic over WebSocket, SSE and long polling and publishes with `send()`
// (a POST with an Idempotency-Key, so the browser sends a preflight), and
// the browser's own EventSource reads with credentials. Without `cors`,
// Chromium blocks the same publish.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { browserTest } from "./_chromium.ts";
import { DIST_CLIENT, ROOT } from "../_bundle.ts";
import { Hub } from "../../hub/mod.ts";
import { createHubHandler, type HubHandlerOptions } from "../../serve/mod.ts";

const CLIENT = await Deno.readTextFile(`${ROOT}${DIST_CLIENT}`);
const PAGE = `<!doctype html><meta charset="utf-8"><title>cors</title>`;

/** A page origin (serving the page and the client) and a hub origin. */
async function withOrigins(
  options: (pageOrigin: string) => HubHandlerOptions,
  fn: (pageUrl: string, hubUrl: string, hub: Hub) => Promise<void>,
): Promise<void> {
  const pages = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname === "/client.js"
        ? new Response(CLIENT, {
          headers: { "content-type": "text/javascript" },
        })
        : new Response(PAGE, { headers: { "content-type": "text/html" } }),
  );
  const pageOrigin = `http://127.0.0.1:${pages.addr.port}`;
  const hub = new Hub();
  const handler = createHubHandler(hub, {
    prefix: "/hub",
    ...options(pageOrigin),
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => handler(request),
  );
  try {
    await fn(`${pageOrigin}/`, `http://127.0.0.1:${server.addr.port}/hub`, hub);
  } finally {
    await hub.close();
    await server.shutdown();
    await pages.shutdown();
  }
}

/** The hub lets the page's origin in, with CORS, and lets it publish. */
const withCors = (pageOrigin: string): HubHandlerOptions => ({
  origins: [pageOrigin],
  cors: true,
  authorizePublish: () => true,
});

for (const transport of ["websocket", "sse", "longpoll"] as const) {
  browserTest(
    `cors: connect over ${transport} reads and publishes to a hub on another origin`,
    async ({ page }) => {
      await withOrigins(
        withCors,
        async (pageUrl, hubUrl, hub) => {
          await page.goto(pageUrl);
          const result = await page.evaluate(
            async ({ hubUrl, transport }) => {
              const { connect } = await import("/client.js");
              const errors: string[] = [];
              const client = connect(`${hubUrl}/news`, {
                transports: [transport],
                firstByteTimeout: 10_000,
                onError: (error: Error) => errors.push(String(error)),
              });
              const got: string[] = [];
              const iterator = client[Symbol.asyncIterator]();
              // The first send may come before the stream is open: ask again
              // until one arrives (each with its own idempotency key).
              const reading = iterator.next();
              let first: IteratorResult<{ kind: string; data?: unknown }>;
              for (let tries = 0;; tries++) {
                if (tries === 40) {
                  client.close();
                  return { got, errors };
                }
                await client.send("hello");
                const winner = await Promise.race([
                  reading,
                  new Promise<undefined>((r) => setTimeout(r, 500)),
                ]);
                if (winner !== undefined) {
                  first = winner;
                  break;
                }
              }
              got.push(String(first.value.data));
              client.close();
              return { got, errors };
            },
            { hubUrl, transport },
          );
          deepStrictEqual(result, { got: ["hello"], errors: [] });
          const { messages } = await hub.history("news");
          strictEqual(messages.length >= 1, true);
        },
      );
    },
  );
}

browserTest(
  "cors: EventSource with credentials and a fetch POST from another origin",
  async ({ page }) => {
    await withOrigins(
      withCors,
      async (pageUrl, hubUrl) => {
        await page.goto(pageUrl);
        const data = await page.evaluate(async (hubUrl) => {
          const published = await fetch(`${hubUrl}/news`, {
            method: "POST",
            credentials: "include",
            headers: { "idempotency-key": "k-1", "content-type": "text/plain" },
            body: "from another origin",
          });
          if (published.status !== 201) return `POST ${published.status}`;
          const source = new EventSource(`${hubUrl}/news?history=1`, {
            withCredentials: true,
          });
          return await new Promise<string>((resolve) => {
            source.onmessage = (event) => {
              source.close();
              resolve(event.data);
            };
            source.onerror = () => {
              source.close();
              resolve("error");
            };
          });
        }, hubUrl);
        strictEqual(data, "from another origin");
      },
    );
  },
);

browserTest(
  "cors: without the option, Chromium blocks a cross-origin publish with Idempotency-Key",
  async ({ page }) => {
    await withOrigins(
      (pageOrigin) => ({ origins: [pageOrigin], authorizePublish: () => true }),
      async (pageUrl, hubUrl, hub) => {
        await page.goto(pageUrl);
        const outcome = await page.evaluate(async (hubUrl) => {
          try {
            await fetch(`${hubUrl}/news`, {
              method: "POST",
              headers: { "idempotency-key": "k-2" },
              body: "blocked",
            });
            return "sent";
          } catch (error) {
            return (error as Error).name;
          }
        }, hubUrl);
        strictEqual(outcome, "TypeError");
        deepStrictEqual((await hub.history("news")).messages, []);
      },
    );
  },
);
