// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Cuts text that came from a peer or a caller to at most `length`
 * characters, marking the cut with `...`, before it goes into an error
 * message (CONVENTIONS rule 10).
 */
export function truncate(text: string, length = 40): string {
  return text.length <= length ? text : `${text.slice(0, length)}...`;
}
