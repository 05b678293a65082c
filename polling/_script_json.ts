// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

const UNSAFE_REGEXP = /[<>&\u2028\u2029]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Makes JSON text safe inside an HTML `<script>` element: `<`, `>`, `&`,
 * U+2028 and U+2029 become `\uXXXX` escapes. They only occur inside JSON
 * strings, where the escape means the same character, so the result parses
 * to the same value, and no `</script>` or `<!--` can end the script.
 */
export function scriptSafeJson(json: string): string {
  return json.replace(UNSAFE_REGEXP, escapeChar);
}
