// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubPublishMessage } from "./message.ts";

const TOPIC_REGEXP = /^[A-Za-z0-9._~:/-]{1,128}$/;
const BAD_EVENT_REGEXP = /[\r\n\0]/;

/** Quotes a caller-supplied value for an error message, cut to 40 chars. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** Throws a TypeError unless `topic` is a valid topic name. */
export function checkTopic(action: string, topic: unknown): void {
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

/** UTF-8 byte length of `text`; lone surrogates count as U+FFFD. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (
      code >= 0xd800 && code <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

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
  const { event, data } = message as Record<string, unknown>;
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
  return event === undefined ? { data: copy } : { event, data: copy };
}

/**
 * Whether `error` refuses a publish that would create one topic too many
 * (a `HubLimitError`, or a backend's own `RangeError` with that code).
 */
export function isTooManyTopics(error: unknown): boolean {
  return error instanceof RangeError &&
    (error as { code?: unknown }).code === "too-many-topics";
}
