// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `?state=1` query parameter of a subscription request.

/**
 * The `state` query parameter: `1` or `true` asks for the topic's state
 * first (a keyed topic), `0`, `false` or absent does not; anything else is
 * an error to answer with `400`.
 */
export function stateParam(
  url: { readonly searchParams: { get(name: string): string | null } },
): boolean | { error: string } {
  const value = url.searchParams.get("state");
  if (value === null || value === "" || value === "0" || value === "false") {
    return false;
  }
  if (value === "1" || value === "true") return true;
  return {
    error: `state is ${JSON.stringify(value.slice(0, 40))}, expected 1 or 0`,
  };
}
