// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * What every transport carries: the message types, the
 * {@linkcode MessageSource} contract that the serving layer, the polling
 * responses and the TCP relay read (a `Hub` implements it), topic names,
 * and the encoders every transport shares. Each encoder caches its output
 * per message ({@linkcode encodedOnce}), so a message broadcast to many
 * connections is serialized once per wire format.
 *
 * @example Encode one message for SSE and for JSON
 * ```ts
 * import {
 *   type HubDataMessage,
 *   hubMessageToJson,
 *   hubMessageToSse,
 * } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * const message: HubDataMessage = {
 *   kind: "message",
 *   topic: "news",
 *   id: "1-0",
 *   data: "hi",
 * };
 * strictEqual(new TextDecoder().decode(hubMessageToSse(message)), "id: 1-0\ndata: hi\n\n");
 * strictEqual(hubMessageToJson(message), '{"id":"1-0","data":"hi"}');
 * ```
 *
 * @module
 */

export * from "./encoded_once.ts";
export * from "./message.ts";
export * from "./message_to_json.ts";
export * from "./message_to_sse.ts";
export * from "./polling_envelope.ts";
export * from "./serverpush_v1.ts";
export * from "./source.ts";
export * from "./topic.ts";
