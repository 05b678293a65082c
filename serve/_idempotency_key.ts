// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `Idempotency-Key` request header of a `POST` publish.

import { quote } from "../_internal/quote.ts";

/** An sf-string: printable ASCII in quotes, with `\"` and `\\` escapes. */
const SF_STRING_REGEXP = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
const ESCAPE_REGEXP = /\\(["\\])/g;

/**
 * The idempotency key of a publish request: the `Idempotency-Key` header
 * as the IETF httpapi draft writes it (a Structured Field sf-string,
 * `"8e03978e-40d5-43e8-bc93-6894a57f9324"`), or a bare value as older
 * clients send it; `undefined` without the header. The hub checks the key
 * itself (1 to 256 printable ASCII characters).
 */
export function readIdempotencyKey(
  request: Request,
  topic: string,
): string | undefined | { status: 400; message: string } {
  const value = request.headers.get("idempotency-key");
  if (value === null) return undefined;
  if (!value.startsWith('"')) return value;
  const match = SF_STRING_REGEXP.exec(value);
  if (match === null) {
    return {
      status: 400,
      message: `Cannot publish to topic ${quote(topic)}: the Idempotency-Key ${
        quote(value.slice(0, 40))
      } is not a valid sf-string`,
    };
  }
  return match[1]!.replace(ESCAPE_REGEXP, "$1");
}
