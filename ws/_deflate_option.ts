// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: checks the `deflate` option of the codec engine's servers and
// clients.

import type { WsDeflate } from "./compressor.ts";

/**
 * The {@linkcode WsDeflate} of a `deflate` option, or `undefined` for none.
 *
 * @throws {TypeError} If `deflate` is `true` or settings (its shape before
 * permessage-deflate moved to `./ws/deflate`), or anything else.
 */
export function checkDeflateOption(
  what: string,
  deflate: unknown,
): WsDeflate | undefined {
  if (deflate === undefined || deflate === false) return undefined;
  if (
    typeof deflate === "object" && deflate !== null &&
    typeof (deflate as Partial<WsDeflate>).create === "function" &&
    typeof (deflate as Partial<WsDeflate>).negotiation === "object"
  ) {
    return deflate as WsDeflate;
  }
  throw new TypeError(
    `Cannot ${what}: option deflate must be permessageDeflate() from "@serverpush/serverpush/ws/deflate" or false`,
  );
}
