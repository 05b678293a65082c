// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints why the Bun tests are skipped
// `serve` with a hub handler on the real runtimes: the same fixture runs on
// Deno (from source), Node and Bun (a `deno bundle` output), and real
// clients drive every transport: POST publish, long polling, SSE, a
// one-topic WebSocket and a serverpush.v1 WebSocket (npm `ws`, which offers
// permessage-deflate), TLS, and shutdown.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import WebSocket from "ws";
import {
  bunUnavailable,
  type Runtime,
  type RuntimeServer,
  startRuntime,
} from "./_runtimes.ts";
import { testCertificate } from "../_tls.ts";

const bunMissing = await bunUnavailable();
if (bunMissing !== undefined) {
  console.log(`Bun tests skipped: ${bunMissing}`);
}
const RUNTIMES: Runtime[] = ["deno", "node", "bun"];

/** Publishes `data` to `topic` with a POST; resolves with its id. */
async function publish(
  base: string,
  topic: string,
  data: string,
  client?: Deno.HttpClient,
): Promise<string> {
  const response = await fetch(`${base}/${topic}`, {
    method: "POST",
    body: data,
    ...(client === undefined ? {} : { client }),
  });
  strictEqual(response.status, 201);
  const { id } = await response.json() as { id: string };
  return id;
}

/** Resolves with the first message of `socket` (parsed when JSON). */
function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once("message", (data: unknown) => resolve(String(data)));
    socket.once(
      "close",
      (code: number) => reject(new Error(`closed with ${code}`)),
    );
  });
}

function nextBinary(socket: WebSocket): Promise<Uint8Array> {
  return new Promise((resolve) =>
    socket.once("message", (data: Buffer) => resolve(new Uint8Array(data)))
  );
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
}

function closedWith(socket: WebSocket): Promise<number> {
  return new Promise((resolve) =>
    socket.once("close", (code: number) => resolve(code))
  );
}

