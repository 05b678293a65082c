// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok } from "node:assert/strict";
import { Opcode } from "../../ws/mod.ts";

Deno.test("Opcode holds the RFC 6455 opcodes and is frozen", () => {
  deepStrictEqual({ ...Opcode }, {
    Continuation: 0,
    Text: 1,
    Binary: 2,
    Close: 8,
    Ping: 9,
    Pong: 10,
  });
  ok(Object.isFrozen(Opcode));
});
