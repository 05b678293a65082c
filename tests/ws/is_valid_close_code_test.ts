// Copyright 2026 the serverpush authors. MIT license.

import { strictEqual } from "node:assert/strict";
import { isValidCloseCode } from "../../ws/mod.ts";

Deno.test("isValidCloseCode accepts exactly the codes that may be sent", () => {
  const valid = new Set<number>();
  for (let code = 0; code <= 70000; code++) {
    if (isValidCloseCode(code)) valid.add(code);
  }
  const expected = new Set<number>();
  for (const code of [1000, 1001, 1002, 1003]) expected.add(code);
  for (let code = 1007; code <= 1014; code++) expected.add(code);
  for (let code = 3000; code <= 4999; code++) expected.add(code);
  strictEqual(valid.size, expected.size);
  for (const code of expected) strictEqual(valid.has(code), true, String(code));
});

Deno.test("isValidCloseCode rejects non-integers", () => {
  strictEqual(isValidCloseCode(1000.5), false);
  strictEqual(isValidCloseCode(NaN), false);
});
