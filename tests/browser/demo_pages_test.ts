// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end tests of the demo's pages as a person uses them:
// several tabs on one browser over HTTP/1.1 (which allows six connections
// per host, shared by every tab), and a phone-width window. Each page is
// also saved as a screenshot at desktop and phone width, under
// `.out/screenshots/` (git-ignored).

import { deepStrictEqual, ok } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { startDemo } from "../../examples/server.ts";
import { createDemoFeed } from "../../examples/demo/feed.ts";
import type { Page } from "playwright-core";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOTS = new URL("../../.out/screenshots/", import.meta.url);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 20_000, polling: 50 } as const;
const PHONE = { width: 390, height: 844 } as const;
const DESKTOP = { width: 1280, height: 900 } as const;

/** The demo's pages, and what shows that each one is live. */
const PAGES: readonly { name: string; path: string; live: () => boolean }[] = [
  {
    name: "index",
    path: "/",
    live: () => {
      const demo = (globalThis as DemoGlobal).__demo;
      return (demo?.sse?.received.length ?? 0) >= 2;
    },
  },
  {
    name: "hub",
    path: "/hub.html",
    live: () =>
      ((globalThis as DemoGlobal).__demo?.hub?.socket.count ?? 0) >= 2,
  },
  {
    name: "transports",
    path: "/transports.html",
    live: () =>
      ((globalThis as DemoGlobal).__demo?.transports?.websocket?.ids
        .length ?? 0) >= 1,
  },
  {
    name: "client",
    path: "/client.html",
    live: () => document.body.textContent!.length > 0,
  },
  {
    name: "inspector",
    path: "/inspector",
    live: () => document.body.textContent!.length > 0,
  },
];

type DemoGlobal = typeof globalThis & {
  __demo?: {
    sse?: { state: string; received: number[] };
    hub?: { socket: { state: string; count: number } };
    transports?: Record<string, { ids: string[] }>;
  };
};

/** Starts a demo with a fast feed, for one test. */
function fastDemo(): {
  demo: ReturnType<typeof startDemo>;
  stop(): Promise<void>;
} {
  const feed = createDemoFeed({ intervalMs: 100 });
  feed.start();
  const demo = startDemo({ port: 0, feed, tickerMs: 200 });
  return {
    demo,
    async stop(): Promise<void> {
      await demo.shutdown();
      feed.stop();
    },
  };
}

/** Counts the requests a page keeps open (not WebSockets). */
function trackOpenRequests(page: Page): () => string[] {
  const open = new Set<string>();
  page.on("request", (request) => open.add(request.url()));
  page.on("requestfinished", (request) => open.delete(request.url()));
  page.on("requestfailed", (request) => open.delete(request.url()));
  return () => [...open];
}

browserTest(
  "the demo's fifth tab loads and receives events with two index and two hub tabs open over HTTP/1.1",
  async ({ context, page, pageErrors }) => {
    const { demo, stop } = fastDemo();
    const tabs: Page[] = [];
    try {
      const open: Record<string, string[]> = {};
      for (const [n, path] of ["/", "/", "/hub.html", "/hub.html"].entries()) {
        const tab = n === 0 ? page : await context.newPage();
        if (n > 0) tabs.push(tab);
        const pending = trackOpenRequests(tab);
        await tab.goto(new URL(path, demo.url).href, WAIT);
        await tab.waitForFunction(
          PAGES.find((p) => p.path === path)!.live,
          undefined,
          WAIT,
        );
        // Let short requests (scripts, the stats fetch) finish.
        await tab.waitForTimeout(300);
        open[`${n}${path}`] = pending().map((url) => new URL(url).pathname);
      }
      // Each page holds at most one long-lived HTTP request (the index
      // page's /sse); the hub page's feed, chat and publishing all go over
      // its one WebSocket.
      deepStrictEqual(open, {
        "0/": ["/sse"],
        "1/": ["/sse"],
        "2/hub.html": [],
        "3/hub.html": [],
      });

      // The fifth tab loads and its feed runs.
      const fifth = await context.newPage();
      tabs.push(fifth);
      const errors: Error[] = [];
      fifth.on("pageerror", (error) => errors.push(error));
      await fifth.goto(demo.url, { timeout: 10_000 });
      await fifth.waitForFunction(
        () => {
          const sse = (globalThis as DemoGlobal).__demo?.sse;
          return sse?.state === "open" && sse.received.length >= 5;
        },
        undefined,
        WAIT,
      );
      const ids = await fifth.evaluate(() =>
        (globalThis as DemoGlobal).__demo!.sse!.received
      );
      deepStrictEqual(
        ids,
        Array.from({ length: ids.length }, (_, i) => ids[0]! + i),
      );
      // And the earlier tabs are still live: the hub tabs go on counting.
      const before = await tabs[1]!.evaluate(() =>
        (globalThis as DemoGlobal).__demo!.hub!.socket.count
      );
      await tabs[1]!.waitForFunction(
        (count) => (globalThis as DemoGlobal).__demo!.hub!.socket.count > count,
        before,
        WAIT,
      );
      deepStrictEqual(errors, []);
      deepStrictEqual(pageErrors, []);
    } finally {
      for (const tab of tabs) await tab.close();
      await stop();
    }
  },
);

browserTest(
  "the demo's pages do not scroll sideways at 390 px and are saved as screenshots at desktop and phone width",
  async ({ page, pageErrors }) => {
    const { demo, stop } = fastDemo();
    try {
      await Deno.mkdir(SCREENSHOTS, { recursive: true });
      const widths: Record<string, number> = {};
      for (
        const [label, viewport] of [["phone", PHONE], [
          "desktop",
          DESKTOP,
        ]] as const
      ) {
        await page.setViewportSize(viewport);
        for (const { name, path, live } of PAGES) {
          await page.goto(new URL(path, demo.url).href, WAIT);
          await page.waitForFunction(live, undefined, WAIT);
          // Let the panels fill in before the picture is taken.
          await page.waitForTimeout(500);
          const width = await page.evaluate(() =>
            document.documentElement.scrollWidth
          );
          if (label === "phone") widths[name] = width;
          else ok(width <= viewport.width, `${name}: ${width} px wide`);
          await page.screenshot({
            path: new URL(`${name}-${label}.png`, SCREENSHOTS).pathname,
            fullPage: true,
          });
        }
      }
      deepStrictEqual(
        Object.entries(widths).filter(([, width]) => width > PHONE.width),
        [],
        `pages wider than ${PHONE.width} px: ${JSON.stringify(widths)}`,
      );
      for (const { name } of PAGES) {
        for (const label of ["phone", "desktop"]) {
          const file = new URL(`${name}-${label}.png`, SCREENSHOTS);
          ok((await Deno.stat(file)).size > 1000, `${file.pathname} saved`);
        }
      }
      deepStrictEqual(pageErrors, []);
    } finally {
      await stop();
    }
  },
);
