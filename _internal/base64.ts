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

/**
 * Decodes standard base64 (RFC 4648 section 4).
 *
 * @throws {DOMException} If `text` is not base64.
 */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
