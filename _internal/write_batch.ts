// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the writes of a fan-out, held back while the loop over its
// subscribers runs and then made one after the other.
//
// Between two subscribers, a write is a system call that runs the TCP stack
// (and, on loopback, the receiving socket), which pushes the next
// subscriber's objects out of the CPU's caches: reached that way, the hub's
// few steps per subscriber cost several times what they cost in a tight
// loop (docs/performance-runtimes.md). Holding the writes back runs those
// steps for every subscriber first, then only the writes.

/** A held write: `write(target, a, b)`. */
type Write = (target: never, a: never, b: never) => void;

/** The writes held back, four slots each, while a batch runs. */
let held: unknown[] | undefined;

/**
 * Runs `loop`; the writes it makes through {@linkcode holdWrite} are made
 * once it has returned (or thrown), in the order they were made. A batch
 * inside a batch joins it.
 */
export function batchWrites(loop: () => void): void {
  if (held !== undefined) {
    loop();
    return;
  }
  const writes: unknown[] = [];
  held = writes;
  try {
    loop();
  } finally {
    held = undefined;
    for (let i = 0; i < writes.length; i += 4) {
      try {
        (writes[i] as (target: unknown, a: unknown, b: unknown) => void)(
          writes[i + 1],
          writes[i + 2],
          writes[i + 3],
        );
      } catch {
        // A write reports its own failures (a callback, the socket's close
        // event); one that throws anyway must not keep the others back.
      }
    }
  }
}

/**
 * Holds `write(target, a, b)` back until the running batch ends and
 * returns `true`; returns `false`, having done nothing, outside a batch
 * (the caller writes now).
 */
export function holdWrite<T, A, B>(
  write: (target: T, a: A, b: B) => void,
  target: T,
  a: A,
  b: B,
): boolean {
  const writes = held;
  if (writes === undefined) return false;
  writes.push(write as Write, target, a, b);
  return true;
}
