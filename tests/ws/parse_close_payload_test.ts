// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  encodeClosePayload,
  parseClosePayload,
  WsProtocolError,
} from "../../ws/mod.ts";

function rejectsWith(
  code: string,
  closeCode: number,
): (error: unknown) => boolean {
  return (error: unknown): boolean => {
    ok(error instanceof WsProtocolError);
    strictEqual(error.code, code);
    strictEqual(error.closeCode, closeCode);
    return true;
  };
}

Deno.test("parseClosePayload reads code and reason", () => {
  deepStrictEqual(parseClosePayload(encodeClosePayload(3000, "κόσμε")), {
    code: 3000,
    reason: "κόσμε",
  });
  deepStrictEqual(parseClosePayload(new Uint8Array(0)), {
    code: 1005,
    reason: "",
  });
});

Deno.test("parseClosePayload rejects a 1-byte payload, bad codes and a non-UTF-8 reason", () => {
  throws(
    () => parseClosePayload(new Uint8Array([3])),
    rejectsWith("invalid-close-payload", 1002),
  );
  throws(
    () => parseClosePayload(new Uint8Array([0x03, 0xed])),
    rejectsWith("invalid-close-code", 1002),
  );
  throws(
    () => parseClosePayload(new Uint8Array([0x03, 0xe8, 0xc0, 0xaf])),
    rejectsWith("invalid-close-reason", 1007),
  );
});

Deno.test("parseClosePayload keeps a leading byte order mark in the reason", () => {
  deepStrictEqual(
    parseClosePayload(new Uint8Array([0x03, 0xe8, 0xef, 0xbb, 0xbf])),
    { code: 1000, reason: "\ufeff" },
  );
});
