// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: where a one-topic WebSocket resumes.

import { lastEventIdOf } from "../sse/_last_event_id.ts";

/**
 * The `since` of a one-topic WebSocket: `?since=`, else `Last-Event-ID`;
 * empty means none.
 */
export function sinceOf(
  request: Request,
  url: { readonly searchParams: { get(name: string): string | null } },
): string | undefined {
  const since = url.searchParams.get("since") ??
    lastEventIdOf(request, url);
  return since === undefined || since === "" ? undefined : since;
}
