// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: close reasons within RFC 6455's 123 bytes.

/** The longest close reason RFC 6455 allows, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 123;

/** Whether `text` takes more than `limit` bytes in UTF-8. */
export function exceedsUtf8(text: string, limit: number): boolean {
  // Each UTF-16 code unit takes 1 to 3 UTF-8 bytes (a surrogate pair, 4).
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else bytes += 3; // a surrogate pair counts 3 + 3 >= its 4 bytes
    if (bytes > limit) break;
  }
  return bytes > limit && new TextEncoder().encode(text).length > limit;
}

/** Cuts `reason` to at most 123 UTF-8 bytes, on a code point boundary. */
export function fitCloseReason(reason: string): string {
  if (!exceedsUtf8(reason, MAX_REASON_BYTES)) return reason;
  const bytes = new TextEncoder().encode(reason);
  let end = MAX_REASON_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
