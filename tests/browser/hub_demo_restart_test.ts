// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// Chromium end-to-end test of the demo as `deno task example` runs it: a
// real server process whose hub is on a Deno KV file. Two pages receive
// events and chat: the hub page (the feed's topics over serverpush.v1, the
// hub's chat over SSE) and the index page (the `/sse` feed and the
// `/ws/chat` room). The process is KILLED (SIGKILL, no shutdown) and started
// again on the same port and file, and both pages resume: every message
// stored in KV reaches the hub page once, in order, with no reset; the
// index page's feed ids go on with none missing or repeated, and its chat
// keeps its history.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { browserTest, chromiumSkipReason } from "./_chromium.ts";
import { createKvBackend } from "../../hub/kv.ts";
import type { Page } from "playwright-core";
import { freePort, startDemoProcess } from "./_demo_process.ts";

const skipReason = chromiumSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping browser tests: ${skipReason}`);
}

const SCREENSHOT = new URL(
  "../../.out/screenshots/hub-demo-restart.png",
  import.meta.url,
);
/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 30_000, polling: 50 } as const;

/** What the page keeps in `window.__demo.hub`. */
interface HubRecord {
  socket: {
    state: string;
    reconnects: number;
    count: number;
    ids: Record<string, string[]>;
    resets: string[];
  };
  chat: {
    state: string;
    reconnects: number;
    messages: { id: string; name: string; text: string }[];
    errors: string[];
    resets: string[];
  };
}

/** What the index page keeps in `window.__demo`: the feed and the chat. */
interface IndexRecord {
  sse: { state: string; reconnects: number; received: number[] };
  chat: {
    state: string;
    reconnects: number;
    messages: { id: number; name: string; text: string }[];
  };
}

type DemoGlobal = typeof globalThis & {
  __demo?: { hub?: HubRecord } & Partial<IndexRecord>;
};

/** Reads the page's record; self-contained, as `page.evaluate` needs. */
function readRecord(): HubRecord {
  return (globalThis as DemoGlobal).__demo!.hub!;
}

/** Reads the index page's record; self-contained too. */
function readIndex(): IndexRecord {
  const demo = (globalThis as DemoGlobal).__demo!;
  return { sse: demo.sse!, chat: demo.chat! };
}

/** Posts on the index page's `/ws/chat` and waits until it is shown. */
async function post(page: Page, text: string): Promise<void> {
  await page.fill('[data-role="chat-form"] input[name="name"]', "Ada");
  await page.fill('[data-role="chat-form"] input[name="text"]', text);
  await page.click('[data-role="chat-form"] button[type="submit"]');
  await page.waitForFunction(
    (wanted) =>
      (globalThis as DemoGlobal).__demo!.chat!.messages.some((m) =>
        m.text === wanted
      ),
    text,
    WAIT,
  );
}

/** The demo process on `port`, its hub in the KV file `kvPath`. */
function startDemo(
  port: number,
  kvPath: string,
  dir: string,
): Promise<Deno.ChildProcess> {
  return startDemoProcess({
    port,
    dir,
    env: { SERVERPUSH_KV: kvPath },
    where: `Deno KV in ${kvPath}`,
  });
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#hub-chat input[name="text"]', text);
  await page.click('#hub-chat button[type="submit"]');
  await page.waitForFunction(
    (wanted) =>
      (globalThis as DemoGlobal).__demo!.hub!.chat.messages.some((m) =>
        m.text === wanted
      ),
    text,
    WAIT,
  );
}

browserTest(
  "the demo's pages resume the feeds and the chats with nothing lost after the server process is killed and started again",
  async ({ context, page, pageErrors }) => {
    const dir = await Deno.makeTempDir({ prefix: "serverpush_demo_kv_" });
    const kvPath = `${dir}/demo.sqlite`;
    const port = freePort();
    let child = await startDemo(port, kvPath, dir);
    const index = await context.newPage();
    const indexErrors: Error[] = [];
    index.on("pageerror", (error) => indexErrors.push(error));
    try {
      await index.goto(`http://127.0.0.1:${port}/`);
      await index.waitForFunction(
        () => {
          const demo = (globalThis as DemoGlobal).__demo;
          return demo?.sse?.state === "open" && demo.chat?.state === "open" &&
            demo.sse.received.length >= 4;
        },
        undefined,
        WAIT,
      );
      await post(index, "index before the restart");
      await page.goto(`http://127.0.0.1:${port}/hub.html`);
      await page.waitForFunction(
        () => {
          const hub = (globalThis as DemoGlobal).__demo?.hub;
          return hub?.socket.state === "open" && hub.chat.state === "open" &&
            hub.socket.count >= 6;
        },
        undefined,
        WAIT,
      );
      await page.fill('#hub-chat input[name="name"]', "Ada");
      await say(page, "before the restart");

      // Killed: no graceful shutdown, whatever was in flight is cut.
      child.kill("SIGKILL");
      await child.status;
      const before = await page.evaluate(readRecord);
      const indexBefore = await index.evaluate(readIndex);
      await page.waitForFunction(
        () => (globalThis as DemoGlobal).__demo!.hub!.socket.state !== "open",
        undefined,
        WAIT,
      );

      child = await startDemo(port, kvPath, dir);
      await page.waitForFunction(
        (count) => {
          const hub = (globalThis as DemoGlobal).__demo!.hub!;
          return hub.socket.state === "open" && hub.socket.reconnects >= 1 &&
            hub.chat.state === "open" && hub.chat.reconnects >= 1 &&
            hub.socket.count >= count + 6;
        },
        before.socket.count,
        WAIT,
      );
      await say(page, "after the restart");
      const after = await page.evaluate(readRecord);
      // The index page: its EventSource and its chat socket come back.
      await index.waitForFunction(
        (count) => {
          const demo = (globalThis as DemoGlobal).__demo!;
          return demo.sse!.state === "open" && demo.sse!.reconnects >= 1 &&
            demo.chat!.state === "open" && demo.chat!.reconnects >= 1 &&
            demo.sse!.received.length >= count + 4;
        },
        indexBefore.sse.received.length,
        WAIT,
      );
      await post(index, "index after the restart");
      const indexAfter = await index.evaluate(readIndex);
      child.kill("SIGTERM");
      await child.status;

      // What the page received is exactly what KV holds, from the first id
      // it saw: nothing lost, nothing twice, no id going backwards.
      const backend = createKvBackend(kvPath);
      try {
        for (const topic of ["quotes", "dashboard"]) {
          const received = after.socket.ids[topic]!;
          ok(received.length > 3, `${topic}: ${received.length} messages`);
          const { messages } = await backend.read(topic, {
            since: received[0]!,
            limit: 10_000,
          });
          strictEqual(messages.length + 1 >= received.length, true);
          deepStrictEqual(
            received,
            [received[0]!, ...messages.map((m) => m.id)].slice(
              0,
              received.length,
            ),
            `${topic}: the page's ids are the stored ids`,
          );
          for (let i = 1; i < received.length; i++) {
            ok(backend.compare(received[i - 1]!, received[i]!) < 0);
          }
          // The page went on after the restart, past what it had before.
          ok(received.length > before.socket.ids[topic]!.length);
        }
        const chat = await backend.read("chat", { limit: 100 });
        deepStrictEqual(
          after.chat.messages.map((m) => [m.id, m.name, m.text]),
          chat.messages.map((m) => {
            const { name, text } = JSON.parse(String(m.data));
            return [m.id, name, text];
          }),
        );
        deepStrictEqual(
          after.chat.messages.map((m) => m.text),
          ["before the restart", "after the restart"],
        );
      } finally {
        await backend.close();
      }
      // The feed's ids: every number from the first one received to the
      // last, once each, in order, across the restart.
      const ids = indexAfter.sse.received;
      deepStrictEqual(
        ids,
        Array.from({ length: ids.length }, (_, i) => ids[0]! + i),
      );
      ok(ids.length > indexBefore.sse.received.length);
      // The chat's history survived: the rejoin shows both posts, with
      // ids that go on.
      deepStrictEqual(
        indexAfter.chat.messages.map((m) => [m.id, m.name, m.text]).slice(-2),
        [
          [
            indexAfter.chat.messages.at(-2)!.id,
            "Ada",
            "index before the restart",
          ],
          [
            indexAfter.chat.messages.at(-2)!.id + 1,
            "Ada",
            "index after the restart",
          ],
        ],
      );
      deepStrictEqual(indexErrors, []);
      deepStrictEqual(after.socket.resets, []);
      deepStrictEqual(after.chat.resets, []);
      deepStrictEqual(after.chat.errors, []);
      await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
      deepStrictEqual(pageErrors, []);
    } finally {
      await index.close();
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
);
