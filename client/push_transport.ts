// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * A transport {@linkcode connect} can use: a WebSocket, Server-Sent Events,
 * long polling or short polling.
 *
 * @example Prefer streams, but never use short polling
 * ```ts
 * import type { PushTransport } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const transports: PushTransport[] = ["websocket", "sse", "longpoll"];
 * strictEqual(transports.includes("poll"), false);
 * ```
 */
export type PushTransport = "websocket" | "sse" | "longpoll" | "poll";

/**
 * Passed to {@linkcode ConnectOptions.onTransportChange} when a
 * {@linkcode PushClient} falls back from one transport to the next.
 *
 * @example Log a fallback
 * ```ts
 * import type { PushTransportChange } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const change: PushTransportChange = {
 *   transport: "sse",
 *   previous: "websocket",
 *   reason: "Cannot open WebSocket: the upgrade was refused or the connection failed",
 * };
 * strictEqual(`${change.previous} → ${change.transport}`, "websocket → sse");
 * ```
 */
export interface PushTransportChange {
  /** The transport now in use. */
  transport: PushTransport;
  /** The transport that could not be used. */
  previous: PushTransport;
  /** Why it could not be used. */
  reason: string;
}
