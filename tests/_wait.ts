// Copyright 2026 the serverpush authors. MIT license.
// Bounded waits shared by the tests. The timeouts only guard against a test
// hanging forever: they are generous, and no test depends on how quickly
// anything happens.

/**
 * Resolves with `promise`, or rejects if it has not settled after `ms`
 * milliseconds.
 */
export async function within<T>(
  promise: Promise<T>,
  what: string,
  ms = 10_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `condition()` holds, checking every few milliseconds; `what`
 * names it in the timeout error (the condition's source by default).
 */
export function until(
  condition: () => boolean,
  what: string = String(condition),
  ms = 10_000,
): Promise<void> {
  return within(
    (async () => {
      while (!condition()) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })(),
    what,
    ms,
  );
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
