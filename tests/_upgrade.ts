// Copyright 2026 the serverpush authors. MIT license.
// A WebSocket upgrade request as a `Request`, for the handshake unit tests.

import { upgradeHeaders } from "./_raw_http.ts";

/**
 * A valid upgrade request for `http://chat.example/ws`: `headers` are added
 * to (or replace) the upgrade headers, and a `null` value removes one.
 */
export function upgradeRequest(
  headers: Record<string, string | null> = {},
  method = "GET",
): Request {
  const merged = new Headers();
  for (
    const [name, value] of Object.entries({
      ...upgradeHeaders("chat.example"),
      ...headers,
    })
  ) {
    if (value !== null) merged.set(name, value);
  }
  return new Request("http://chat.example/ws", { method, headers: merged });
}
