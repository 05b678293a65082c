// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: `lastEventId`, for a caller that has parsed the request's URL
// already (so it is not parsed again).

/** Longest last event id, in UTF-8 bytes, that `lastEventId` accepts. */
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
 * `lastEventId(request)`, reading the query parameter from `url` (the
 * request's, parsed) when given.
 */
export function lastEventIdOf(
  request: Request,
  url?: { readonly searchParams: { get(name: string): string | null } },
): string | undefined {
  const header = request.headers.get("last-event-id");
  let id: string | null;
  if (header !== null) {
    id = decodeHeaderValue(header);
  } else {
    id = (url ?? new URL(request.url)).searchParams.get("lastEventId");
  }
  if (id === null) return undefined;
  // Cheap bound first: every UTF-16 code unit takes at least one UTF-8 byte.
  if (id.length > MAX_BYTES) return undefined;
  if (NON_ASCII_REGEXP.test(id) && encoder.encode(id).length > MAX_BYTES) {
    return undefined;
  }
  return id;
}