async function transports(
  t: Deno.TestContext,
  server: RuntimeServer,
): Promise<void> {
  const base = `http://127.0.0.1:${server.port}`;
  const ws = `ws://127.0.0.1:${server.port}`;

  await t.step("the handler gets the peer's address", async () => {
    const response = await fetch(`${base}/peer`);
    const peer = await response.json() as {
      transport: string;
      hostname: string;
      port: number;
    };
    strictEqual(peer.transport, "tcp");
    strictEqual(peer.hostname, "127.0.0.1");
    ok(Number.isInteger(peer.port) && peer.port > 0, `port ${peer.port}`);
    ok(peer.port !== server.port);
  });

  await t.step("POST publishes and a long poll receives it", async () => {
    const poll = fetch(`${base}/news?transport=longpoll`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = await publish(base, "news", "two");
    const response = await poll;
    strictEqual(response.status, 200);
    const body = await response.json() as {
      messages: { id: string; data: string }[];
    };
    deepStrictEqual(body.messages.map((m) => [m.id, m.data]), [[id, "two"]]);
  });

  await t.step("an SSE stream receives a published message", async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/sse-topic`, {
      headers: { accept: "text/event-stream" },
      signal: controller.signal,
    });
    strictEqual(response.status, 200);
    ok(response.headers.get("content-type")!.startsWith("text/event-stream"));
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    await publish(base, "sse-topic", "three");
    let text = "";
    while (!text.includes("data: three")) {
      const { done, value } = await reader.read();
      ok(!done, `stream ended early: ${text}`);
      text += value;
    }
    await reader.cancel();
  });

  await t.step(
    "a one-topic WebSocket receives a published message",
    async () => {
      const socket = new WebSocket(`${ws}/ws-topic`);
      await opened(socket);
      // Node runs our codec engine and Bun its own: both agree to the
      // permessage-deflate that `ws` offers; Deno's native server never does.
      strictEqual(
        socket.extensions.startsWith("permessage-deflate"),
        server.runtime !== "deno",
        `extensions: ${socket.extensions}`,
      );
      const received = nextMessage(socket);
      await publish(base, "ws-topic", "four ".repeat(500));
      const message = JSON.parse(await received) as { data: string };
      strictEqual(message.data, "four ".repeat(500));
      const closed = closedWith(socket);
      socket.close(1000);
      strictEqual(await closed, 1000);
    },
  );

  await t.step(
    "a serverpush.v1 WebSocket subscribes and publishes",
    async () => {
      const socket = new WebSocket(`${ws}/`, ["serverpush.v1"]);
      await opened(socket);
      strictEqual(socket.protocol, "serverpush.v1");
      let received = nextMessage(socket);
      socket.send(JSON.stringify({ type: "subscribe", topic: "v1" }));
      deepStrictEqual(JSON.parse(await received), {
        type: "subscribed",
        topic: "v1",
      });
      received = nextMessage(socket);
      const id = await publish(base, "v1", "five");
      deepStrictEqual(JSON.parse(await received), {
        type: "message",
        topic: "v1",
        id,
        data: "five",
      });
      socket.close(1000);
      await closedWith(socket);
    },
  );

  await t.step(
    "a request's signal aborts when its client goes away",
    async () => {
      const controller = new AbortController();
      const hanging = fetch(`${base}/hang`, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await rejects(hanging);
      let aborts = "0";
      for (let i = 0; i < 50 && aborts === "0"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        aborts = await (await fetch(`${base}/aborts`)).text();
      }
      strictEqual(aborts, "1");
    },
  );

  await t.step(
    "binary and text messages come back intact, also those held while others arrive",
    async () => {
      const socket = new WebSocket(`${ws}/echo`);
      await opened(socket);
      const echoed: { data: Uint8Array; binary: boolean }[] = [];
      const six = new Promise<void>((resolve, reject) => {
        socket.on("message", (data: Buffer, binary: boolean) => {
          echoed.push({ data: new Uint8Array(data), binary });
          if (echoed.length === 6) resolve();
        });
        socket.once(
          "close",
          (code: number) => reject(new Error(`closed with ${code}`)),
        );
      });
      const sent = [
        new Uint8Array(10).fill(1),
        new Uint8Array(100_000).map((_, i) => i % 251),
        new Uint8Array([3, 4, 5]),
        "text é",
        new Uint8Array(0),
        new Uint8Array(70_000).fill(7),
      ];
      for (const data of sent) socket.send(data);
      await six;
      deepStrictEqual(
        echoed.map(({ data, binary }) =>
          binary ? data : new TextDecoder().decode(data)
        ),
        sent,
      );
      socket.close(1000);
      await closedWith(socket);
    },
  );

  await t.step(
    "forEachMessage echoes in order, waits for a slow handler, and a handler that throws closes with 1011",
    async () => {
      const socket = new WebSocket(`${ws}/each`);
      await opened(socket);
      const echoed: string[] = [];
      const four = new Promise<void>((resolve) => {
        socket.on("message", (data: Buffer, binary: boolean) => {
          echoed.push(binary ? `bytes ${data.length}` : data.toString());
          if (echoed.length === 4) resolve();
        });
      });
      socket.send("a");
      socket.send("slow");
      socket.send(new Uint8Array(70_000));
      socket.send("b");
      await four;
      deepStrictEqual(echoed, ["a", "slow", "bytes 70000", "b"]);
      const closed = closedWith(socket);
      socket.send("throw");
      strictEqual(await closed, 1011);
    },
  );

  await t.step(
    "a message over maxMessageBytes closes with 1009, binary or text",
    async () => {
      const socket = new WebSocket(`${ws}/limited`);
      await opened(socket);
      // At the limit it comes back; one byte over closes.
      const echo = nextBinary(socket);
      socket.send(new Uint8Array(1_000).fill(9));
      deepStrictEqual(await echo, new Uint8Array(1_000).fill(9));
      const closed = closedWith(socket);
      socket.send(new Uint8Array(1_001));
      strictEqual(await closed, 1009);

      // Text counts its UTF-8 bytes: 501 "é" are 1,002.
      const text = new WebSocket(`${ws}/limited`);
      await opened(text);
      const textClosed = closedWith(text);
      text.send("é".repeat(501));
      strictEqual(await textClosed, 1009);
    },
  );

  await t.step(
    "the handler's request is a Request: headers, copies, clones, body",
    async () => {
      const response = await fetch(`${base}/describe?q=1`, {
        method: "POST",
        headers: [["x-multi", "a"], ["X-Multi", "b"]],
        body: "the body",
      });
      deepStrictEqual(await response.json(), {
        isRequest: true,
        tag: "[object Request]",
        method: "POST",
        url: `${base}/describe?q=1`,
        multi: "a, b",
        hasHost: true,
        cloneUrl: `${base}/describe?q=1`,
        cloneMulti: "a, b",
        copyMethod: "POST",
        copyAborted: false,
        body: "the body",
      });
    },
  );

  // Deno's own server aborts the signal once the response is sent (its
  // legacy behaviour), so only Node and Bun say something here.
  if (server.runtime !== "deno") {
    await t.step(
      "an upgrade's request signal aborts when its client goes away",
      async () => {
        const socket = new WebSocket(`${ws}/ws-signal`);
        await opened(socket);
        const closed = closedWith(socket);
        socket.terminate();
        await closed;
        let aborts = "0";
        for (let i = 0; i < 50 && aborts === "0"; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          aborts = await (await fetch(`${base}/ws-aborts`)).text();
        }
        strictEqual(aborts, "1");
      },
    );
  }

  await t.step("a refused upgrade gets its HTTP status", async () => {
    const response = await fetch(`${base}/ws-topic`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-version": "12",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    strictEqual(response.status, 426);
    await response.body?.cancel();
  });

  await t.step(
    "an upgrade whose handler throws or rejects gets a 500, and the server goes on",
    async () => {
      for (const path of ["/throws", "/rejects"]) {
        const response = await fetch(`${base}${path}`, {
          headers: {
            upgrade: "websocket",
            connection: "Upgrade",
            "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          },
        });
        strictEqual(response.status, 500, path);
        await response.body?.cancel();
      }
      const after = await fetch(`${base}/peer`);
      strictEqual(after.status, 200);
      await after.body?.cancel();
    },
  );

  if (server.runtime !== "deno") {
    await t.step(
      "acceptWebSocket on a request serve did not register fails with a TypeError that names serve",
      async () => {
        const response = await fetch(`${base}/bare-accept`);
        const text = await response.text();
        ok(text.startsWith("TypeError: Cannot accept WebSocket"), text);
        ok(text.includes("serve()"), text);
      },
    );
  }

  await t.step("shutdown closes WebSockets with 1001 and exits", async () => {
    const socket = new WebSocket(`${ws}/last`);
    await opened(socket);
    const closed = closedWith(socket);
    const { code, output } = await server.stop();
    strictEqual(await closed, 1001);
    strictEqual(code, 0);
    strictEqual(output.trim(), "shut down");
  });
}

for (const runtime of RUNTIMES) {
  Deno.test({
    name: `serve on ${runtime} serves every transport of a hub handler`,
    ignore: runtime === "bun" && bunMissing !== undefined,
    async fn(t) {
      await using server = await startRuntime(runtime);
      await transports(t, server);
    },
  });
}

for (const runtime of RUNTIMES) {
  Deno.test({
    name: `serve on ${runtime} speaks TLS with cert and key`,
    ignore: runtime === "bun" && bunMissing !== undefined,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "serve_tls_" });
      try {
        const { ca, cert, key } = await testCertificate();
        await Deno.writeTextFile(`${dir}/cert.pem`, cert);
        await Deno.writeTextFile(`${dir}/key.pem`, key);
        await using server = await startRuntime(runtime, {
          SERVE_CERT: `${dir}/cert.pem`,
          SERVE_KEY: `${dir}/key.pem`,
        });
        using client = Deno.createHttpClient({ caCerts: [ca] });
        const base = `https://127.0.0.1:${server.port}`;
        const socket = new WebSocket(`wss://127.0.0.1:${server.port}/secure`, {
          ca,
        });
        await opened(socket);
        const received = nextMessage(socket);
        await publish(base, "secure", "six", client);
        strictEqual(
          (JSON.parse(await received) as { data: string }).data,
          "six",
        );
        socket.close(1000);
        await closedWith(socket);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
