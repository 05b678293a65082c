// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual } from "node:assert/strict";
import { WsProtocolError, type WsProtocolErrorCode } from "../../ws/mod.ts";

Deno.test("WsProtocolError maps each code to its close code", () => {
  const table: Record<WsProtocolErrorCode, number> = {
    "unmasked-frame": 1002,
    "masked-frame": 1002,
    "reserved-bits": 1002,
    "reserved-opcode": 1002,
    "control-frame-too-long": 1002,
    "fragmented-control-frame": 1002,
    "invalid-length": 1002,
    "frame-too-large": 1009,
    "message-too-large": 1009,
    "unexpected-continuation": 1002,
    "expected-continuation": 1002,
    "invalid-utf8": 1007,
    "invalid-close-payload": 1002,
    "invalid-close-code": 1002,
    "invalid-close-reason": 1007,
    "invalid-compressed-data": 1007,
    "unexpected-end": 1006,
  };
  for (const [code, closeCode] of Object.entries(table)) {
    const error = new WsProtocolError("Cannot decode frame: test", {
      code: code as WsProtocolErrorCode,
    });
    strictEqual(error.closeCode, closeCode, code);
    strictEqual(error.code, code);
  }
});

Deno.test("WsProtocolError takes a close code and a cause", () => {
  const cause = new RangeError("inner");
  const error = new WsProtocolError("Cannot decode message: test", {
    code: "message-too-large",
    closeCode: 1008,
    cause,
  });
  strictEqual(error.closeCode, 1008);
  strictEqual(error.cause, cause);
  strictEqual(error.name, "WsProtocolError");
  ok(error instanceof Error);
  ok(!("cause" in new WsProtocolError("x", { code: "invalid-utf8" })));
});
