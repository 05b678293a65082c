// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { lastEventIdOf } from "./_last_event_id.ts";

/**
 * Reads the id of the last event a reconnecting client saw: the
 * `Last-Event-ID` request header, or else the `lastEventId` query parameter
 * (which polyfills that cannot set headers send).
 *
 * The header's bytes are decoded as UTF-8, the way `EventSource` encodes
 * them. A value longer than 1024 UTF-8 bytes is ignored, so a peer cannot
 * make a replay lookup work on an unbounded key.
 *
 * @param request The incoming request.
 * @returns The last event id, or `undefined` when the client sent none or
 * sent one over 1024 bytes. An empty header gives `""`.
 *
 * @example Read the header, or the query parameter
 * ```ts
 * import { lastEventId } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * const withHeader = new Request("http://localhost/events", {
 *   headers: { "last-event-id": "42" },
 * });
 * strictEqual(lastEventId(withHeader), "42");
 * strictEqual(lastEventId(new Request("http://localhost/events?lastEventId=7")), "7");
 * strictEqual(lastEventId(new Request("http://localhost/events")), undefined);
 * ```
 */
export function lastEventId(request: Request): string | undefined {
  return lastEventIdOf(request);
}
