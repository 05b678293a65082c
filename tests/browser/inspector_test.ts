// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of the demo's inspector at /inspector: two
// clients (an EventSource and a WebSocket in another page) appear in its
// connections, a slow reader cut off (a raw socket that never reads while
// large messages are published) appears in its events, and it stays
// readable at phone width. Screenshots go to .out/screenshots/.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { startDemo } from "../../examples/server.ts";
import { neverReads } from "../_raw_socket.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOTS = new URL("../../.out/screenshots/", import.meta.url);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 20_000, polling: 100 } as const;

/** The text of every row of the inspector's table body `id`. */
function rowsOf(id: string): string[] {
  return [...document.querySelectorAll(`#${id} tr`)].map((row) =>
    [...row.children].map((cell) => cell.textContent).join("|")
  );
}

browserTest(
  "createInspector in the demo shows two clients and a slow reader cut off, at desktop and phone width",
  async ({ context, page, pageErrors }) => {
    const demo = startDemo({ port: 0, tickerMs: 60_000 });
    const clients = await context.newPage();
    let slow: Deno.Conn | undefined;
    try {
      // Two clients of the hub, in a page of the demo's origin.
      await clients.goto(`${demo.url}no-such-page`);
      await clients.evaluate(() => {
        const w = globalThis as unknown as Record<string, unknown>;
        w.events = new EventSource("/hub/ticker");
        w.socket = new WebSocket(`ws://${location.host}/hub/dashboard`);
      });

      await page.goto(`${demo.url}inspector`);
      await page.waitForFunction(
        () => {
          const rows = [...document.querySelectorAll("#connection-rows tr")]
            .map((row) => row.textContent ?? "");
          return rows.some((row) => row.startsWith("sse127.0.0.1:")) &&
            rows.some((row) => row.startsWith("websocket127.0.0.1:"));
        },
        undefined,
        WAIT,
      );
      const rows = await page.evaluate(rowsOf, "connection-rows");
      ok(
        rows.some((row) => /^sse\|127\.0\.0\.1:\d+\|–\|ticker\|/.test(row)),
        rows.join("\n"),
      );
      ok(
        rows.some((row) =>
          /^websocket\|127\.0\.0\.1:\d+\|–\|dashboard\|/.test(row)
        ),
        rows.join("\n"),
      );
      const topics = await page.evaluate(rowsOf, "topic-rows");
      ok(topics.some((row) => row.startsWith("ticker|")), topics.join("\n"));

      // A reader that never reads, on a topic of large messages.
      slow = await neverReads(
        demo.port,
        `GET /hub/big HTTP/1.1\r\nHost: 127.0.0.1:${demo.port}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      const subscribed = (): boolean =>
        demo.hub.stats().topics.some((t) => t.topic === "big");
      for (let i = 0; i < 200 && !subscribed(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      ok(subscribed(), "the slow reader subscribed");
      const data = "x".repeat(512 * 1024);
      for (let i = 0; i < 200 && demo.hub.counters.clientsCut.slow === 0; i++) {
        await demo.hub.publish("big", { data });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      strictEqual(demo.hub.counters.clientsCut.slow, 1);
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll("#events li.cut")].some((item) =>
            item.textContent?.includes("sse 127.0.0.1:") ?? false
          ),
        undefined,
        WAIT,
      );
      const cut = await page.locator("#events li.cut").filter({
        hasText: "sse 127.0.0.1:",
      }).first().textContent();
      ok(cut!.includes('reads topic "big" too slowly'), cut!);
      strictEqual(await page.locator("#t-cut").textContent(), "1");

      await Deno.mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({
        path: new URL("inspector-desktop.png", SCREENSHOTS).pathname,
        fullPage: true,
      });
      // Phone width: nothing wider than the screen but the tables, which
      // scroll inside their own box.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - globalThis.innerWidth
      );
      ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      await page.screenshot({
        path: new URL("inspector-phone.png", SCREENSHOTS).pathname,
        fullPage: true,
      });
      deepStrictEqual(pageErrors, []);
    } finally {
      slow?.close();
      await clients.close();
      await demo.shutdown();
    }
  },
);
