// Copyright 2026 the serverpush authors. MIT license.

/**
 * serverpush: every way a server pushes data to a web client, on web
 * standards. Server-Sent Events, WebSocket, polling and a hub.
 *
 * @example Encode a Server-Sent Event
 * ```ts
 * import { encodeSse } from "@serverpush/serverpush";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(encodeSse({ data: "hi" }), "data: hi\n\n");
 * ```
 *
 * @module
 */

export * from "./sse/mod.ts";
export * from "./ws/mod.ts";
export * from "./hub/mod.ts";
export * from "./polling/mod.ts";
export * from "./tcp/mod.ts";
