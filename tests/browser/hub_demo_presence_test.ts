// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of the hub chat's "online" list (presence), on
// two demo processes sharing one redis-server: a browser with two tabs on
// the first instance counts once, a second browser on the other instance
// sees it, and it leaves when its last tab closes.

import { deepStrictEqual } from "node:assert/strict";
import { chromiumSkipReason, launchChromium } from "./_chromium.ts";
import { redisMissing, startRedisServer } from "../hub/_redis_server.ts";
import {
  freePort,
  killDemoProcess,
  startDemoProcess,
} from "./_demo_process.ts";
import type { Page } from "playwright-core";

const skipReason = chromiumSkipReason() ?? redisMissing;
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the demo presence test: ${skipReason}`);
}

const WAIT = { timeout: 30_000, polling: 100 } as const;

type DemoGlobal = typeof globalThis & {
  __demo?: { hub?: { chat: { online: Record<string, { name: string }> } } };
};

/** Waits until `page` shows `count` clients online, and returns their names. */
async function waitForOnline(page: Page, count: number): Promise<string[]> {
  await page.waitForFunction(
    (wanted) =>
      Object.keys((globalThis as DemoGlobal).__demo?.hub?.chat.online ?? {})
          .length === wanted &&
      document.querySelectorAll('[data-role="online"] li').length === wanted,
    count,
    WAIT,
  );
  return (await page.evaluate(() =>
    Object.values((globalThis as DemoGlobal).__demo!.hub!.chat.online).map((
      m,
    ) => m.name)
  )).sort();
}

Deno.test({
  name:
    "the hub chat shows who is online across two demo instances on Redis, counting a browser's tabs once",
  ignore: skipReason !== undefined,
  async fn(): Promise<void> {
    await using redis = await startRedisServer();
    await using first = await launchChromium();
    await using second = await launchChromium();
    const dir = await Deno.makeTempDir({ prefix: "serverpush_demo_presence_" });
    const ports = [freePort(), freePort()];
    const children = await Promise.all(
      ports.map((port) =>
        startDemoProcess({
          port,
          dir,
          env: { REDIS_URL: redis.url },
          where: `Redis at ${redis.url}`,
        })
      ),
    );
    try {
      const tab1 = first.page;
      const tab2 = await first.context.newPage();
      await tab1.goto(`http://127.0.0.1:${ports[0]}/hub.html`);
      deepStrictEqual((await waitForOnline(tab1, 1)).length, 1);
      await tab2.goto(`http://127.0.0.1:${ports[0]}/hub.html`);
      await waitForOnline(tab2, 1);
      const other = second.page;
      await other.goto(`http://127.0.0.1:${ports[1]}/hub.html`);
      const names = await waitForOnline(other, 2);
      deepStrictEqual(await waitForOnline(tab1, 2), names);
      // One tab closes: its browser is still online.
      await tab1.close();
      await new Promise((resolve) => setTimeout(resolve, 500));
      deepStrictEqual(await waitForOnline(other, 2), names);
      await tab2.close();
      deepStrictEqual((await waitForOnline(other, 1)).length, 1);
      deepStrictEqual(first.pageErrors, []);
      deepStrictEqual(second.pageErrors, []);
    } finally {
      for (const child of children) await killDemoProcess(child);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
