// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium loads the browser entries (./client, ./sse, ./message, ./ws),
// each bundled with `deno bundle --platform browser`, in one page and runs
// the client scenario against a hub under Deno.serve, and against the same
// hub under `serve` on Node and on Bun (tests/serve/fixtures/
// scenario_fixture.ts, which also serves the page): connect over every
// transport,
// SseClient, connectWebSocket (the browser's own WebSocket) on a topic and
// speaking serverpush.v1 with a publish. And the demo page loads the
// prebuilt dist/client.js with one script tag and reads a topic with
// connect over each streaming transport.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { bundle } from "../_bundle.ts";
import {
  assertScenario,
  type ScenarioTarget,
  startScenarioServer,
} from "../_hub_server.ts";
import type { ScenarioResult } from "../_client_scenario.ts";
import {
  bunUnavailable,
  type Runtime,
  startRuntime,
} from "../serve/_runtimes.ts";
import type { Page } from "playwright-core";
import { startDemo } from "../../examples/server.ts";
import { createDemoFeed } from "../../examples/demo/feed.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}
const bunMissing = skipReason === undefined
  ? await bunUnavailable()
  : undefined;
if (bunMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the browser entries test on Bun: ${bunMissing}`);
}

/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 30_000, polling: 50 } as const;

/** The bundles the page loads, by URL path. */
const BUNDLES: Readonly<Record<string, string>> = {
  "/entries/client.js": "client/mod.ts",
  "/entries/sse.js": "sse/mod.ts",
  "/entries/message.js": "message/mod.ts",
  "/entries/ws.js": "ws/mod.ts",
  "/entries/scenario.js": "tests/_client_scenario.ts",
};

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>entries</title>
<script type="module">
  import * as client from "/entries/client.js";
  import * as sse from "/entries/sse.js";
  import * as message from "/entries/message.js";
  import * as ws from "/entries/ws.js";
  import { runClientScenario } from "/entries/scenario.js";

  const since = new URLSearchParams(location.search).get("since");
  globalThis.__entries = {
    exports: {
      client: Object.keys(client).sort(),
      sse: Object.keys(sse).sort(),
      message: Object.keys(message).sort(),
      ws: Object.keys(ws).sort(),
    },
  };
  runClientScenario(location.origin + "/", since, { client, sse, message, ws })
    .then(
      (result) => { globalThis.__entries.result = result; },
      (error) => { globalThis.__entries.error = String(error?.stack ?? error); },
    );
</script>`;

interface EntriesRecord {
  exports: Record<string, string[]>;
  result?: ScenarioResult;
  error?: string;
}

type EntriesGlobal = typeof globalThis & { __entries?: EntriesRecord };

/** Bundles the entries into `dir`; returns the file of each URL path. */
async function bundleEntries(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [path, entry] of Object.entries(BUNDLES)) {
    const file = `${dir}/${path.slice(path.lastIndexOf("/") + 1)}`;
    await bundle(entry, file, { platform: "browser" });
    files.set(path, file);
  }
  return files;
}

