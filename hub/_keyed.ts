// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Keyed topics: the key check, the key fields of a stored message, and the
// limit every backend enforces on the keys of a topic.

import type { HubDataMessage, HubPublishMessage } from "../message/message.ts";
import { quote } from "../_internal/quote.ts";
import { HubLimitError } from "./limit_error.ts";

/** Keys a topic may hold when a backend is not told otherwise. */
export const DEFAULT_MAX_KEYS_PER_TOPIC = 1000;

/** Longest key, in characters (printable ASCII, so also in bytes). */
export const MAX_KEY_LENGTH = 256;

const KEY_REGEXP = /^[\x20-\x7e]{1,256}$/;

/** Whether `key` is a valid state key: 1 to 256 printable ASCII characters. */
export function isKey(key: unknown): key is string {
  return typeof key === "string" && KEY_REGEXP.test(key);
}

/**
 * The key fields of `message`, checked: `{}` without a key, else the key
 * and, for a delete, `delete: true`.
 *
 * @throws {TypeError} If the key is invalid, or `delete` is set without a
 * key or is not a boolean.
 */
export function checkKeyFields(
  topic: string,
  message: Record<string, unknown>,
): { key?: string; delete?: true } {
  const { key } = message;
  const remove = message.delete;
  const fail = (state: string): TypeError =>
    new TypeError(`Cannot publish to topic ${quote(topic)}: ${state}`);
  if (remove !== undefined && typeof remove !== "boolean") {
    throw fail("delete is not a boolean");
  }
  if (key === undefined) {
    if (remove === true) throw fail("delete is set without a key");
    return {};
  }
  if (!isKey(key)) {
    throw fail(
      typeof key === "string"
        ? `the key ${
          quote(key.slice(0, 40))
        } is not 1 to ${MAX_KEY_LENGTH} printable ASCII characters`
        : "the key is not a string",
    );
  }
  return remove === true ? { key, delete: true } : { key };
}

/**
 * The frozen message a backend stores for `message` under `id`: the key
 * fields are `key` and, for a delete, `deleted: true` (with empty data).
 */
export function storedMessage(
  topic: string,
  id: string,
  message: {
    event?: string | undefined;
    data: string | Uint8Array;
    key?: string | undefined;
    delete?: boolean | undefined;
    deleted?: boolean | undefined;
    from?: string | undefined;
  },
): HubDataMessage {
  const deleted = message.key !== undefined &&
    (message.delete === true || message.deleted === true);
  const stored: Record<string, unknown> = { kind: "message", topic, id };
  if (message.event !== undefined) stored.event = message.event;
  stored.data = deleted ? "" : message.data;
  if (message.key !== undefined) stored.key = message.key;
  if (deleted) stored.deleted = true;
  if (message.from !== undefined) stored.from = message.from;
  return Object.freeze(stored) as unknown as HubDataMessage;
}

/** The error of a publish that would give a topic one key too many. */
export function tooManyKeys(
  topic: string,
  keys: number,
  maxKeysPerTopic: number,
): HubLimitError {
  return new HubLimitError(
    `Cannot publish to topic ${
      quote(topic)
    }: it holds ${keys} keys, the maxKeysPerTopic of ${maxKeysPerTopic}`,
    { code: "too-many-keys" },
  );
}

/**
 * Whether a publish needs a free key slot: it sets a key the topic does not
 * hold yet.
 */
export function addsKey(
  message: HubPublishMessage,
  held: boolean,
): message is HubPublishMessage & { key: string } {
  return message.key !== undefined && message.delete !== true && !held;
}
