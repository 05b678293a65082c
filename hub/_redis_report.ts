// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Hands an error that no caller waits for to the backend's `onError`. */
export type Report = (error: Error) => void;

/** `error` if it is an `Error`, else an `Error` with its text. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * A {@linkcode Report} that calls `onError` (if any) until `isClosed()`;
 * an error thrown by `onError` is rethrown in a microtask.
 */
export function createReport(
  onError: ((error: Error) => void) | undefined,
  isClosed: () => boolean,
): Report {
  return (error) => {
    if (onError === undefined || isClosed()) return;
    try {
      onError(error);
    } catch (thrown) {
      reportLater(thrown);
    }
  };
}
