// Copyright 2026 the serverpush authors. MIT license.
// Unit tests of the close reason helpers.
import { ok, strictEqual } from "node:assert/strict";
import { exceedsUtf8, fitCloseReason } from "../../ws/_fit_close_reason.ts";

Deno.test("exceedsUtf8 counts UTF-8 bytes", async (t) => {
  const cases: [text: string, limit: number, expected: boolean][] = [
    ["abc", 3, false],
    ["abcd", 3, true],
    ["é", 1, true],
    ["é", 2, false],
    ["€", 3, false],
    ["😀", 4, false],
    ["😀😀", 8, false],
    ["😀😀", 7, true],
    ["\ud800", 3, false],
  ];
  for (const [text, limit, expected] of cases) {
    await t.step(`${JSON.stringify(text)} over ${limit}`, () => {
      strictEqual(exceedsUtf8(text, limit), expected);
    });
  }
});

Deno.test("fitCloseReason cuts to 123 bytes on a character boundary", () => {
  strictEqual(fitCloseReason("short"), "short");
  const cut = fitCloseReason("é".repeat(100));
  strictEqual(new TextEncoder().encode(cut).length, 122);
  ok(!cut.includes("\ufffd"));
  strictEqual(fitCloseReason("a".repeat(200)).length, 123);
});
