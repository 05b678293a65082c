// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the one growing buffer a fragmented message is assembled in, so
// that its memory follows its bytes, not its number of fragments.

/** The first size of a message buffer, unless the first bytes need more. */
const MIN_MESSAGE_BUFFER = 1024;

/**
 * Copies `data` into `buffer` at `length` and returns the buffer to use from
 * now on: `buffer` itself, or a bigger one (twice the size, at least what is
 * needed, at most `max` unless more is needed) holding the same bytes. The
 * caller checks `length + data.length` against its limit first, so a
 * buffer never exceeds twice the bytes it holds, nor `max`.
 */
export function appendToMessage(
  buffer: Uint8Array | undefined,
  length: number,
  data: Uint8Array,
  max: number,
): Uint8Array {
  const needed = length + data.length;
  if (buffer === undefined || needed > buffer.length) {
    const size = Math.max(
      needed,
      Math.min(
        max,
        buffer === undefined ? MIN_MESSAGE_BUFFER : buffer.length * 2,
      ),
    );
    const grown = new Uint8Array(size);
    if (buffer !== undefined) grown.set(buffer.subarray(0, length));
    buffer = grown;
  }
  buffer.set(data, length);
  return buffer;
}

/** The message's bytes: the buffer itself when full, else an exact copy. */
export function finishMessage(
  buffer: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (buffer === undefined) return new Uint8Array(0);
  return buffer.length === length ? buffer : buffer.slice(0, length);
}
