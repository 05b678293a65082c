// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { historyParam } from "../_internal/history_param.ts";
import { stateParam } from "../_internal/state_param.ts";
import { textResponse } from "./_responses.ts";
import { POLLING_TOPIC_START } from "../message/polling_envelope.ts";

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

/**
 * Where a request starts: after its cursor (see {@linkcode readCursor}), or
 * without one, with the newest `history` messages (`?history=N`, default 0:
 * live only). A bad value gets a `400` response instead.
 */
export interface Start {
  /** The request's cursor; {@linkcode POLLING_TOPIC_START} as it is. */
  cursor: string | undefined;
  history: number;
  /** Whether the request asks for the topic's state (`?state=1`). */
  state: boolean;
}

/**
 * The `since` to read history with for a cursor: `undefined` (the window's
 * start) for {@linkcode POLLING_TOPIC_START}.
 */
export function sinceOf(cursor: string | undefined): string | undefined {
  return cursor === POLLING_TOPIC_START ? undefined : cursor;
}

/** Reads a request's {@linkcode Start}. */
export function readStart(
  request: Request,
  what: string,
): Start | Response {
  const url = new URL(request.url);
  const cursor = readCursor(request, url, what);
  if (cursor instanceof Response) return cursor;
  const history = historyParam(url);
  if (typeof history === "object") {
    return textResponse(`Cannot ${what}: ${history.error}`);
  }
  const state = stateParam(url);
  if (typeof state === "object") {
    return textResponse(`Cannot ${what}: ${state.error}`);
  }
  return { cursor, history: history ?? 0, state };
}
