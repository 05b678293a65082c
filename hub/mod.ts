// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The hub: topics, message ids, a replay window and bounded subscribers.
 *
 * A {@linkcode Hub} stores each published message in a backend (in memory by
 * default, see {@linkcode createMemoryBackend}), gives it an id and fans the
 * same message object out to every subscriber of the topic. A subscriber that
 * comes back with the last id it saw gets what it missed, then live messages,
 * with no gap and no duplicate, or an explicit reset when the replay window
 * no longer reaches back that far. {@linkcode hubMessageToSse} and
 * {@linkcode hubMessageToJson} serialize a message once per wire format,
 * however many connections it goes to. The hub is a `MessageSource`: the
 * `serve` entry's `createHubHandler` serves its topics over every transport
 * (Server-Sent Events, WebSocket, `POST` to publish, the polling
 * transports), and the hub itself imports no transport.
 *
 * @example Publish, then resume after a reconnect
 * ```ts
 * import { Hub, hubMessageToSse } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const seen = await hub.publish("news", { data: "first" });
 * const missed = await hub.publish("news", { event: "story", data: "second" });
 *
 * const reader = hub.subscribe("news", { since: seen }).getReader();
 * const { value } = await reader.read();
 * strictEqual(
 *   new TextDecoder().decode(hubMessageToSse(value!)),
 *   `event: story\nid: ${missed}\ndata: second\n\n`,
 * );
 * await hub.close();
 * ```
 *
 * @module
 */

export * from "./backend.ts";
export * from "./counters.ts";
export * from "./hub.ts";
export * from "./limit_error.ts";
export * from "./memory_backend.ts";
export * from "../message/mod.ts";
