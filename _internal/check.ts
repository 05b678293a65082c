// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { quote } from "./quote.ts";

/** Throws unless `value` is a positive safe integer. */
export function checkPositiveInteger(
  what: string,
  name: string,
  value: number,
): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot ${what}: ${name} is ${value}, expected a positive integer`,
    );
  }
}

/** Throws unless `value` is a finite number of milliseconds, 0 or more. */
export function checkDuration(what: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot ${what}: ${name} is ${value}, expected a finite number of milliseconds`,
    );
  }
}

/** Throws unless `value` is a number above 0 (`Infinity` is one). */
export function checkPositiveNumber(
  what: string,
  name: string,
  value: number,
): void {
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new RangeError(
      `Cannot ${what}: ${name} is ${value}, expected a positive number`,
    );
  }
}

/**
 * Throws a TypeError unless `value` is one of `allowed`, naming them all:
 * `Cannot <what>: <name> is "x", expected "a" or "b"`.
 */
export function checkOneOf<T extends string>(
  what: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if ((allowed as readonly unknown[]).includes(value)) return;
  const expected = allowed.map((item) => JSON.stringify(item));
  const last = expected.pop();
  throw new TypeError(
    `Cannot ${what}: ${name} is ${quote(value)}, expected ${
      expected.length === 0 ? last : `${expected.join(", ")} or ${last}`
    }`,
  );
}
