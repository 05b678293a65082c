// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubPublishMessage } from "../message/message.ts";
import { quote } from "../_internal/quote.ts";
import { utf8Length } from "../_internal/utf8_length.ts";
import { checkKeyFields } from "./_keyed.ts";

export { checkTopic } from "../message/topic.ts";
export { quote };

const BAD_EVENT_REGEXP = /[\r\n\0]/;

/** Byte size of a message's payload. */
export function dataByteLength(message: { data: string | Uint8Array }): number {
  return typeof message.data === "string"
    ? utf8Length(message.data)
    : message.data.byteLength;
}

/**
 * Checks a message to publish and returns what the backend stores: bytes
 * copied, so later changes by the caller do not reach subscribers.
 */
export function checkPublishMessage(
  topic: string,
  message: unknown,
  maxMessageBytes: number,
): HubPublishMessage {
  const fail = (state: string): TypeError =>
    new TypeError(`Cannot publish to topic ${quote(topic)}: ${state}`);
  if (typeof message !== "object" || message === null) {
    throw fail("the message is not an object");
  }
  const fields = message as Record<string, unknown>;
  const keyFields = checkKeyFields(topic, fields);
  const { event, from } = fields;
  const data = keyFields.delete ? "" : fields.data;
  if (
    from !== undefined &&
    (typeof from !== "string" || from.length === 0 || from.length > 256)
  ) {
    throw fail("from is not a string of 1 to 256 characters");
  }
  if (event !== undefined) {
    if (typeof event !== "string") throw fail("event is not a string");
    if (BAD_EVENT_REGEXP.test(event)) {
      throw fail(`event ${quote(event)} contains CR, LF or NUL`);
    }
  }
  let size: number;
  if (typeof data === "string") {
    size = data.length * 3 <= maxMessageBytes ? 0 : utf8Length(data);
  } else if (data instanceof Uint8Array) {
    size = data.byteLength;
  } else {
    throw fail("data is not a string or a Uint8Array");
  }
  if (size > maxMessageBytes) {
    throw new RangeError(
      `Cannot publish to topic ${
        quote(topic)
      }: data is ${size} bytes, which exceeds maxMessageBytes of ${maxMessageBytes}`,
    );
  }
  const copy = typeof data === "string" ? data : data.slice();
  const checked: HubPublishMessage = event === undefined
    ? { data: copy }
    : { event, data: copy };
  if (from !== undefined) checked.from = from as string;
  return keyFields.key === undefined ? checked : { ...checked, ...keyFields };
}

const IDEMPOTENCY_KEY_REGEXP = /^[\x20-\x7e]{1,256}$/;

/** Throws a TypeError unless `key` is 1 to 256 printable ASCII characters. */
export function checkIdempotencyKey(topic: string, key: unknown): void {
  if (typeof key !== "string" || !IDEMPOTENCY_KEY_REGEXP.test(key)) {
    throw new TypeError(
      `Cannot publish to topic ${quote(topic)}: ${
        typeof key === "string"
          ? `the idempotency key ${
            quote(key.slice(0, 40))
          } is not 1 to 256 printable ASCII characters`
          : "the idempotency key is not a string"
      }`,
    );
  }
}
