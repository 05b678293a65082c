// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** A promise with its settle functions, as `Promise.withResolvers` gives. */
export interface Resolvers<T> {
  /** The promise. */
  promise: Promise<T>;
  /** Fulfils `promise`. */
  resolve: (value: T | PromiseLike<T>) => void;
  /** Rejects `promise`. */
  reject: (reason?: unknown) => void;
}

/**
 * `Promise.withResolvers()`, which Node 20 lacks (it came in Node 22):
 * library code calls this instead.
 */
export function withResolvers<T>(): Resolvers<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
