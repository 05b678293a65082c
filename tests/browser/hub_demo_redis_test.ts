// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of two demo processes on one redis-server
// (`REDIS_URL`): each runs the demo feed, but only the holder of a topic's
// lease publishes to it, so a page on either instance gets every quote once,
// and what Redis stores has each step once. When the holder is killed, the
// other instance takes the lease over and the quotes go on.

import { deepStrictEqual, ok } from "node:assert/strict";
import { chromiumSkipReason, launchChromium } from "./_chromium.ts";
import { redisMissing, startRedisServer } from "../hub/_redis_server.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import {
  freePort,
  killDemoProcess,
  startDemoProcess,
} from "./_demo_process.ts";
import type { Page } from "playwright-core";

const skipReason = chromiumSkipReason() ?? redisMissing;
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the two-instance demo test: ${skipReason}`);
}

/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 30_000, polling: 100 } as const;

type DemoGlobal = typeof globalThis & {
  __demo?: {
    hub?: { socket: { state: string; steps: Record<string, number[]> } };
  };
};

function quoteSteps(): number[] {
  return (globalThis as DemoGlobal).__demo?.hub?.socket.steps.quotes ?? [];
}

/** Waits until `page` has shown at least `count` quote snapshots. */
async function waitForQuotes(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      ((globalThis as DemoGlobal).__demo?.hub?.socket.steps.quotes?.length ??
        0) >= wanted,
    count,
    WAIT,
  );
}

/** Each step once, in increasing order. */
function assertOnceEach(steps: number[], where: string): void {
  for (let i = 1; i < steps.length; i++) {
    ok(
      steps[i]! > steps[i - 1]!,
      `${where}: step ${steps[i]} after ${steps[i - 1]} in ${steps.join(",")}`,
    );
  }
}

Deno.test({
  name:
    "two demo processes on one redis-server publish each quote once, and the second takes over when the first is killed",
  ignore: skipReason !== undefined,
  async fn(): Promise<void> {
    // The browser harness, by hand: the Redis server must outlive it.
    await using redis = await startRedisServer();
    await using session = await launchChromium();
    const dir = await Deno.makeTempDir({ prefix: "serverpush_demo_redis_" });
    const where = `Redis at ${redis.url}`;
    const ports = [freePort(), freePort()];
    const children = await Promise.all(
      ports.map((port) =>
        startDemoProcess({ port, dir, env: { REDIS_URL: redis.url }, where })
      ),
    );
    const second = await session.context.newPage();
    const secondErrors: Error[] = [];
    second.on("pageerror", (error) => secondErrors.push(error));
    try {
      const pages = [session.page, second];
      for (const [i, page] of pages.entries()) {
        await page.goto(`http://127.0.0.1:${ports[i]}/hub.html`);
      }
      for (const page of pages) await waitForQuotes(page, 12);
      for (const [i, page] of pages.entries()) {
        assertOnceEach(await page.evaluate(quoteSteps), `page ${i + 1}`);
      }
      // Redis holds each step once too.
      const backend = createRedisBackend({ url: redis.url });
      try {
        const { messages } = await backend.read("quotes", { limit: 10_000 });
        ok(messages.length >= 12, `${messages.length} quotes stored`);
        const steps = messages.map((m) => JSON.parse(String(m.data)).step);
        assertOnceEach(steps, "redis");
      } finally {
        await backend.close();
      }

      // The first instance dies holding or not holding the lease: the
      // second page, on the other instance, goes on getting quotes.
      await killDemoProcess(children[0]!);
      const before = (await second.evaluate(quoteSteps)).length;
      await waitForQuotes(second, before + 6);
      assertOnceEach(
        (await second.evaluate(quoteSteps)).slice(before),
        "after the takeover",
      );
      deepStrictEqual(session.pageErrors, []);
      deepStrictEqual(secondErrors, []);
    } finally {
      await second.close();
      for (const child of children) await killDemoProcess(child);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
