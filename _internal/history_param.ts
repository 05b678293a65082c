// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `?history=N` query parameter of a subscription request.

/** Largest `?history=` value accepted; a backend returns what it retains. */
export const MAX_HISTORY = 10_000;

/**
 * Reads `?history=N` (the newest N messages first, then live ones): a
 * number, `undefined` when absent or empty, or an error message for the 400
 * answer when it is not an integer from 0 to {@linkcode MAX_HISTORY}.
 */
export function historyParam(
  url: { readonly searchParams: { get(name: string): string | null } },
): number | undefined | {
  error: string;
} {
  const value = url.searchParams.get("history");
  if (value === null || value === "") return undefined;
  const history = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(history <= MAX_HISTORY)) {
    return {
      error: `history is ${
        JSON.stringify(value.slice(0, 40))
      }, expected an integer from 0 to ${MAX_HISTORY}`,
    };
  }
  return history;
}

/**
 * Throws a RangeError unless `value` is `undefined` or an integer from 0 to
 * {@linkcode MAX_HISTORY}: the `history` option of a client.
 */
export function checkHistoryOption(what: string, value: unknown): void {
  if (
    value !== undefined &&
    !(Number.isSafeInteger(value) && (value as number) >= 0 &&
      (value as number) <= MAX_HISTORY)
  ) {
    throw new RangeError(
      `Cannot ${what}: history is ${
        String(value).slice(0, 40)
      }, expected an integer from 0 to ${MAX_HISTORY}`,
    );
  }
}
