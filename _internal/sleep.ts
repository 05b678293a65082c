// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** A {@linkcode cancellableSleep}: its promise, and what ends it early. */
export interface CancellableSleep {
  /** Resolves after the time, or once cancelled. */
  promise: Promise<void>;
  /** Clears the timer and resolves the promise now. */
  cancel(): void;
}

/**
 * Resolves after `ms` milliseconds, or at once when cancelled: for a
 * deadline raced against other promises, whose timer must not outlive
 * the race.
 */
export function cancellableSleep(ms: number): CancellableSleep {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
    timer = setTimeout(r, ms);
  });
  return {
    promise,
    cancel(): void {
      clearTimeout(timer);
      resolve();
    },
  };
}
