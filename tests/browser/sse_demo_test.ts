// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end tests of the demo's SSE panel: the browser's own
// EventSource against examples/server.ts, including a server restart in the
// middle of the stream.

import {
  deepStrictEqual,
  notDeepStrictEqual,
  ok,
  strictEqual,
} from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { startDemo } from "../../examples/server.ts";
import { createDemoFeed } from "../../examples/demo/feed.ts";
import { quoteSnapshot } from "../../examples/demo/quotes.ts";
import { telemetrySnapshot } from "../../examples/demo/telemetry.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOT = new URL(
  "../../.out/screenshots/sse-demo.png",
  import.meta.url,
);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 20_000, polling: 50 } as const;

/** What the page keeps in `window.__demo.sse`. */
interface PageRecord {
  state: string;
  reconnects: number;
  lastId: string;
  count: number;
  received: number[];
}

/** The page's global scope, as seen by scripts passed to `page.evaluate`. */
type DemoGlobal = typeof globalThis & { __demo?: { sse: PageRecord } };

/** Reads the page's record; self-contained, as `page.evaluate` needs. */
function readRecord(): PageRecord {
  return (globalThis as DemoGlobal).__demo!.sse;
}

const PRICE = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/**
 * Reads the whole SSE panel in one synchronous script, so the view is
 * consistent; self-contained, as `page.evaluate` needs.
 */
function readPanel(): {
  state: string | undefined;
  stateText: string;
  lastIdText: string;
  lastId: string;
  rows: {
    symbol: string | undefined;
    step: number;
    price: string;
    change: string;
  }[];
  telemetryStep: number;
  temperature: string;
  voltage: string;
  leds: { power: boolean; link: boolean; alarm: boolean };
} {
  const section = document.getElementById("sse")!;
  const conn = section.querySelector<HTMLElement>('[data-role="conn"]')!;
  const dash = section.querySelector<HTMLElement>('[data-role="dashboard"]')!;
  const text = (selector: string): string =>
    section.querySelector(selector)!.textContent!.trim();
  const lit = (role: string): boolean =>
    section.querySelector(`[data-role="${role}"]`)!.classList.contains("on");
  return {
    state: conn.dataset.state,
    stateText: text('[data-role="state"]'),
    lastIdText: text('[data-role="last-id"]'),
    lastId: (globalThis as DemoGlobal).__demo!.sse.lastId,
    rows: [...section.querySelectorAll<HTMLElement>('[data-role="quotes"] tr')]
      .map((tr) => ({
        symbol: tr.dataset.symbol,
        step: Number(tr.dataset.step),
        price: tr.querySelector(".price")!.textContent!,
        change: tr.querySelector(".change")!.textContent!,
      })),
    telemetryStep: Number(dash.dataset.step),
    temperature: text('[data-role="temperature"] [data-role="value"]'),
    voltage: text('[data-role="voltage"] [data-role="value"]'),
    leds: {
      power: lit("led-power"),
      link: lit("led-link"),
      alarm: lit("led-alarm"),
    },
  };
}

/** Asserts that the rows and gauges show exactly the snapshots of the steps they claim. */
function assertPanelMatchesFeed(view: ReturnType<typeof readPanel>): void {
  const step = view.rows[0]!.step;
  deepStrictEqual(
    view.rows,
    quoteSnapshot(step).quotes.map((q) => ({
      symbol: q.symbol,
      step,
      price: PRICE.format(q.price),
      change: `${q.change > 0 ? "+" : ""}${PRICE.format(q.change)}`,
    })),
  );
  const telemetry = telemetrySnapshot(view.telemetryStep);
  strictEqual(view.temperature, telemetry.temperature.toFixed(1));
  strictEqual(view.voltage, telemetry.voltage.toFixed(2));
  deepStrictEqual(view.leds, telemetry.leds);
}

function assertConsecutive(ids: readonly number[]): void {
  ok(ids.length > 0, "no event received");
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] !== ids[i - 1]! + 1) {
      throw new Error(
        `Cannot accept event ids: #${ids[i]} follows #${
          ids[i - 1]
        } at index ${i}, ` +
          `ids ${JSON.stringify(ids.slice(Math.max(0, i - 5), i + 5))}`,
      );
    }
  }
}

