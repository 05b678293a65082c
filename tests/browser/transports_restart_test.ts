// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of the transports page's forever-iframe lane
// across a real restart: the demo process is KILLED (SIGKILL), which cuts
// the frame's chunked response in the middle, so the frame fires no `load`
// event; the lane must notice that its frame stopped growing, load it again
// with its cursor once the process is back, and go on with every tick the
// hub stored, once each.

import { deepStrictEqual, ok } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { createKvBackend } from "../../hub/kv.ts";
import {
  freePort,
  killDemoProcess,
  startDemoProcess,
} from "./_demo_process.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

/** Generous: the lane takes 12 s of silence for a dead frame. */
const WAIT = { timeout: 60_000, polling: 100 } as const;

interface Lane {
  state: string;
  requests: number;
  rate: number;
  ids: string[];
}

type DemoGlobal = typeof globalThis & {
  __demo?: { transports?: Record<string, Lane> };
};

function readIframeLane(): Lane {
  return (globalThis as DemoGlobal).__demo!.transports!.iframe!;
}

browserTest(
  "the transports page's forever iframe reconnects with its cursor after the server process is killed and started again",
  async ({ page, pageErrors }) => {
    const dir = await Deno.makeTempDir({ prefix: "serverpush_demo_iframe_" });
    const kvPath = `${dir}/demo.sqlite`;
    const port = freePort();
    const start = () =>
      startDemoProcess({
        port,
        dir,
        env: { SERVERPUSH_KV: kvPath },
        where: `Deno KV in ${kvPath}`,
      });
    let child = await start();
    try {
      await page.goto(`http://127.0.0.1:${port}/transports.html`);
      await page.waitForFunction(
        () => {
          const lane = (globalThis as DemoGlobal).__demo?.transports?.iframe;
          return lane?.state === "open" && lane.ids.length >= 2;
        },
        undefined,
        WAIT,
      );
      await killDemoProcess(child);
      const before = await page.evaluate(readIframeLane);
      // Started again on the same port and store: the frame's request died
      // with the old process, with no load event.
      child = await start();
      await page.waitForFunction(
        ({ requests, count }) => {
          const lane = (globalThis as DemoGlobal).__demo!.transports!.iframe!;
          return lane.state === "open" && lane.requests > requests &&
            lane.ids.length >= count + 3;
        },
        { requests: before.requests, count: before.ids.length },
        WAIT,
      );
      const after = await page.evaluate(readIframeLane);
      ok(after.rate >= 2, `requests in the last minute: ${after.rate}`);
      await killDemoProcess(child);

      // What the lane received is what KV holds from its first id on:
      // nothing lost, nothing twice, across the restart.
      const backend = createKvBackend(kvPath);
      try {
        const received = after.ids;
        const { messages } = await backend.read("ticker", {
          since: received[0]!,
          limit: 10_000,
        });
        deepStrictEqual(
          received,
          [received[0]!, ...messages.map((m) => m.id)].slice(
            0,
            received.length,
          ),
          "the lane's ids are the stored ids",
        );
        ok(received.length > before.ids.length);
      } finally {
        await backend.close();
      }
      deepStrictEqual(pageErrors, []);
    } finally {
      await killDemoProcess(child);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
