// Copyright 2026 the serverpush authors. MIT license.
import { ok, strictEqual } from "node:assert/strict";
import { WsDecodeError } from "../../ws/mod.ts";

Deno.test("WsDecodeError defaults to close code 1007", () => {
  const error = new WsDecodeError("Cannot decode message: bad");
  ok(error instanceof Error);
  strictEqual(error.name, "WsDecodeError");
  strictEqual(error.closeCode, 1007);
  strictEqual(error.message, "Cannot decode message: bad");
});

Deno.test("WsDecodeError keeps the chosen close code and cause", () => {
  const cause = new SyntaxError("x");
  const error = new WsDecodeError("Cannot decode message: binary", {
    closeCode: 1003,
    cause,
  });
  strictEqual(error.closeCode, 1003);
  strictEqual(error.cause, cause);
});
