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

/**
 * Whether the comma list `value` holds `token`, ASCII case-insensitively
 * (`token` is given in lower case). Scans in place: no string is made.
 */
export function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  const length = value.length;
  let start = 0;
  while (start <= length) {
    let end = value.indexOf(",", start);
    if (end < 0) end = length;
    let from = start;
    let to = end;
    while (from < to && isOws(value.charCodeAt(from))) from++;
    while (to > from && isOws(value.charCodeAt(to - 1))) to--;
    if (to - from === token.length && equalsLower(value, from, token)) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

/** Whether `value` from `from` on is `lower`, ASCII case-insensitively. */
function equalsLower(value: string, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let code = value.charCodeAt(from + i);
    // ASCII upper case to lower case; nothing else folds.
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}
