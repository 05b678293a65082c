// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Whether `error` refuses a publish that would create one topic too many
 * (the hub's `HubLimitError`, or a backend's own `RangeError` with that code).
 */
export function isTooManyTopics(error: unknown): boolean {
  return error instanceof RangeError &&
    (error as { code?: unknown }).code === "too-many-topics";
}

/**
 * Whether `error` is a `HubLimitError` of code `"too-many-keys"`: a publish
 * that would add a key to a topic holding its `maxKeysPerTopic` keys.
 */
export function isTooManyKeys(error: unknown): boolean {
  return error instanceof RangeError &&
    (error as { code?: unknown }).code === "too-many-keys";
}
