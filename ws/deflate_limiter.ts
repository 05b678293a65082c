// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkPositiveInteger } from "../_internal/check.ts";
import { Queue } from "../_internal/queue.ts";

/**
 * Caps how many compression operations run at once across connections.
 * Create one per server with {@linkcode createDeflateLimiter} and pass it to
 * every {@linkcode createPermessageDeflate}; there is no hidden global one.
 */
export interface DeflateLimiter {
  /** Operations running now. */
  readonly active: number;
  /** Operations waiting for a slot. */
  readonly pending: number;
  /**
   * Runs `task` once fewer than the limit are running, and settles like it.
   *
   * @typeParam T The task's result.
   * @param task The operation; the slot is held until its promise settles.
   * @returns The task's result.
   */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * Creates a {@linkcode DeflateLimiter}: a first-in, first-out queue that lets
 * at most `maxConcurrent` tasks run at a time.
 *
 * Each permessage-deflate engine already runs one operation at a time per
 * direction, so the queue holds at most two entries per connection.
 *
 * @param maxConcurrent How many tasks may run at once.
 * @returns A new limiter with its own queue.
 * @throws {RangeError} If `maxConcurrent` is not a positive integer.
 *
 * @example Run at most one task at a time
 * ```ts
 * import { createDeflateLimiter } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const limiter = createDeflateLimiter(1);
 * const order: string[] = [];
 * const first = limiter.run(async () => {
 *   order.push("first");
 *   await Promise.resolve();
 * });
 * const second = limiter.run(async () => {
 *   order.push("second");
 * });
 * strictEqual(limiter.pending, 1);
 * await Promise.all([first, second]);
 * deepStrictEqual(order, ["first", "second"]);
 * ```
 */
export function createDeflateLimiter(maxConcurrent = 10): DeflateLimiter {
  checkPositiveInteger(
    "create deflate limiter",
    "maxConcurrent",
    maxConcurrent,
  );
  let active = 0;
  const waiting = new Queue<() => void>();

  function release(): void {
    const next = waiting.shift();
    if (next === undefined) {
      active--;
      return;
    }
    // Hand the slot over: `active` stays the same.
    next();
  }

  return {
    get active(): number {
      return active;
    },
    get pending(): number {
      return waiting.length;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < maxConcurrent) {
        active++;
      } else {
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
