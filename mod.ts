// Copyright 2026 the serverpush authors. MIT license.

/**
 * serverpush: every way a server pushes data to a web client, on web
 * standards. Server-Sent Events, WebSocket, polling, a raw TCP relay, a hub,
 * one handler that serves a hub over all of them, and one client that reads
 * them all. Each area is also its own entry (`./sse`, `./ws`, `./message`,
 * `./hub`, `./hub/redis`, `./polling`, `./tcp`, `./serve`, `./client`).
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
export * from "./message/mod.ts";
export * from "./hub/mod.ts";
export * from "./polling/mod.ts";
export * from "./tcp/mod.ts";
export * from "./serve/mod.ts";
export * from "./client/mod.ts";
