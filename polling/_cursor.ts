// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { textResponse } from "./_responses.ts";

/** Longest cursor accepted, in UTF-16 code units. */
export const MAX_CURSOR_LENGTH = 1024;

/**
 * The client's cursor: the `cursor` query parameter, else the
 * `Last-Event-ID` header; an empty value counts as none. A cursor longer
 * than {@linkcode MAX_CURSOR_LENGTH} gets a `400` response instead.
 */
export function readCursor(
  request: Request,
  url: URL,
  what: string,
): string | undefined | Response {
  const cursor = url.searchParams.get("cursor") ||
    request.headers.get("last-event-id") || undefined;
  if (cursor !== undefined && cursor.length > MAX_CURSOR_LENGTH) {
    return textResponse(
      `Cannot ${what}: cursor is ${cursor.length} characters long, which exceeds ${MAX_CURSOR_LENGTH}`,
    );
  }
  return cursor;
}