browserTest(
  "startDemo page shows live quotes, telemetry and an open EventSource in Chromium",
  async ({ page, pageErrors }) => {
    const feed = createDemoFeed({ intervalMs: 100 });
    feed.start();
    const demo = startDemo({ port: 0, feed, retryMs: 200 });
    try {
      await page.goto(demo.url);
      await page.waitForFunction(
        () => ((globalThis as DemoGlobal).__demo?.sse.count ?? 0) >= 4,
        undefined,
        WAIT,
      );
      const first = await page.evaluate(readPanel);
      strictEqual(first.state, "open");
      strictEqual(first.stateText, "open");
      strictEqual(first.lastIdText, first.lastId);

      assertPanelMatchesFeed(first);

      // Later, the same panel shows later steps: the ticker moves.
      const firstStep = first.rows[0]!.step;
      await page.waitForFunction(
        (step) =>
          Number(
            document.querySelector<HTMLElement>('[data-role="quotes"] tr')
              ?.dataset.step,
          ) >= step + 3,
        firstStep,
        WAIT,
      );
      const later = await page.evaluate(readPanel);
      ok(later.rows[0]!.step > firstStep);
      notDeepStrictEqual(
        later.rows.map((row) => row.price),
        first.rows.map((row) => row.price),
      );
      ok(later.telemetryStep > first.telemetryStep);
      assertPanelMatchesFeed(later);
      deepStrictEqual(pageErrors, []);
    } finally {
      await demo.shutdown();
      feed.stop();
    }
  },
);

browserTest(
  "startDemo page resumes after a server restart with every event exactly once",
  async ({ page, pageErrors }) => {
    const feed = createDemoFeed({ intervalMs: 100 });
    feed.start();
    let demo = startDemo({ port: 0, feed, retryMs: 200 });
    try {
      await page.goto(demo.url);
      await page.waitForFunction(
        () => ((globalThis as DemoGlobal).__demo?.sse.count ?? 0) >= 6,
        undefined,
        WAIT,
      );

      // Stop the server mid-stream; the feed (the publisher) keeps going.
      await demo.shutdown();
      await page.waitForFunction(
        () => (globalThis as DemoGlobal).__demo?.sse.state === "reconnecting",
        undefined,
        WAIT,
      );
      const before = (await page.evaluate(readRecord)).received;
      const lastBefore = before.at(-1)!;
      // Make sure the browser misses some events while the server is down.
      await feed.waitFor(feed.lastId + 5);
      const missedUpTo = feed.lastId;
      ok(missedUpTo >= lastBefore + 5);

      demo = startDemo({ port: demo.port, feed, retryMs: 200 });
      await page.waitForFunction(
        (target) => {
          const sse = (globalThis as DemoGlobal).__demo!.sse;
          return sse.state === "open" && sse.lastId !== "" &&
            Number(sse.lastId) >= target;
        },
        missedUpTo + 4,
        WAIT,
      );
      const after = await page.evaluate(readRecord);

      // Every id from the first one received to the last, once each, in
      // order: the missed ones came from the replay, without duplicates.
      assertConsecutive(after.received);
      ok(after.received.includes(lastBefore + 1));
      ok(after.received.includes(missedUpTo));
      const reconnectsText = await page.textContent(
        '#sse [data-role="reconnects"]',
      );
      strictEqual(reconnectsText, String(after.reconnects));

      // The server saw the page's first visit without Last-Event-ID, and a
      // reconnection with the id of the last event it had received.
      deepStrictEqual(
        feed.connections.map((c) => [c.transport, c.lastEventIdHeader]),
        [["sse", undefined], ["sse", String(lastBefore)]],
      );
      strictEqual(after.reconnects, 1);

      await page.locator("#sse details").evaluate((d) => {
        (d as HTMLDetailsElement).open = true;
      });
      await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
      deepStrictEqual(pageErrors, []);
    } finally {
      await demo.shutdown();
      feed.stop();
    }
  },
);
