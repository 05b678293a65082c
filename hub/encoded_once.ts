// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Cache per encoder function, then per message object. */
const CACHES: WeakMap<object, WeakMap<object, unknown>> = new WeakMap();

/**
 * Returns `encode(message)`, computing it only the first time this `encode`
 * function sees this `message` object.
 *
 * The hub hands the same message object to every subscriber, so a transport
 * that serializes through `encodedOnce` encodes a broadcast once per wire
 * format, however many connections it reaches. The cache holds the message
 * and the result weakly: both are collected once no subscriber holds the
 * message. Key it with a function declared once (not an inline arrow, which
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
  let cache = CACHES.get(encode);
  if (cache === undefined) {
    cache = new WeakMap();
    CACHES.set(encode, cache);
  }
  if (cache.has(message)) return cache.get(message) as T;
  const value = encode(message);
  cache.set(message, value);
  return value;
}
