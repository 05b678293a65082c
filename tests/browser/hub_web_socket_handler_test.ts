// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium against hubWebSocketHandler on the codec engine: the page's own
// `new WebSocket(url, "serverpush.v1")` gets permessage-deflate, subscribes
// and receives a published message.

import { permessageDeflate } from "../../ws/deflate.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { Hub } from "../../hub/mod.ts";
import { hubWebSocketHandler } from "../../serve/mod.ts";
import { serveWebSocket } from "../../ws/mod.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const PAGE = "<!doctype html><title>hub</title><p>hub on the codec engine</p>";

/** What the page saw; runs inside Chromium, so it is self-contained. */
interface PageOutcome {
  extensions: string;
  protocol: string;
  messages: unknown[];
  close: number;
}

/**
 * Opens a serverpush.v1 socket, subscribes to "news", calls the page's
 * `published()` hook once subscribed (the test then publishes), and closes
 * after the first message of the topic.
 */
function subscribeOnce(url: string): Promise<PageOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, "serverpush.v1");
    const messages: unknown[] = [];
    let extensions = "";
    let protocol = "";
    socket.onopen = () => {
      extensions = socket.extensions;
      protocol = socket.protocol;
      socket.send(JSON.stringify({ type: "subscribe", topic: "news" }));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      messages.push(message);
      if (message.type === "subscribed") {
        (globalThis as unknown as { subscribed(): void }).subscribed();
      }
      if (message.type === "message") socket.close(1000);
    };
    socket.onclose = (event) =>
      resolve({ extensions, protocol, messages, close: event.code });
  });
}

browserTest(
  "hubWebSocketHandler on serveWebSocket negotiates permessage-deflate with Chromium and delivers a message",
  async ({ page }) => {
    const hub = new Hub();
    const pages = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen(): void {} },
      () =>
        new Response(PAGE, {
          headers: { "content-type": "text/html; charset=utf-8" },
        }),
    );
    const origin = `http://127.0.0.1:${pages.addr.port}`;
    const server = serveWebSocket(
      {
        deflate: permessageDeflate(),
        protocols: ["serverpush.v1"],
        origins: [origin],
      },
      hubWebSocketHandler(hub, { prefix: "/hub" }),
    );
    try {
      let id = "";
      await page.exposeFunction("subscribed", async () => {
        id = await hub.publish("news", { data: "a".repeat(1000) });
      });
      await page.goto(`${origin}/`);
      const outcome = await page.evaluate(
        subscribeOnce,
        `ws://127.0.0.1:${server.addr.port}/hub/`,
      );
      ok(
        outcome.extensions.includes("permessage-deflate"),
        `extensions: ${outcome.extensions}`,
      );
      deepStrictEqual(outcome, {
        extensions: outcome.extensions,
        protocol: "serverpush.v1",
        messages: [
          { type: "subscribed", topic: "news" },
          { type: "message", topic: "news", id, data: "a".repeat(1000) },
        ],
        close: 1000,
      });
    } finally {
      await server.shutdown();
      await pages.shutdown();
      await hub.close();
    }
  },
);
