// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: checks what a client sends to publish (HTTP or WebSocket) before
// it reaches the hub, so every failure has a client-facing code.

import { decodeBase64 } from "../_internal/base64.ts";
import type { HubPublishMessage } from "../message/message.ts";
import { quote } from "../_internal/quote.ts";
import { utf8Length } from "../_internal/utf8_length.ts";

/** Longest `event` a client may publish, in UTF-16 code units. */
export const MAX_EVENT_LENGTH = 256;

const BAD_EVENT_REGEXP = /[\r\n\0]/;
const BASE64_REGEXP =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A refusal to show to the client. */
export interface ClientError {
  /** Stable, machine-readable code. */
  code:
    | "invalid-json"
    | "invalid-message"
    | "invalid-topic"
    | "unknown-type"
    | "unauthorized"
    | "publish-disabled"
    | "too-large"
    | "too-many-topics"
    | "too-many-keys"
    | "already-subscribed"
    | "not-subscribed"
    | "too-many-subscriptions"
    | "no-presence";
  /** Human-readable, in the "Cannot <verb> <thing>: <state>" voice. */
  message: string;
}

/** Whether `value` is a {@linkcode ClientError}. */
export function isClientError(value: unknown): value is ClientError {
  return typeof value === "object" && value !== null && "code" in value &&
    "message" in value && !("data" in value);
}

/** Checks an event type given by a client; returns an error text or undefined. */
export function checkClientEvent(event: unknown): string | undefined {
  if (typeof event !== "string") return "event is not a string";
  if (event.length > MAX_EVENT_LENGTH) {
    return `event is longer than ${MAX_EVENT_LENGTH} characters`;
  }
  if (BAD_EVENT_REGEXP.test(event)) {
    return `event ${quote(event)} contains CR, LF or NUL`;
  }
  return undefined;
}

function decodeStrictBase64(text: string): Uint8Array | undefined {
  return BASE64_REGEXP.test(text) ? decodeBase64(text) : undefined;
}

/**
 * Reads `{ "event"?, "data", "encoding"? }` from a parsed WebSocket message:
 * `data` is a string, decoded from base64 when `encoding` is `"base64"`, and
 * at most `maxBytes` bytes (UTF-8 for text).
 */
export function readClientPublish(
  topic: string,
  value: Record<string, unknown>,
  maxBytes: number,
): HubPublishMessage | ClientError {
  const fail = (state: string): ClientError => ({
    code: "invalid-message",
    message: `Cannot publish to topic ${quote(topic)}: ${state}`,
  });
  const { event, encoding, key } = value;
  const remove = value.delete;
  if (remove !== undefined && typeof remove !== "boolean") {
    return fail("delete is not a boolean");
  }
  // A delete carries no data; the hub checks the key.
  const data = remove === true ? value.data ?? "" : value.data;
  if (typeof data !== "string") return fail("data is not a string");
  if (event !== undefined) {
    const problem = checkClientEvent(event);
    if (problem !== undefined) return fail(problem);
  }
  let payload: string | Uint8Array = data;
  if (encoding !== undefined) {
    if (encoding !== "base64") {
      return fail(`encoding ${quote(encoding)} is not "base64"`);
    }
    const bytes = decodeStrictBase64(data);
    if (bytes === undefined) return fail("data is not padded base64");
    payload = bytes;
  }
  const size = typeof payload === "string"
    ? (payload.length * 3 <= maxBytes ? 0 : utf8Length(payload))
    : payload.byteLength;
  if (size > maxBytes) {
    return {
      code: "too-large",
      message: `Cannot publish to topic ${
        quote(topic)
      }: data is ${size} bytes, which exceeds maxPublishBytes of ${maxBytes}`,
    };
  }
  const message: HubPublishMessage = event === undefined
    ? { data: payload }
    : { event: event as string, data: payload };
  if (key !== undefined) message.key = key as string;
  if (remove === true) message.delete = true;
  return message;
}
