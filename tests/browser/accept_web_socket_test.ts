// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium against acceptWebSocket (the native engine): a page echoes text
// and binary through our server, and the Origin policy refuses a page from
// another origin unless it is allowed.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import {
  acceptWebSocket,
  type AcceptWebSocketOptions,
  type WsConnection,
} from "../../ws/mod.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const PAGE = "<!doctype html><title>ws test</title><p>ws test</p>";

/**
 * One Deno.serve: `/` is a blank page, `/ws` an echo over acceptWebSocket.
 * Records the status of every `/ws` answer.
 */
function serve(options: AcceptWebSocketOptions = {}): {
  origin: string;
  port: number;
  statuses: number[];
  [Symbol.asyncDispose](): Promise<void>;
} {
  const statuses: number[] = [];
  const connections: WsConnection[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    async (request) => {
      if (new URL(request.url).pathname !== "/ws") {
        return new Response(PAGE, {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }
      const { response, connection } = await acceptWebSocket(request, options);
      statuses.push(response.status);
      if (connection !== undefined) {
        connections.push(connection);
        (async () => {
          for await (const message of connection) {
            if (!await connection.send(message).then(() => true, () => false)) {
              return;
            }
          }
        })();
      }
      return response;
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    statuses,
    async [Symbol.asyncDispose](): Promise<void> {
      await server.shutdown();
      await Promise.all(connections.map((c) => c.closed));
    },
  };
}

/** What the page saw; runs inside Chromium, so it is self-contained. */
interface PageOutcome {
  opened: boolean;
  echoes: (string | number[])[];
  close: { code: number; wasClean: boolean };
}

/** Opens `url`, sends a text and a binary message, reports the echoes. */
function roundTrip(url: string): Promise<PageOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    let opened = false;
    const echoes: (string | number[])[] = [];
    socket.onopen = () => {
      opened = true;
      socket.send("héllo from Chromium");
      socket.send(new Uint8Array([0, 1, 2, 254, 255]).buffer);
    };
    socket.onmessage = (event) => {
      echoes.push(
        typeof event.data === "string"
          ? event.data
          : Array.from(new Uint8Array(event.data)),
      );
      if (echoes.length === 2) socket.close(1000, "done");
    };
    socket.onclose = (event) =>
      resolve({
        opened,
        echoes,
        close: { code: event.code, wasClean: event.wasClean },
      });
  });
}

browserTest(
  "acceptWebSocket echoes text and binary with Chromium's WebSocket",
  async ({ page, pageErrors }) => {
    await using server = serve();
    await page.goto(server.origin);
    const outcome = await page.evaluate(
      roundTrip,
      `ws://127.0.0.1:${server.port}/ws`,
    );
    deepStrictEqual(outcome, {
      opened: true,
      echoes: ["héllo from Chromium", [0, 1, 2, 254, 255]],
      close: { code: 1000, wasClean: true },
    });
    deepStrictEqual(server.statuses, [101]);
    deepStrictEqual(pageErrors, []);
  },
);

browserTest(
  "acceptWebSocket refuses a page from another origin in Chromium by default",
  async ({ page }) => {
    await using target = serve();
    await using other = serve();
    await page.goto(other.origin);
    const outcome = await page.evaluate(
      roundTrip,
      `ws://127.0.0.1:${target.port}/ws`,
    );
    // The browser only reports a failed connection: no open, close 1006.
    deepStrictEqual(outcome, {
      opened: false,
      echoes: [],
      close: { code: 1006, wasClean: false },
    });
    deepStrictEqual(target.statuses, [403]);
  },
);

browserTest(
  "acceptWebSocket accepts a page from another origin in Chromium when origins allows it",
  async ({ page }) => {
    await using other = serve();
    await using target = serve({ origins: [other.origin] });
    await page.goto(other.origin);
    const outcome = await page.evaluate(
      roundTrip,
      `ws://127.0.0.1:${target.port}/ws`,
    );
    strictEqual(outcome.opened, true);
    deepStrictEqual(outcome.echoes, [
      "héllo from Chromium",
      [0, 1, 2, 254, 255],
    ]);
    deepStrictEqual(target.statuses, [101]);
  },
);
