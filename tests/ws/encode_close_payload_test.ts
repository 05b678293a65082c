// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, throws } from "node:assert/strict";
import { encodeClosePayload } from "../../ws/mod.ts";

Deno.test("encodeClosePayload writes the code big-endian, then the UTF-8 reason", () => {
  deepStrictEqual(
    encodeClosePayload(4999, "é"),
    new Uint8Array([0x13, 0x87, 0xc3, 0xa9]),
  );
  deepStrictEqual(encodeClosePayload(1000), new Uint8Array([0x03, 0xe8]));
});

Deno.test("encodeClosePayload accepts a reason of exactly 123 bytes", () => {
  deepStrictEqual(encodeClosePayload(1000, "é".repeat(61) + "x").length, 125);
});

Deno.test("encodeClosePayload rejects codes that may not be sent and long reasons", () => {
  for (const code of [0, 999, 1004, 1006, 1015, 2000, 5000, 1000.5]) {
    throws(() => encodeClosePayload(code), RangeError, String(code));
  }
  throws(() => encodeClosePayload(1005, "why"), RangeError);
  throws(() => encodeClosePayload(1000, "é".repeat(62)), RangeError);
  throws(() => encodeClosePayload(1000, "x".repeat(10_000)), RangeError);
});
