// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Server-Sent Events: the `text/event-stream` codec as Web Streams, a
 * `Response` adapter for `Deno.serve`, and a fetch-based client.
 *
 * @example Encode a message
 * ```ts
 * import { encodeSse } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(encodeSse({ event: "tick", data: "1" }), "event: tick\ndata: 1\n\n");
 * ```
 *
 * @module
 */

export * from "./encode.ts";
export * from "./response.ts";
export * from "./push_queue.ts";
export * from "./last_event_id.ts";
export * from "./parser.ts";
export * from "./decoder_stream.ts";
export * from "./encoder_stream.ts";
export * from "./client.ts";