/** Serves the page at `/` and the bundles in `files`. */
function pageHandler(
  files: Map<string, string>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/") {
      return new Response(PAGE, {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    const file = files.get(path);
    return file === undefined
      ? new Response("Not Found", { status: 404 })
      : new Response(await Deno.readFile(file), {
        headers: { "content-type": "text/javascript; charset=utf-8" },
      });
  };
}

/**
 * Opens the page at `base` (which also serves the hub), waits for the
 * scenario and asserts what it saw.
 */
async function runPage(
  page: Page,
  pageErrors: readonly Error[],
  base: string,
  server: ScenarioTarget,
): Promise<void> {
  await page.goto(`${base}?since=${server.since}`);
  await page.waitForFunction(
    () => {
      const record = (globalThis as EntriesGlobal).__entries;
      return record?.result !== undefined || record?.error !== undefined;
    },
    undefined,
    WAIT,
  );
  const record = await page.evaluate(() =>
    (globalThis as EntriesGlobal).__entries!
  );
  strictEqual(record.error, undefined, record.error);
  for (const name of ["client", "sse", "message", "ws"]) {
    const entry = await import(`../../${BUNDLES[`/entries/${name}.js`]}`);
    deepStrictEqual(
      record.exports[name],
      Object.keys(entry).sort(),
      `exports of ./${name}`,
    );
  }
  await assertScenario(record.result!, server, false);
  deepStrictEqual(pageErrors, []);
}

browserTest(
  "the bundled ./client, ./sse, ./message and ./ws entries load in Chromium and talk to a hub",
  async ({ page, pageErrors }) => {
    const tmp = await Deno.makeTempDir({ prefix: "browser_entries_" });
    try {
      await using server = await startScenarioServer(
        pageHandler(await bundleEntries(tmp)),
      );
      await runPage(page, pageErrors, server.base, server);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

const SCENARIO_FIXTURE = new URL(
  "../serve/fixtures/scenario_fixture.ts",
  import.meta.url,
);

for (const runtime of ["node", "bun"] satisfies Runtime[]) {
  browserTest(
    `the bundled entries in Chromium talk to a hub under serve() on ${runtime}`,
    async ({ page, pageErrors }) => {
      const tmp = await Deno.makeTempDir({ prefix: "browser_entries_" });
      // The page and the bundles, which the fixture fetches from here so
      // that the page and the hub share the fixture's origin.
      await using files = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen(): void {} },
        pageHandler(await bundleEntries(tmp)),
      );
      try {
        await using server = await startRuntime(runtime, {
          SCENARIO_FILES: `http://127.0.0.1:${files.addr.port}/`,
        }, SCENARIO_FIXTURE);
        const base = `http://127.0.0.1:${server.port}/`;
        const ids = await (await fetch(`${base}scenario`)).json() as {
          since: string;
          firstId: string;
        };
        await runPage(page, pageErrors, base, {
          ...ids,
          history: async (topic) =>
            await (await fetch(
              `${base}scenario/history?topic=${encodeURIComponent(topic)}`,
            )).json(),
        });
        const { code, output } = await server.stop();
        strictEqual(code, 0, output);
        strictEqual(output, "shut down\n");
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    },
    { ignore: runtime === "bun" && bunMissing !== undefined },
  );
}

interface ClientRecord {
  topic: string;
  transport: string | null;
  count: number;
  last: { id: string; data: string } | null;
  errors: string[];
}

type DemoGlobal = typeof globalThis & { __demo?: { client?: ClientRecord } };

browserTest(
  "startDemo client page loads /client.js with one script tag and reads a topic with connect",
  async ({ page, pageErrors }) => {
    const feed = createDemoFeed({ intervalMs: 100 });
    feed.start();
    const demo = startDemo({ port: 0, feed, tickerMs: 60_000 });
    try {
      const script = await (await fetch(`${demo.url}client.js`)).text();
      strictEqual(
        script,
        await Deno.readTextFile(
          new URL("../../dist/client.js", import.meta.url),
        ),
      );
      for (const transport of ["websocket", "sse", "longpoll"]) {
        await page.goto(`${demo.url}client.html?transports=${transport}`);
        await page.waitForFunction(
          () => ((globalThis as DemoGlobal).__demo?.client?.count ?? 0) >= 2,
          undefined,
          WAIT,
        );
        const record = await page.evaluate(() =>
          (globalThis as DemoGlobal).__demo!.client!
        );
        strictEqual(record.transport, transport);
        strictEqual(record.topic, "quotes");
        ok(record.last !== null && record.last.id.length > 0);
        ok(
          await page.locator("#log li").count() >= 2,
          "the messages are shown",
        );
        deepStrictEqual(record.errors, []);
      }
      deepStrictEqual(pageErrors, []);
    } finally {
      await demo.shutdown();
      feed.stop();
    }
  },
);
