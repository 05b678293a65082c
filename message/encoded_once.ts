// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Cache per encoder function, then per message object. */
const CACHES: WeakMap<object, WeakMap<object, unknown>> = new WeakMap();
/**
 * The last lookup, answered without the maps: a broadcast asks for the same
 * message and format once per subscriber in a row.
 */
let lastMessage: object | undefined;
let lastEncode: object | undefined;
let lastValue: unknown;

/**
 * Returns `encode(message)`, computing it only the first time this `encode`
 * function sees this `message` object.
 *
 * The hub hands the same message object to every subscriber, so a transport
 * that serializes through `encodedOnce` encodes a broadcast once per wire
 * format, however many connections it reaches. The cache holds the message
 * and the result weakly: both are collected once no subscriber holds the
 * message (the last message looked up stays referenced until the next
 * lookup). Key it with a function declared once (not an inline arrow, which
 * is a new function on every call), and treat the result as read-only: never
 * transfer or mutate a cached `Uint8Array`.
 *
 * @typeParam M The message type.
 * @typeParam T The encoded form.
 * @param message The object to encode; its identity is the cache key.
 * @param encode A pure function; its identity names the format.
 * @returns The cached or newly computed encoding.
 *
 * @example Encode once, reuse for every connection
 * ```ts
 * import { encodedOnce } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * let calls = 0;
 * function toText(message: { data: string }): string {
 *   calls++;
 *   return `data: ${message.data}\n\n`;
 * }
 * const message = { data: "hi" };
 * const first = encodedOnce(message, toText);
 * const second = encodedOnce(message, toText);
 * strictEqual(first, second);
 * strictEqual(calls, 1);
 * ```
 */
export function encodedOnce<M extends object, T>(
  message: M,
  encode: (message: M) => T,
): T {
  if (message === lastMessage && encode === lastEncode) return lastValue as T;
  let cache = CACHES.get(encode);
  if (cache === undefined) {
    cache = new WeakMap();
    CACHES.set(encode, cache);
  }
  let value: T;
  if (cache.has(message)) {
    value = cache.get(message) as T;
  } else {
    value = encode(message);
    cache.set(message, value);
  }
  lastMessage = message;
  lastEncode = encode;
  lastValue = value;
  return value;
}
