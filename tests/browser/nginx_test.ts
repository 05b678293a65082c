// Copyright 2026 the serverpush authors. MIT license.

/// <reference lib="dom" />

// The demo behind Debian's nginx, configured as docs/deploying.md says (the
// test runs the doc's block): the demo is a real process on 127.0.0.1 with
// its hub on a Deno KV file, nginx runs on loopback with TLS (a throwaway
// self-signed certificate) and HTTP/2, and Chromium talks to nginx only.
// One page opens eight EventSource streams (more than HTTP/1.1's six per
// host) and a serverpush.v1 WebSocket, long-polls, and then lives through
// a restart of nginx and a SIGTERM and restart of the demo: every stream
// resumes with no event lost or repeated.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { chromiumSkipReason, launchChromium } from "./_chromium.ts";
import { startDemoProcess } from "./_demo_process.ts";
import {
  docConfig,
  freePort,
  makeCertificate,
  type Nginx,
  nginxConfig,
  nginxSkipReason,
  startNginx,
} from "./_nginx.ts";
import type { Page } from "playwright-core";

const skipReason = chromiumSkipReason() ?? nginxSkipReason();
if (skipReason !== undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the nginx test: ${skipReason}`);
}

/** Generous: a wait only fails the test if the page is really stuck. */
const WAIT = { timeout: 30_000, polling: 50 } as const;
const STREAMS = 8;

/** What the page keeps in `window.__nginx`. */
interface PageRecord {
  streams: { ids: string[]; errors: number }[];
  socket: {
    protocol: string;
    extensions: string;
    subscribed: boolean;
    ids: string[];
    closes: number[];
  };
}

type PageGlobal = typeof globalThis & { __nginx?: PageRecord };

/** The demo with its hub on a Deno KV file in `dir`, behind `publicHost`. */
function startDemo(
  port: number,
  dir: string,
  publicHost: string,
): Promise<Deno.ChildProcess> {
  const kvPath = `${dir}/demo.sqlite`;
  return startDemoProcess({
    port,
    dir,
    env: { SERVERPUSH_KV: kvPath, ALLOWED_HOSTS: publicHost },
    where: `Deno KV in ${kvPath}`,
  });
}

/** Opens the streams and the socket; self-contained, as `evaluate` needs. */
function openStreams(count: number): void {
  const record: PageRecord = {
    streams: [],
    socket: {
      protocol: "",
      extensions: "",
      subscribed: false,
      ids: [],
      closes: [],
    },
  };
  (globalThis as PageGlobal).__nginx = record;
  for (let i = 0; i < count; i++) {
    const entry = { ids: [] as string[], errors: 0 };
    record.streams.push(entry);
    // EventSource retries by itself after a dropped stream, but gives up
    // for good on an error status (nginx's 502 while the app restarts):
    // then open a new one from the last id, as the serverpush client does.
    const open = (): void => {
      const last = entry.ids.at(-1);
      const source = new EventSource(
        last === undefined
          ? "/hub/quotes"
          : `/hub/quotes?lastEventId=${encodeURIComponent(last)}`,
      );
      source.addEventListener("quote", (event) => {
        entry.ids.push((event as MessageEvent).lastEventId);
      });
      source.addEventListener("error", () => {
        entry.errors++;
        if (source.readyState === EventSource.CLOSED) setTimeout(open, 500);
      });
    };
    open();
  }
  const socketRecord = record.socket;
  let since: string | undefined;
  function connect(): void {
    const socket = new WebSocket(
      `wss://${location.host}/hub/`,
      "serverpush.v1",
    );
    socket.addEventListener("open", () => {
      socketRecord.protocol = socket.protocol;
      socketRecord.extensions = socket.extensions;
      socket.send(JSON.stringify({
        type: "subscribe",
        topic: "dashboard",
        ...(since === undefined ? {} : { since }),
      }));
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data as string);
      if (message.type === "subscribed") socketRecord.subscribed = true;
      if (message.type === "message") {
        since = message.id;
        socketRecord.ids.push(message.id);
      }
      if (message.type === "reset" || message.type === "error") {
        socketRecord.ids.push(`${message.type}: ${event.data}`);
      }
    });
    socket.addEventListener("close", (event) => {
      socketRecord.closes.push(event.code);
      setTimeout(connect, 500);
    });
  }
  connect();
}

function readRecord(): PageRecord {
  return (globalThis as PageGlobal).__nginx!;
}

/** Waits until every stream and the socket received `more` more events. */
async function waitForMore(page: Page, more: number): Promise<void> {
  const before = await page.evaluate(readRecord);
  await page.waitForFunction(
    ([counts, socketCount, more]) => {
      const record = (globalThis as PageGlobal).__nginx!;
      return record.streams.every((stream, i) =>
        stream.ids.length >= counts[i]! + more
      ) && record.socket.ids.length >= socketCount + more;
    },
    [
      before.streams.map((stream) => stream.ids.length),
      before.socket.ids.length,
      more,
    ] as const,
    WAIT,
  );
}

/** Asserts that `ids` are one topic's consecutive ids, none repeated. */
function assertConsecutive(ids: readonly string[], what: string): void {
  ok(ids.length > 0, `${what}: no events`);
  const numbers = ids.map((id) => Number(id.split("-")[1]));
  const first = numbers[0]!;
  deepStrictEqual(
    numbers,
    numbers.map((_, i) => first + i),
    `${what}: events lost or repeated: ${ids.join(" ")}`,
  );
}

