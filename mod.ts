// Copyright 2026 the serverpush authors. MIT license.

/**
 * serverpush pushes data from a server to web clients over Server-Sent
 * Events, WebSocket, long and short polling, the forever iframe and raw TCP,
 * from a hub that gives every message an id and resumes any client without
 * loss or duplicate. This root entry re-exports the everyday pieces; each
 * area is also an entry of its own, which is what most code should import:
 *
 * - [`./hub`](https://jsr.io/@serverpush/serverpush/doc/hub): the `Hub`
 *   (topics, ids, a replay window, history) and its backends, in memory by
 *   default; [`./hub/kv`](https://jsr.io/@serverpush/serverpush/doc/hub/kv)
 *   (Deno KV, durable) and
 *   [`./hub/redis`](https://jsr.io/@serverpush/serverpush/doc/hub/redis)
 *   (several instances) are entries of their own.
 * - [`./serve`](https://jsr.io/@serverpush/serverpush/doc/serve):
 *   `createHubHandler` serves a hub over every transport from one
 *   `(request) => Response` handler; `serve` runs a handler on Deno, Node
 *   and Bun; metrics and the inspector.
 * - [`./client`](https://jsr.io/@serverpush/serverpush/doc/client):
 *   `connect`, one client that falls back from WebSocket to SSE to long
 *   polling and resumes after the last id.
 * - [`./sse`](https://jsr.io/@serverpush/serverpush/doc/sse) and
 *   [`./ws`](https://jsr.io/@serverpush/serverpush/doc/ws): the two codecs
 *   and their servers and clients, for code that needs no hub
 *   ([`./ws/deflate`](https://jsr.io/@serverpush/serverpush/doc/ws/deflate)
 *   adds permessage-deflate).
 * - [`./polling`](https://jsr.io/@serverpush/serverpush/doc/polling),
 *   [`./tcp`](https://jsr.io/@serverpush/serverpush/doc/tcp) and
 *   [`./message`](https://jsr.io/@serverpush/serverpush/doc/message): long
 *   and short polling and the forever iframe, the raw TCP relay, and the
 *   message types every transport shares.
 * - [`./auth`](https://jsr.io/@serverpush/serverpush/doc/auth) (JWT) and
 *   [`./cli`](https://jsr.io/@serverpush/serverpush/doc/cli) (the
 *   `serverpush` command) are not re-exported here.
 *
 * @example A hub served over every transport, read back over SSE
 * ```ts
 * import { createHubHandler, Hub } from "@serverpush/serverpush";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, { prefix: "/hub" });
 * const first = await hub.publish("news", { data: "hello" });
 * await hub.publish("news", { data: "world" });
 *
 * // A client that saw "hello" comes back with its id and gets the rest.
 * const response = await handler(
 *   new Request("http://localhost/hub/news", {
 *     headers: { accept: "text/event-stream", "last-event-id": first },
 *   }),
 * );
 * const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
 * let text = "";
 * while (!text.includes("data: world")) text += (await reader.read()).value;
 * strictEqual(text.includes("data: hello"), false);
 * await reader.cancel();
 * await hub.close();
 * ```
 *
 * @module
 */

export * from "./sse/mod.ts";
export * from "./ws/mod.ts";
export * from "./message/mod.ts";
export * from "./hub/mod.ts";
export * from "./polling/mod.ts";
export * from "./tcp/mod.ts";
export * from "./serve/mod.ts";
export * from "./client/mod.ts";
