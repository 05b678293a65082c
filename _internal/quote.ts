// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Quotes a caller-supplied value for an error message, cut to 40 chars. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}
