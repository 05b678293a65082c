// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of the demo's transports page: one hub topic over
// WebSocket, SSE, long polling, short polling and the forever iframe, each
// lane counting the requests it makes.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { startDemo } from "../../examples/server.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOT = new URL(
  "../../.out/screenshots/transports.png",
  import.meta.url,
);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 30_000, polling: 50 } as const;
const LANES = ["websocket", "sse", "longpoll", "poll", "iframe"] as const;

/** One lane as a person sees it. */
interface Lane {
  transport: string;
  state: string;
  messages: number;
  requests: number;
  rate: number;
  /** The tick numbers in the feed, newest first. */
  ticks: number[];
}

function readLanes(): Lane[] {
  return [...document.querySelectorAll<HTMLElement>("[data-transport]")].map(
    (lane) => {
      const text = (role: string): string =>
        lane.querySelector(`[data-role="${role}"]`)!.textContent!;
      return {
        transport: lane.dataset.transport!,
        state: text("state"),
        messages: Number(text("messages")),
        requests: Number(text("requests")),
        rate: Number(text("rate")),
        ticks: [...lane.querySelectorAll('[data-role="feed"] li')].map((li) =>
          Number(/#(\d+) ACME/.exec(li.textContent!)?.[1])
        ),
      };
    },
  );
}

browserTest(
  "startDemo transports page shows the ticker on all five transports and counts their requests in Chromium",
  async ({ page, pageErrors }) => {
    await using demo = startDemo({ port: 0, tickerMs: 250 });
    await page.goto(`${demo.url}transports.html`);

    // Every lane receives ticks.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("[data-transport]")].every((lane) =>
          Number(
            lane.querySelector('[data-role="messages"]')!.textContent,
          ) >= 4
        ),
      undefined,
      WAIT,
    );
    const first = await page.evaluate(readLanes);
    deepStrictEqual(first.map((lane) => lane.transport), [...LANES]);

    // Short polling keeps asking, long polling asks once per batch.
    await page.waitForFunction(
      (before) => {
        const count = (name: string): number =>
          Number(
            document.querySelector(
              `[data-transport="${name}"] [data-role="requests"]`,
            )!.textContent,
          );
        return count("poll") >= before.poll + 3 &&
          count("longpoll") >= before.longpoll + 3;
      },
      {
        poll: first.find((lane) => lane.transport === "poll")!.requests,
        longpoll: first.find((lane) => lane.transport === "longpoll")!
          .requests,
      },
      WAIT,
    );
    const lanes = await page.evaluate(readLanes);
    for (const lane of lanes) {
      strictEqual(lane.state, "open", `${lane.transport} is open`);
      ok(lane.rate >= 1, `${lane.transport} shows a request rate`);
      ok(lane.ticks.length >= 4, `${lane.transport} lists ticks`);
      // Newest first, one after the other: none lost, none repeated.
      deepStrictEqual(
        lane.ticks,
        lane.ticks.map((_, i) => lane.ticks[0]! - i),
        `${lane.transport} lists consecutive ticks`,
      );
    }
    // The streams hold one connection the whole time.
    for (const name of ["websocket", "sse"]) {
      strictEqual(lanes.find((lane) => lane.transport === name)!.requests, 1);
    }
    deepStrictEqual(pageErrors, []);

    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  },
);
