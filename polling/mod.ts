// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Polling transports: short polling, long polling and the forever iframe,
 * and a `fetch`-based polling client.
 *
 * The server side takes a `Request` and a {@linkcode PollingSource} (a hub
 * topic, through {@linkcode hubSource}) and returns a `Response`, so it runs
 * on any server that speaks web `Request` / `Response`:
 *
 * - {@linkcode poll} answers at once with what came after the client's
 *   cursor, as a JSON {@linkcode PollingEnvelope};
 * - {@linkcode longPoll} answers the same way, but holds the request until a
 *   message comes or a timeout passes;
 * - {@linkcode iframeStream} keeps an HTML page open and writes one
 *   `<script>` per message that calls a function of the parent page.
 *
 * {@linkcode connectPolling} consumes the first two as an async iterable,
 * keeping the cursor across requests and reconnects.
 *
 * @example Long polling, server and client
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { connectPolling, hubSource, longPoll } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source = hubSource(hub, "news");
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   (request) => longPoll(request, source, { timeout: 5000 }),
 * );
 * const controller = new AbortController();
 * const events = connectPolling(`http://127.0.0.1:${server.addr.port}/`, {
 *   history: 10,
 *   signal: controller.signal,
 * });
 * await hub.publish("news", { data: "hello" });
 * const { value } = await events.next();
 * deepStrictEqual(value?.kind === "message" && value.data, "hello");
 * controller.abort();
 * await events.return();
 * await hub.close();
 * await server.shutdown();
 * ```
 *
 * @module
 */

export * from "./connect_polling.ts";
export * from "../message/polling_envelope.ts";
export * from "./iframe_stream.ts";
export * from "./long_poll.ts";
export * from "./poll.ts";
export * from "./source.ts";
export type { PollingEnvelope } from "../message/polling_envelope.ts";
export type * from "../message/source.ts";
export type * from "../message/message.ts";
