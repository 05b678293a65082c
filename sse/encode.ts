// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * One message to send on a `text/event-stream`.
 *
 * Every field is optional. A message with only `comment` is a keep-alive: it
 * reaches the client's parser but dispatches no event.
 */
export interface SseMessage {
  /** Event payload. Split on CRLF, CR and LF into one `data:` line each. */
  data?: string;
  /** Event type; the client dispatches `message` when it is absent or empty. */
  event?: string;
  /** Last event id. An empty string resets the client's last event id. */
  id?: string;
  /** Reconnection time in milliseconds, a non-negative integer. */
  retry?: number;
  /** Comment text, written as `: ` lines. */
  comment?: string;
}

const LINE_BREAK_REGEXP = /\r\n|\r|\n/;
const BAD_SINGLE_LINE_REGEXP = /[\r\n\0]/;

function truncate(value: string): string {
  return value.length > 20 ? `${value.slice(0, 20)}...` : value;
}

/** True if `value` has no CR, LF or NUL. */
function isSingleLine(value: string): boolean {
  if (value.length > 32) return !BAD_SINGLE_LINE_REGEXP.test(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0) return false;
  }
  return true;
}

function checkSingleLine(name: "event" | "id", value: string): void {
  if (!isSingleLine(value)) {
    throw new TypeError(
      `Cannot encode SSE ${name}: "${
        truncate(JSON.stringify(value))
      }" contains CR, LF or NUL`,
    );
  }
}

/**
 * `value` as `prefix` lines, split on CRLF, CR and LF; `joiner` is LF and
 * `prefix`.
 */
function lines(prefix: string, joiner: string, value: string): string {
  const hasCR = value.indexOf("\r") !== -1;
  if (!hasCR) {
    if (value.indexOf("\n") === -1) return `${prefix}${value}\n`;
    return `${prefix}${value.replaceAll("\n", joiner)}\n`;
  }
  return `${prefix}${value.split(LINE_BREAK_REGEXP).join(joiner)}\n`;
}

/**
 * Serializes one {@linkcode SseMessage} as `text/event-stream` text, ending
 * with the blank line that dispatches it.
 *
 * Fields are written in the order comment, event, id, retry, data. `id: 0`,
 * an empty `id` and `retry: 0` are all written, since each means something to
 * the client.
 *
 * @param message The message to encode.
 * @returns The message as event-stream text.
 * @throws {TypeError} If `event` or `id` contains CR, LF or NUL.
 * @throws {RangeError} If `retry` is not a non-negative integer.
 *
 * @example Encode a message with an id and two lines of data
 * ```ts
 * import { encodeSse } from "@serverpush/serverpush/sse";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   encodeSse({ id: "7", data: "a\nb" }),
 *   "id: 7\ndata: a\ndata: b\n\n",
 * );
 * ```
 */
export function encodeSse(message: SseMessage): string {
  let out = "";
  const comment = message.comment;
  if (comment !== undefined) out = lines(": ", "\n: ", comment);
  const event = message.event;
  if (event !== undefined) {
    checkSingleLine("event", event);
    out += `event: ${event}\n`;
  }
  const id = message.id;
  if (id !== undefined) {
    checkSingleLine("id", id);
    out += `id: ${id}\n`;
  }
  const retry = message.retry;
  if (retry !== undefined) {
    if (!Number.isSafeInteger(retry) || retry < 0) {
      throw new RangeError(
        `Cannot encode SSE retry: ${retry} is not a non-negative integer`,
      );
    }
    out += `retry: ${retry}\n`;
  }
  const data = message.data;
  if (data !== undefined) out += lines("data: ", "\ndata: ", data);
  return `${out}\n`;
}
