// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium against serveWebSocket (the codec engine): the page's own
// WebSocket negotiates permessage-deflate with and without context takeover
// and echoes compressed and small messages; the Origin policy refuses the
// page (served from another port, so another origin) unless it is allowed.

import { permessageDeflate } from "../../ws/deflate.ts";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import {
  serveWebSocket,
  type ServeWebSocketOptions,
  type WsConnection,
} from "../../ws/mod.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const PAGE = "<!doctype html><title>codec engine</title><p>codec engine</p>";

/** A page server and a codec-engine echo server on another port. */
function servers(options: (pageOrigin: string) => ServeWebSocketOptions): {
  pageUrl: string;
  wsUrl: string;
  connections: WsConnection[];
  [Symbol.asyncDispose](): Promise<void>;
} {
  const page = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    () =>
      new Response(PAGE, {
        headers: { "content-type": "text/html; charset=utf-8" },
      }),
  );
  const pageOrigin = `http://127.0.0.1:${page.addr.port}`;
  const connections: WsConnection[] = [];
  const ws = serveWebSocket(options(pageOrigin), async (connection) => {
    connections.push(connection);
    for await (const message of connection) {
      if (!await connection.send(message).then(() => true, () => false)) {
        return;
      }
    }
  });
  return {
    pageUrl: `${pageOrigin}/`,
    wsUrl: `ws://127.0.0.1:${ws.addr.port}/`,
    connections,
    async [Symbol.asyncDispose](): Promise<void> {
      await ws.shutdown();
      await page.shutdown();
    },
  };
}

/** What the page saw; runs inside Chromium, so it is self-contained. */
interface PageOutcome {
  opened: boolean;
  extensions: string;
  echoes: (string | number)[];
  close: { code: number; wasClean: boolean };
}

/**
 * Opens `url`, sends a large text (compressed), a small text (below the
 * threshold) and a large binary message twice each, and closes.
 */
function roundTrip(url: string): Promise<PageOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    const big = "the same words again and again; ".repeat(2000);
    const sent: (string | Uint8Array)[] = [];
    for (let i = 0; i < 2; i++) {
      sent.push(big, "small", new Uint8Array(50_000).fill(i + 1));
    }
    const echoes: (string | number)[] = [];
    let opened = false;
    let extensions = "";
    socket.onopen = () => {
      opened = true;
      extensions = socket.extensions;
      for (const message of sent) socket.send(message);
    };
    socket.onmessage = (event) => {
      const data = event.data;
      if (typeof data === "string") {
        echoes.push(data === big ? "big" : data);
      } else {
        const bytes = new Uint8Array(data as ArrayBuffer);
        // The sum identifies the binary message and proves it intact.
        echoes.push(bytes.reduce((sum, byte) => sum + byte, 0));
      }
      if (echoes.length === sent.length) socket.close(1000);
    };
    socket.onclose = (event) =>
      resolve({
        opened,
        extensions,
        echoes,
        close: { code: event.code, wasClean: event.wasClean },
      });
  });
}

const EXPECTED_ECHOES = ["big", "small", 50_000, "big", "small", 100_000];

browserTest(
  "serveWebSocket negotiates permessage-deflate with context takeover with Chromium",
  async ({ page }) => {
    await using s = servers((origin) => ({
      origins: [origin],
      deflate: permessageDeflate(),
    }));
    await page.goto(s.pageUrl);
    const outcome = await page.evaluate(roundTrip, s.wsUrl);
    deepStrictEqual(outcome, {
      opened: true,
      extensions: "permessage-deflate",
      echoes: EXPECTED_ECHOES,
      close: { code: 1000, wasClean: true },
    });
    strictEqual(
      s.connections[0]?.extensions,
      "permessage-deflate",
    );
  },
);

browserTest(
  "serveWebSocket negotiates permessage-deflate without context takeover with Chromium",
  async ({ page }) => {
    await using s = servers((origin) => ({
      origins: [origin],
      deflate: permessageDeflate({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
      }),
    }));
    await page.goto(s.pageUrl);
    const outcome = await page.evaluate(roundTrip, s.wsUrl);
    strictEqual(outcome.opened, true);
    ok(
      outcome.extensions.includes("server_no_context_takeover") &&
        outcome.extensions.includes("client_no_context_takeover"),
      outcome.extensions,
    );
    deepStrictEqual(outcome.echoes, EXPECTED_ECHOES);
    deepStrictEqual(outcome.close, { code: 1000, wasClean: true });
  },
);

browserTest(
  "serveWebSocket refuses a page from another origin by default",
  async ({ page }) => {
    await using s = servers(() => ({}));
    await page.goto(s.pageUrl);
    const outcome = await page.evaluate(roundTrip, s.wsUrl);
    strictEqual(outcome.opened, false);
    strictEqual(outcome.close.code, 1006);
    strictEqual(s.connections.length, 0);
  },
);
