// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: promises whose rejection is reported elsewhere.

/**
 * Intentionally empty: used where a failure is already reported through
 * `closed` (a write or read on a transport that went away, a
 * fire-and-forget `send()` on a connection that closed), so the promise
 * that carried it must not become an unhandled rejection.
 */
export function ignore(): void {}

/**
 * What `send()` returns when the data was handed over with the buffer
 * under `maxBufferedBytes`: one settled promise shared by every connection
 * of both engines, so the common case allocates nothing, and a reader that
 * gets it back from its handler knows it need not wait (`forEachMessage`).
 */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Marks a promise's rejection as handled while keeping it for awaiters. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/** The error of a `send()` once the connection is closing or closed. */
export function stateError(state: string): DOMException {
  return new DOMException(
    `Cannot send message: the connection ${state}`,
    "InvalidStateError",
  );
}
