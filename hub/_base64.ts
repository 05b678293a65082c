// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

const CHUNK = 0x8000;

/** Standard base64 (RFC 4648 section 4, with padding) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode(...bytes.subarray(i, i + CHUNK)));
  }
  return btoa(parts.join(""));
}
