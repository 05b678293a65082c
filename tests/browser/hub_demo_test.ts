// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of the demo's hub page: a chat message published
// over a serverpush.v1 WebSocket in one page appears in another page, read
// from that page's own WebSocket; the same WebSocket carries the feed's
// topics and the page shows the hub's stats.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { startDemo } from "../../examples/server.ts";
import { createDemoFeed } from "../../examples/demo/feed.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOT = new URL(
  "../../.out/screenshots/hub-demo.png",
  import.meta.url,
);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 20_000, polling: 50 } as const;

/** What the page keeps in `window.__demo.hub`. */
interface HubRecord {
  socket: { state: string; count: number; subscribed: string[] };
  chat: {
    state: string;
    messages: { id: string; name: string; text: string }[];
    errors: string[];
  };
  stats: {
    subscribers: number;
    topics: { topic: string; subscribers: number }[];
  } | null;
}

type DemoGlobal = typeof globalThis & { __demo?: { hub?: HubRecord } };

/** Reads the page's record; self-contained, as `page.evaluate` needs. */
function readRecord(): HubRecord {
  return (globalThis as DemoGlobal).__demo!.hub!;
}

browserTest(
  "startDemo hub page shows a chat message published over WebSocket in another page",
  async ({ context, page, pageErrors }) => {
    const feed = createDemoFeed({ intervalMs: 100 });
    feed.start();
    const demo = startDemo({ port: 0, feed, tickerMs: 60_000 });
    const reader = await context.newPage();
    const readerErrors: Error[] = [];
    reader.on("pageerror", (error) => readerErrors.push(error));
    try {
      const ready = (): boolean => {
        const hub = (globalThis as DemoGlobal).__demo?.hub;
        return hub?.socket.state === "open" && hub.chat.state === "open";
      };
      await page.goto(`${demo.url}hub.html`);
      await reader.goto(`${demo.url}hub.html`);
      await page.waitForFunction(ready, undefined, WAIT);
      await reader.waitForFunction(ready, undefined, WAIT);

      // The writer publishes over its WebSocket.
      await page.fill('#hub-chat input[name="name"]', "Ada");
      await page.fill('#hub-chat input[name="text"]', "hello over the hub");
      await page.click('#hub-chat button[type="submit"]');

      // The reader shows it, from the chat topic on its WebSocket.
      await reader.waitForFunction(
        () =>
          (globalThis as DemoGlobal).__demo!.hub!.chat.messages.some((m) =>
            m.text === "hello over the hub"
          ),
        undefined,
        WAIT,
      );
      const shown = await reader.locator("#hub-chat [data-role=chat-log] li")
        .last().textContent();
      strictEqual(shown, "Adahello over the hub");
      const record = await reader.evaluate(readRecord);
      const message = record.chat.messages.at(-1)!;
      deepStrictEqual([message.name, message.text], [
        "Ada",
        "hello over the hub",
      ]);
      // The id is the hub's: the message is in the topic's history.
      const { messages } = await demo.hub.history("chat");
      strictEqual(messages.at(-1)!.id, message.id);
      deepStrictEqual(record.chat.errors, []);

      // The same WebSocket carries the feed's topics: quotes are shown.
      await reader.waitForFunction(
        () => (globalThis as DemoGlobal).__demo!.hub!.socket.count >= 4,
        undefined,
        WAIT,
      );
      deepStrictEqual(
        (await reader.evaluate(readRecord)).socket.subscribed.sort(),
        ["chat", "dashboard", "quotes"],
      );
      ok(
        await reader.locator("#hub-ws [data-role=quotes] tr").count() > 0,
        "quotes are rendered",
      );

      // The stats panel counts both pages on the chat topic.
      await reader.waitForFunction(
        () =>
          (globalThis as DemoGlobal).__demo!.hub!.stats?.topics.some((t) =>
            t.topic === "chat" && t.subscribers >= 2
          ) ?? false,
        undefined,
        WAIT,
      );
      const row = await reader.locator(
        '#hub-chat [data-role=stats-topics] tr[data-topic="chat"]',
      ).textContent();
      ok(row!.startsWith("chat2"), row!);

      await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
      await reader.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
      deepStrictEqual(pageErrors, []);
      deepStrictEqual(readerErrors, []);
    } finally {
      await reader.close();
      await demo.shutdown();
      feed.stop();
    }
  },
);
