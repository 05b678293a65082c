// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `Response`s the polling handlers answer with.

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

const TEXT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/plain; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

/** A `200` JSON response that no cache keeps. */
export function jsonResponse(body: string): Response {
  return new Response(body, { headers: JSON_HEADERS });
}

/** A plain-text error response (`400` unless told) that no cache keeps. */
export function textResponse(message: string, status = 400): Response {
  return new Response(message, { status, headers: TEXT_HEADERS });
}
