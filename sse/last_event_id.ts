// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Longest last event id, in UTF-8 bytes, that {@linkcode lastEventId} accepts. */
const MAX_BYTES = 1024;
const NON_ASCII_REGEXP = /[\u0080-\uffff]/;
const ABOVE_LATIN1_REGEXP = /[\u0100-\uffff]/;
const encoder = new TextEncoder();

/**
 * Header values reach us as byte strings (one character per byte). A client
 * sends the id UTF-8 encoded, so turn those bytes back into the id; a value
 * that is not valid UTF-8 stays as it is.
 */
function decodeHeaderValue(value: string): string {
  if (!NON_ASCII_REGEXP.test(value) || ABOVE_LATIN1_REGEXP.test(value)) {
    return value;
  }
  const bytes = Uint8Array.from(value, (char) => char.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes,
    );
  } catch {
    // Not UTF-8: keep the byte string, which is what the client sent.
    return value;
  }
}

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
  const header = request.headers.get("last-event-id");
  let id: string | null;
  if (header !== null) {
    id = decodeHeaderValue(header);
  } else {
    id = new URL(request.url).searchParams.get("lastEventId");
  }
  if (id === null) return undefined;
  // Cheap bound first: every UTF-16 code unit takes at least one UTF-8 byte.
  if (id.length > MAX_BYTES) return undefined;
  if (NON_ASCII_REGEXP.test(id) && encoder.encode(id).length > MAX_BYTES) {
    return undefined;
  }
  return id;
}
