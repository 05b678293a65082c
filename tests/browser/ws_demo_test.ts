// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end tests of the demo's WebSocket panel: the chat between
// two pages, and the canvas image's binary round trip.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { startDemo } from "../../examples/server.ts";
import { createDemoFeed } from "../../examples/demo/feed.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOT = new URL(
  "../../.out/screenshots/ws-demo.png",
  import.meta.url,
);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 20_000, polling: 50 } as const;

/** What the page keeps in `window.__demo`. */
interface ChatRecord {
  state: string;
  online: number;
  messages: { id: number; name: string; text: string }[];
  errors: string[];
}
interface BinaryRecord {
  state: string;
  roundTrips: number;
  lastBytes: number;
  identical: boolean;
}
type DemoGlobal = typeof globalThis & {
  __demo?: { chat?: ChatRecord; binary?: BinaryRecord };
};

function readChat(): ChatRecord {
  return (globalThis as DemoGlobal).__demo!.chat!;
}

function readBinary(): BinaryRecord {
  return (globalThis as DemoGlobal).__demo!.binary!;
}

/** The chat panel as a person sees it. */
function readChatPanel(): { lines: string[]; online: string; state: string } {
  const section = document.getElementById("websocket")!;
  return {
    lines: [...section.querySelectorAll('[data-role="chat-log"] li')].map(
      (li) =>
        `${li.querySelector(".who")!.textContent}: ${
          li.querySelector(".text")!.textContent
        }`,
    ),
    online: section.querySelector('[data-role="online"]')!.textContent!,
    state: section.querySelector('[data-role="state"]')!.textContent!,
  };
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('[data-role="chat-form"] input[name="text"]', text);
  await page.click('[data-role="chat-form"] button[type="submit"]');
}

browserTest(
  "startDemo chat shows each page's messages on the other page in Chromium",
  async ({ context, page, pageErrors }) => {
    const feed = createDemoFeed();
    await using demo = startDemo({ port: 0, feed });
    await page.goto(demo.url);
    const second = await context.newPage();
    await second.goto(demo.url);
    for (const p of [page, second]) {
      await p.waitForFunction(
        () => {
          const chat = (globalThis as DemoGlobal).__demo?.chat;
          return chat?.state === "open" && chat.online === 2;
        },
        undefined,
        WAIT,
      );
    }
    const firstName = await page.inputValue('input[name="name"]');
    const secondName = await second.inputValue('input[name="name"]');

    await say(page, "hello from the first tab");
    await second.waitForFunction(
      () => (globalThis as DemoGlobal).__demo!.chat!.messages.length >= 1,
      undefined,
      WAIT,
    );
    await say(second, "and back from the second");
    for (const p of [page, second]) {
      await p.waitForFunction(
        () => (globalThis as DemoGlobal).__demo!.chat!.messages.length >= 2,
        undefined,
        WAIT,
      );
      const panel = await p.evaluate(readChatPanel);
      deepStrictEqual(panel, {
        lines: [
          `${firstName}: hello from the first tab`,
          `${secondName}: and back from the second`,
        ],
        online: "2",
        state: "open",
      });
    }
    deepStrictEqual(
      (await page.evaluate(readChat)).messages.map((m) => m.id),
      [1, 2],
    );

    // A third page that joins late gets the history first.
    const third = await context.newPage();
    await third.goto(demo.url);
    await third.waitForFunction(
      () => (globalThis as DemoGlobal).__demo?.chat?.messages.length === 2,
      undefined,
      WAIT,
    );
    await page.waitForFunction(
      () => (globalThis as DemoGlobal).__demo!.chat!.online === 3,
      undefined,
      WAIT,
    );
    deepStrictEqual(pageErrors, []);
  },
);

browserTest(
  "startDemo chat shows the server's refusal of an over-long message in Chromium",
  async ({ page }) => {
    await using demo = startDemo({ port: 0, feed: createDemoFeed() });
    await page.goto(demo.url);
    await page.waitForFunction(
      () => (globalThis as DemoGlobal).__demo?.chat?.state === "open",
      undefined,
      WAIT,
    );
    // Bypass the input's maxlength, as a hand-written client could.
    await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>(
        '[data-role="chat-form"] input[name="text"]',
      )!;
      input.removeAttribute("maxlength");
    });
    await say(page, "x".repeat(281));
    await page.waitForFunction(
      () => (globalThis as DemoGlobal).__demo!.chat!.errors.length === 1,
      undefined,
      WAIT,
    );
    const chat = await page.evaluate(readChat);
    deepStrictEqual(chat.errors, [
      "Cannot post message: it is longer than 280 characters",
    ]);
    strictEqual(chat.state, "open");
    strictEqual(
      await page.textContent('[data-role="chat-error"]'),
      "Cannot post message: it is longer than 280 characters",
    );
    strictEqual(demo.chat.history.length, 0);
  },
);

browserTest(
  "startDemo binary panel shows the canvas image back after its round trip in Chromium",
  async ({ page, pageErrors }) => {
    await using demo = startDemo({ port: 0, feed: createDemoFeed() });
    await page.goto(demo.url);
    await page.waitForFunction(
      () => ((globalThis as DemoGlobal).__demo?.binary?.roundTrips ?? 0) >= 1,
      undefined,
      WAIT,
    );
    await page.click('[data-role="draw"]');
    await page.waitForFunction(
      () => (globalThis as DemoGlobal).__demo!.binary!.roundTrips >= 2,
      undefined,
      WAIT,
    );
    const binary = await page.evaluate(readBinary);
    strictEqual(binary.identical, true);
    ok(binary.lastBytes > 1000, `${binary.lastBytes} bytes`);
    // The echoed bytes decode as the same PNG the canvas drew.
    const pixels = await page.evaluate(async () => {
      const section = document.getElementById("websocket")!;
      const img = section.querySelector<HTMLImageElement>(
        '[data-role="echo"]',
      )!;
      await img.decode();
      const canvas = section.querySelector<HTMLCanvasElement>(
        '[data-role="source"]',
      )!;
      const copy = document.createElement("canvas");
      copy.width = canvas.width;
      copy.height = canvas.height;
      copy.getContext("2d")!.drawImage(img, 0, 0);
      const a = canvas.getContext("2d")!.getImageData(0, 0, 240, 160).data;
      const b = copy.getContext("2d")!.getImageData(0, 0, 240, 160).data;
      let same = 0;
      for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
      return { width: img.naturalWidth, same, total: a.length };
    });
    strictEqual(pixels.width, 240);
    strictEqual(pixels.same, pixels.total);
    ok(
      (await page.textContent('[data-role="binary-stats"]'))!.includes(
        "identical",
      ),
    );
    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
    deepStrictEqual(pageErrors, []);
  },
);