Deno.test({
  name:
    "nginx from docs/deploying.md carries SSE over HTTP/2, serverpush.v1 WebSockets and long polls, and the page resumes after nginx and the demo restart",
  ignore: skipReason !== undefined,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir({ prefix: "serverpush-nginx-" });
    const { cert, key } = await makeCertificate(dir);
    const demoPort = freePort();
    const proxyPort = freePort();
    const origin = `https://localhost:${proxyPort}`;
    const config = nginxConfig(await docConfig(), {
      upstreamPort: demoPort,
      listenPort: proxyPort,
      cert,
      key,
      dir,
    });
    let demo: Deno.ChildProcess | undefined;
    let nginx: Nginx | undefined;
    const session = await launchChromium({
      args: ["--ignore-certificate-errors"],
    });
    const insecure = Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(cert)],
    });
    try {
      demo = await startDemo(demoPort, dir, `localhost:${proxyPort}`);
      nginx = await startNginx(config, dir, proxyPort);
      const { page } = session;

      // The health check, through the proxy, over HTTP/2.
      const health = await page.goto(`${origin}/healthz`);
      strictEqual(health?.status(), 200);
      strictEqual(await health?.text(), "ok\n");
      strictEqual(
        await page.evaluate(() =>
          (performance.getEntriesByType(
            "navigation",
          )[0] as PerformanceNavigationTiming).nextHopProtocol
        ),
        "h2",
      );

      // Eight SSE streams from one page, and a serverpush.v1 WebSocket.
      await page.evaluate(openStreams, STREAMS);
      await waitForMore(page, 3);
      const opened = await page.evaluate(readRecord);
      strictEqual(opened.streams.length, STREAMS);
      strictEqual(opened.socket.protocol, "serverpush.v1");
      ok(opened.socket.subscribed);
      // Whatever compression the app negotiates reaches the browser: the
      // hub's handler (the Deno engine) negotiates none, so neither may
      // the proxy; Chromium offers permessage-deflate.
      strictEqual(opened.socket.extensions, "");

      // Long polling: an envelope with a cursor, then the next messages.
      const first = await page.evaluate(async () => {
        const response = await fetch("/hub/quotes?transport=longpoll");
        return { status: response.status, body: await response.json() };
      });
      strictEqual(first.status, 200);
      ok(typeof first.body.cursor === "string", JSON.stringify(first.body));
      const next = await page.evaluate(async (cursor) => {
        const response = await fetch(
          `/hub/quotes?transport=longpoll&cursor=${cursor}`,
        );
        return { status: response.status, body: await response.json() };
      }, first.body.cursor as string);
      strictEqual(next.status, 200);
      ok(next.body.messages.length > 0, JSON.stringify(next.body));
      strictEqual(next.body.reset, undefined);

      // The inspector and the metrics stay off the public side.
      for (const path of ["/inspector", "/metrics"]) {
        const response = await fetch(`${origin}${path}`, {
          client: insecure,
        });
        await response.body?.cancel();
        strictEqual(response.status, 404, path);
      }

      // nginx restarts: every stream reconnects through it and resumes.
      await nginx.stop();
      await page.waitForFunction(
        () =>
          (globalThis as PageGlobal).__nginx!.streams.every((stream) =>
            stream.errors >= 1
          ),
        undefined,
        WAIT,
      );
      nginx = await startNginx(config, dir, proxyPort);
      await waitForMore(page, 3);

      // The demo stops on SIGTERM: the WebSocket is closed with 1001 through
      // the proxy, the process exits with 0, the health check fails.
      demo.kill("SIGTERM");
      const status = await demo.status;
      strictEqual(status.code, 0);
      demo = undefined;
      await page.waitForFunction(
        () => (globalThis as PageGlobal).__nginx!.socket.closes.length >= 2,
        undefined,
        WAIT,
      );
      const stopped = await page.evaluate(readRecord);
      // The first close was nginx's restart (1006), the second the demo's.
      strictEqual(stopped.socket.closes[1], 1001);
      const down = await fetch(`${origin}/healthz`, { client: insecure });
      await down.body?.cancel();
      strictEqual(down.status, 502);

      // Each stream's retry got the 502 too (dropped stream, then the 502),
      // so the page reopens them from their last ids.
      await page.waitForFunction(
        () =>
          (globalThis as PageGlobal).__nginx!.streams.every((stream) =>
            stream.errors >= 3
          ),
        undefined,
        WAIT,
      );

      // A new demo process on the same KV file: the page resumes.
      demo = await startDemo(demoPort, dir, `localhost:${proxyPort}`);
      await waitForMore(page, 3);
      const record = await page.evaluate(readRecord);
      record.streams.forEach((stream, i) => {
        ok(stream.errors >= 3, `stream ${i} did not see both restarts`);
        assertConsecutive(stream.ids, `stream ${i}`);
      });
      assertConsecutive(record.socket.ids, "WebSocket");
      deepStrictEqual(session.pageErrors, []);
    } finally {
      insecure.close();
      await session.close();
      await nginx?.stop();
      if (demo !== undefined) {
        try {
          demo.kill("SIGTERM");
        } catch {
          // It exited already.
        }
        await demo.status;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
