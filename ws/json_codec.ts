// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsCodec } from "./connection.ts";
import { WsDecodeError } from "./decode_error.ts";

/**
 * A {@linkcode WsCodec} for JSON over text messages, for
 * {@linkcode withCodec}.
 *
 * `encode` is `JSON.stringify` (a `TypeError` for a value with no JSON
 * form, such as `undefined`). `decode` parses text messages; a binary
 * message is refused with close code 1003 and text that is not JSON with
 * 1007. Give `parse` (a validator such as a schema's `parse`) to check each
 * decoded value and type it: whatever it throws closes with 1007.
 *
 * @returns A JSON codec whose values are `unknown`.
 *
 * @example Decode untyped JSON
 * ```ts
 * import { jsonCodec } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const codec = jsonCodec();
 * deepStrictEqual(codec.decode('{"n":1}'), { n: 1 });
 * strictEqual(codec.encode([1, 2]), "[1,2]");
 * ```
 */
export function jsonCodec(): WsCodec<unknown>;
/**
 * A {@linkcode WsCodec} for JSON over text messages whose values `parse`
 * checks and types.
 *
 * @typeParam T The application's message type.
 * @param parse Checks one decoded value and returns it typed; throws if it
 * is not a `T` (the connection then closes with 1007).
 * @returns A JSON codec whose values are `T`.
 *
 * @example Validate chat messages
 * ```ts
 * import { jsonCodec } from "@serverpush/serverpush/ws";
 * import { strictEqual, throws } from "node:assert/strict";
 *
 * interface Chat {
 *   text: string;
 * }
 * const codec = jsonCodec((value): Chat => {
 *   if (typeof (value as Chat)?.text !== "string") {
 *     throw new TypeError("Cannot decode message: text is missing");
 *   }
 *   return value as Chat;
 * });
 * strictEqual(codec.decode('{"text":"hi"}').text, "hi");
 * throws(() => codec.decode("{}"), TypeError);
 * ```
 */
export function jsonCodec<T>(parse: (value: unknown) => T): WsCodec<T>;
export function jsonCodec<T>(
  parse?: (value: unknown) => T,
): WsCodec<T | unknown> {
  return {
    encode(value: unknown): string {
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new TypeError(
          `Cannot encode message: a ${typeof value} value has no JSON form`,
        );
      }
      return text;
    },
    decode(data: string | Uint8Array): unknown {
      if (typeof data !== "string") {
        throw new WsDecodeError(
          "Cannot decode message: the JSON codec takes text, not binary",
          { closeCode: 1003 },
        );
      }
      const value: unknown = JSON.parse(data);
      return parse === undefined ? value : parse(value);
    },
  };
}
