// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end tests of the forever-iframe transport: iframeStream
// on the server, examples/public/iframe_transport.js in the page.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { Hub } from "../../hub/mod.ts";
import { hubSource, iframeStream } from "../../polling/mod.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 20_000, polling: 50 } as const;

const TRANSPORT_SCRIPT = new URL(
  "../../examples/public/iframe_transport.js",
  import.meta.url,
);

/** Payloads that try to end the script or the page, or to run code. */
const HOSTILE: readonly string[] = [
  "</script><script>parent.__injected = true; alert(1)</script>",
  "</SCRIPT><img src=x onerror='parent.__injected = true'>",
  "<!--<script>parent.__injected = true</script>-->",
  "<!-- unterminated comment",
  "--> <script>parent.__injected = true</script>",
  "\u2028parent.__injected = true\u2029",
  '"); parent.__injected = true; ("',
  '\\"); parent.__injected = true; //',
  "&lt;script&gt; &amp; &#60;",
  "<![CDATA[ ]]>",
  "emoji 🎉, accents é, CJK 漢字",
  "",
];

const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>iframe transport</title></head>
<body>
<script type="module">
  import { connectIframe } from "/iframe_transport.js";
  globalThis.__injected = false;
  globalThis.__received = [];
  globalThis.__resets = [];
  globalThis.alert = () => { globalThis.__injected = true; };
  globalThis.__connection = connectIframe("/iframe?history=100", {
    onMessage(message) { globalThis.__received.push(message); },
    onReset(reason) { globalThis.__resets.push(reason); },
  });
</script>
</body></html>`;

interface Received {
  id: string;
  event?: string;
  data: string;
}

type PageGlobal = typeof globalThis & {
  __injected: boolean;
  __received: Received[];
  __resets: string[];
};

/** Serves the test page, the transport script and the stream. */
async function startServer(hub: Hub, maxBytes: number): Promise<{
  url: string;
  iframeRequests: () => number;
  shutdown(): Promise<void>;
}> {
  const script = await Deno.readTextFile(TRANSPORT_SCRIPT);
  const source = hubSource(hub, "t");
  const stop = new AbortController();
  let iframeRequests = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === "/") {
        return new Response(PAGE, {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }
      if (pathname === "/iframe_transport.js") {
        return new Response(script, {
          headers: { "content-type": "text/javascript; charset=utf-8" },
        });
      }
      if (pathname === "/iframe") {
        iframeRequests++;
        return iframeStream(request, source, {
          maxBytes,
          signal: stop.signal,
        });
      }
      return new Response("not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    iframeRequests: () => iframeRequests,
    async shutdown(): Promise<void> {
      stop.abort();
      await server.shutdown();
    },
  };
}

browserTest(
  "iframeStream delivers hostile payloads to the parent page exactly, running nothing",
  async ({ page, pageErrors }) => {
    const hub = new Hub();
    const server = await startServer(hub, 131_072);
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      // Half before the page loads (asked for with ?history=), half live.
      const half = HOSTILE.length / 2;
      const ids: string[] = [];
      for (const data of HOSTILE.slice(0, half)) {
        ids.push(await hub.publish("t", { data }));
      }
      await page.goto(server.url);
      await page.waitForFunction(
        (n) => (globalThis as PageGlobal).__received?.length === n,
        half,
        WAIT,
      );
      for (const data of HOSTILE.slice(half)) {
        ids.push(await hub.publish("t", { event: "hostile", data }));
      }
      await page.waitForFunction(
        (n) => (globalThis as PageGlobal).__received.length >= n,
        HOSTILE.length,
        WAIT,
      );
      const received = await page.evaluate(() =>
        (globalThis as PageGlobal).__received
      );
      deepStrictEqual(
        received,
        HOSTILE.map((data, i) =>
          i < half
            ? { id: ids[i], data }
            : { id: ids[i], event: "hostile", data }
        ),
      );
      strictEqual(
        await page.evaluate(() => (globalThis as PageGlobal).__injected),
        false,
      );
      deepStrictEqual(dialogs, []);
      deepStrictEqual(pageErrors.map((e) => e.message), []);

      // A hostile callback never reaches the page: the server answers 400.
      const statuses = await page.evaluate(async (callbacks) => {
        const out = [];
        for (const callback of callbacks) {
          const url = `/iframe?callback=${encodeURIComponent(callback)}`;
          const response = await fetch(url);
          await response.body?.cancel();
          out.push(response.status);
        }
        return out;
      }, ["alert(document.domain)", "a;alert(1)//", "</script>", "x[0]"]);
      deepStrictEqual(statuses, [400, 400, 400, 400]);
    } finally {
      await page.goto("about:blank");
      await server.shutdown();
      await hub.close();
    }
  },
);

browserTest(
  "iframeStream recycles the page after maxBytes and the parent resumes with no loss or repeat",
  async ({ page, pageErrors }) => {
    const hub = new Hub();
    const server = await startServer(hub, 4096);
    try {
      await page.goto(server.url);
      const expected: string[] = [];
      for (let i = 0; i < 60; i++) {
        const data = `message ${i} `.padEnd(300, "~");
        expected.push(data);
        await hub.publish("t", { data });
      }
      await page.waitForFunction(
        (n) => (globalThis as PageGlobal).__received?.length >= n,
        expected.length,
        WAIT,
      );
      const received = await page.evaluate(() =>
        (globalThis as PageGlobal).__received.map((m) => m.data)
      );
      deepStrictEqual(received, expected);
      // 60 messages of about 340 bytes each need several 4 KiB pages.
      strictEqual(server.iframeRequests() >= 4, true);
      deepStrictEqual(pageErrors.map((e) => e.message), []);
    } finally {
      await page.goto("about:blank");
      await server.shutdown();
      await hub.close();
    }
  },
);
