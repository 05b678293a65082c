// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the plain-text responses the hub handler refuses requests with.

/** A `text/plain` response with `body` as its text. */
export function textResponse(
  status: number,
  body: string,
  headers?: HeadersInit,
): Response {
  const all = new Headers(headers);
  all.set("content-type", "text/plain; charset=utf-8");
  return new Response(body, { status, headers: all });
}

/** The `405` of a handler that answers `GET` and `HEAD` only. */
export function onlyGetOrHead(what: string, method: string): Response {
  return textResponse(
    405,
    `Cannot ${what}: method ${
      JSON.stringify(method.slice(0, 20))
    } is not GET or HEAD`,
    { allow: "GET, HEAD" },
  );
}
