// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the checks of a message to publish and its options, and its
// fields in a WebSocket publish frame, shared by `connect`'s `send` and
// `connectMultiplex`'s `publish`.

import { encodeBase64 } from "../_internal/base64.ts";
import type { PushSendOptions } from "./push_client.ts";

const IDEMPOTENCY_KEY_REGEXP = /^[\x20-\x7e]{1,256}$/;

/** {@linkcode PushSendOptions}, checked, with the key drawn if none. */
export interface SendOptions {
  readonly event: string | undefined;
  readonly idempotencyKey: string;
  readonly retries: number;
}

/**
 * Checks `data` and `options` and draws the idempotency key
 * (`crypto.randomUUID()`) when none is given.
 *
 * @throws {TypeError} If `data` is not a string or a `Uint8Array`, `event`
 * not a string, or `idempotencyKey` not 1 to 256 printable ASCII characters.
 * @throws {RangeError} If `retries` is not a non-negative integer.
 */
export function readSendOptions(
  what: string,
  data: unknown,
  options: PushSendOptions,
): SendOptions {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot ${what}: data is not a string or a Uint8Array`,
    );
  }
  const { event, idempotencyKey = crypto.randomUUID(), retries = 2 } = options;
  if (event !== undefined && typeof event !== "string") {
    throw new TypeError(`Cannot ${what}: event is not a string`);
  }
  if (
    typeof idempotencyKey !== "string" ||
    !IDEMPOTENCY_KEY_REGEXP.test(idempotencyKey)
  ) {
    throw new TypeError(
      `Cannot ${what}: idempotencyKey is not 1 to 256 printable ASCII characters`,
    );
  }
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(
      `Cannot ${what}: retries is not a non-negative integer`,
    );
  }
  return { event, idempotencyKey, retries };
}

/**
 * The fields of a message in a WebSocket publish frame: `data` (bytes as
 * base64 with `encoding`), `event` and `idempotencyKey`.
 */
export function publishFields(
  data: string | Uint8Array,
  options: SendOptions,
): Record<string, string> {
  const fields: Record<string, string> = typeof data === "string"
    ? { data }
    : { data: encodeBase64(data), encoding: "base64" };
  if (options.event !== undefined) fields.event = options.event;
  fields.idempotencyKey = options.idempotencyKey;
  return fields;
}
