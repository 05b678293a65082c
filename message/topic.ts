// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { quote } from "../_internal/quote.ts";

const TOPIC_REGEXP = /^[A-Za-z0-9._~:/-]{1,128}$/;

/**
 * Throws a `TypeError` unless `topic` is a valid topic name: 1 to 128
 * characters of `A-Z a-z 0-9 . _ ~ : / -`, so that a topic is the same
 * string in a URL path, a header and a `serverpush.v1` message, with no
 * encoding.
 *
 * @param action What the caller was doing, for the error message, such as
 * `"publish to"`.
 * @param topic The value to check.
 * @throws {TypeError} If `topic` is not a string or not a valid name.
 *
 * @example Check a topic from a client
 * ```ts
 * import { checkTopic } from "@serverpush/serverpush/message";
 * import { throws } from "node:assert/strict";
 *
 * checkTopic("subscribe to", "news/eu");
 * throws(() => checkTopic("subscribe to", "no spaces"), TypeError);
 * ```
 */
export function checkTopic(
  action: string,
  topic: unknown,
): asserts topic is string {
  if (typeof topic !== "string" || !TOPIC_REGEXP.test(topic)) {
    throw new TypeError(
      `Cannot ${action} topic ${quote(topic)}: ${
        typeof topic !== "string"
          ? "the topic is not a string"
          : "a topic is 1 to 128 characters of A-Z a-z 0-9 . _ ~ : / -"
      }`,
    );
  }
}
