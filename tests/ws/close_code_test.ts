// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok } from "node:assert/strict";
import { CloseCode } from "../../ws/mod.ts";

Deno.test("CloseCode holds the named close codes and is frozen", () => {
  deepStrictEqual({ ...CloseCode }, {
    Normal: 1000,
    GoingAway: 1001,
    ProtocolError: 1002,
    UnsupportedData: 1003,
    NoStatus: 1005,
    Abnormal: 1006,
    InvalidPayload: 1007,
    PolicyViolation: 1008,
    MessageTooBig: 1009,
    MandatoryExtension: 1010,
    InternalError: 1011,
    TlsHandshake: 1015,
  });
  ok(Object.isFrozen(CloseCode));
});
