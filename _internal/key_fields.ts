// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the key fields of a keyed topic's message as clients parse it.

/**
 * `message` with the `key` and `deleted` fields of the parsed JSON `item`
 * (a keyed topic's message), when it has a string key.
 */
export function withKeyFields<T extends { key?: string; deleted?: true }>(
  message: T,
  item: Record<string, unknown>,
): T {
  if (typeof item.key !== "string") return message;
  message.key = item.key;
  if (item.deleted === true) message.deleted = true;
  return message;
}
