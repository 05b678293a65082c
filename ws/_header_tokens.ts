// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private helpers for comma-separated header values (RFC 9110 section 5.6.1).

/** One or more RFC 9110 `tchar`s. */
export const TOKEN_REGEXP: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Strips leading and trailing optional whitespace (SP and HTAB only). */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Splits a list on commas and trims each element; drops empty elements. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const element = trimOws(part);
    if (element !== "") out.push(element);
  }
  return out;
}

/** Whether the comma list `value` holds `token`, ASCII case-insensitively. */
export function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  const wanted = token.toLowerCase();
  return splitList(value).some((element) => element.toLowerCase() === wanted);
}
