// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual } from "node:assert/strict";
import { joinTicker, leaveTicker } from "../../_internal/ticker.ts";

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("joinTicker ticks every member of a period until it leaves, and the timer stops with the last one", async () => {
  const counts = { a: 0, b: 0, c: 0 };
  const a = { tick: (): void => void counts.a++ };
  const b = { tick: (): void => void counts.b++ };
  const c = { tick: (): void => void counts.c++ };
  joinTicker(5, a);
  joinTicker(5, b);
  joinTicker(7, c);
  while (counts.a < 3 || counts.b < 3 || counts.c < 3) await wait(5);
  leaveTicker(5, a);
  const left = counts.a;
  while (counts.b < left + 3) await wait(5);
  strictEqual(counts.a, left, "a member that left still ticked");
  // Leaving twice, or a period nobody uses, changes nothing.
  leaveTicker(5, a);
  leaveTicker(11, a);
  leaveTicker(5, b);
  leaveTicker(7, c);
  const after = { ...counts };
  await wait(30);
  ok(
    counts.a === after.a && counts.b === after.b && counts.c === after.c,
    "a tick came after every member left",
  );
  // The test's leak check fails if an interval timer is still running.
});
