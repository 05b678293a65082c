// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Tells whether `code` may appear in a close frame on the wire.
 *
 * Valid: 1000-1003, 1007-1014 (1012-1014 are registered with IANA) and
 * 3000-4999 (for libraries, frameworks and applications). Invalid: anything
 * below 1000, 1004 (reserved), 1005, 1006 and 1015 (local-only), 1016-2999
 * (reserved for future RFCs) and 5000 and up.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-7.4}
 *
 * @param code The close code.
 * @returns Whether an endpoint may send it.
 *
 * @example Check close codes
 * ```ts
 * import { isValidCloseCode } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(isValidCloseCode(1000), true);
 * strictEqual(isValidCloseCode(4000), true);
 * strictEqual(isValidCloseCode(1005), false);
 * strictEqual(isValidCloseCode(2999), false);
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  return Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999));
}
