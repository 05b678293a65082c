// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: base64url without padding (RFC 7515 section 2), strictly.

import { decodeBase64 } from "../_internal/base64.ts";

const BASE64URL_REGEXP = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url, or returns `undefined` when `text` is not
 * that (padding, `+`, `/`, whitespace or a length that no bytes encode to).
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL_REGEXP.test(text) || text.length % 4 === 1) return undefined;
  const standard = text.replaceAll("-", "+").replaceAll("_", "/");
  return decodeBase64(standard + "=".repeat((4 - text.length % 4) % 4));
}
