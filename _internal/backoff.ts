// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The delay before reconnection attempt number `failures + 1`: `base`
 * doubled for each consecutive failure, capped at `max`, then spread over its
 * upper half with "equal jitter" so that clients cut off together do not come
 * back together. `random` is `Math.random` outside tests.
 */
export function backoffDelay(
  failures: number,
  base: number,
  max: number,
  random: () => number = Math.random,
): number {
  const grown = Math.min(base * 2 ** Math.min(Math.max(failures, 0), 52), max);
  return grown / 2 + random() * grown / 2;
}
