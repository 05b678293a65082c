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

/**
 * Throws unless `value` is a byte count, 0 or more; returns it. For the
 * size limits of the codecs (`maxMessageBytes`, `maxFrameBytes`, ...).
 */
export function checkByteLimit(
  what: string,
  name: string,
  value: number,
): number {
  if (!(value >= 0)) {
    throw new RangeError(
      `Cannot ${what}: ${name} ${value} is not a non-negative number`,
    );
  }
  return value;
}

/**
 * Throws unless `value` is a timer delay `setTimeout` keeps, 0 or more
 * milliseconds below 2 ** 31; returns it.
 */
export function checkTimeout(
  what: string,
  name: string,
  value: number,
): number {
  if (!(value >= 0 && value < 2 ** 31)) {
    throw new RangeError(
      `Cannot ${what}: ${name} ${value} is not a number of milliseconds below 2 ** 31`,
    );
  }
  return value;
}

/**
 * Throws unless `value` is a positive timer delay `setTimeout` keeps
 * (below 2 ** 31 milliseconds); returns it.
 */
export function checkPositiveTimeout(
  what: string,
  name: string,
  value: number,
): number {
  if (!(value > 0 && value < 2 ** 31)) {
    throw new RangeError(
      `Cannot ${what}: ${name} ${value} is not a positive number of milliseconds`,
    );
  }
  return value;
}
