// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * One WebSocket message: a whole text or binary message (however many
 * fragments it took), or one control frame.
 *
 * A close message carries the close code and reason; a close frame with no
 * payload reads as code 1005 (`NoStatus`) and reason `""`, and encodes back
 * to an empty payload.
 *
 * @example Build a text message and a close message
 * ```ts
 * import type { WsMessage } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const messages: WsMessage[] = [
 *   { type: "text", data: "hello" },
 *   { type: "close", code: 1000, reason: "bye" },
 * ];
 * strictEqual(messages.length, 2);
 * ```
 */
export type WsMessage =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string };
