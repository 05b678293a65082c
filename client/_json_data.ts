// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `json` option of the clients, and the fields of a message
// in the JSON frames of the hub's WebSocket protocols.

import { decodeBase64 } from "../_internal/base64.ts";
import { truncate } from "../_internal/truncate.ts";
import type { PollingMessage } from "../polling/connect_polling.ts";
import { withKeyFields } from "../_internal/key_fields.ts";

const decoder = new TextDecoder();

/**
 * The message with its data parsed as JSON (bytes read as UTF-8).
 *
 * @throws {SyntaxError} If the data is not JSON.
 */
export function parseJsonData(message: PollingMessage): PollingMessage {
  const text = typeof message.data === "string"
    ? message.data
    : decoder.decode(message.data);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new SyntaxError(
      `Cannot parse message ${JSON.stringify(truncate(message.id, 40))}: ${
        JSON.stringify(truncate(text, 40))
      } is not JSON`,
      { cause },
    );
  }
  // The typed signatures give `data` its type; at run time it is this.
  return { ...message, data: data as string };
}

/**
 * The message in a JSON frame's `id`, `event`, `data` and `encoding`
 * (`"base64"` for bytes), or `undefined` if they are not one.
 */
export function readMessageFields(
  value: Record<string, unknown>,
): PollingMessage | undefined {
  const { id, event, data, encoding, from } = value;
  if (
    typeof id !== "string" || typeof data !== "string" ||
    (event !== undefined && typeof event !== "string") ||
    (encoding !== undefined && encoding !== "base64") ||
    (from !== undefined && typeof from !== "string")
  ) {
    return undefined;
  }
  const payload = encoding === "base64" ? decodeBase64(data) : data;
  const message: PollingMessage = event === undefined
    ? { kind: "message", id, data: payload }
    : { kind: "message", id, event, data: payload };
  if (from !== undefined) message.from = from;
  return withKeyFields(message, value);
}
