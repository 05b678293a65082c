// Copyright 2026 the serverpush authors. MIT license.
// The statistics bench/runtimes.ts and bench/runtimes_pool.ts judge the
// targets with: the median's confidence interval from order statistics,
// and the target lines.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { paired, targetLines, TARGETS } from "../../bench/runtimes/_pairs.ts";

Deno.test("paired: 24 pairs give the 7th and 18th smallest as the 95% interval", () => {
  // Shuffled 1..24: the interval is rank-based, not order-of-arrival based.
  const values = Array.from({ length: 24 }, (_, i) => ((i * 7) % 24) + 1);
  const pair = paired(values)!;
  strictEqual(pair.n, 24);
  strictEqual(pair.median, 12.5);
  strictEqual(pair.low, 7);
  strictEqual(pair.high, 18);
});

Deno.test("paired: leaves out ratios that are not finite, and has no interval under 6 pairs", () => {
  const pair = paired([1, Infinity, 0.5, NaN, 2])!;
  strictEqual(pair.n, 3);
  strictEqual(pair.median, 1);
  strictEqual(pair.low, undefined);
  strictEqual(paired([Infinity]), undefined);
});

Deno.test("paired: the interval narrows as pairs are pooled", () => {
  // The same spread, once and four times over.
  const once = Array.from({ length: 24 }, (_, i) => 0.8 + i * 0.4 / 23);
  const pooled = [...once, ...once, ...once, ...once];
  const a = paired(once)!, b = paired(pooled)!;
  strictEqual(a.median.toFixed(6), b.median.toFixed(6));
  strictEqual(b.high! - b.low! < (a.high! - a.low!) / 1.5, true);
});

Deno.test("targetLines: names the worst cell with its interval and judges each target", () => {
  const cell = (median: number) => paired(Array(24).fill(median))!;
  deepStrictEqual(
    targetLines(
      TARGETS.node,
      [["32 B, 1 client", cell(1.02)], ["32 B, 50 clients", cell(0.99)]],
      cell(0.9),
      1.3,
    ),
    [
      "target: echo round trips, every cell at least 1x: worst 0.990x (32 B, 50 clients; 95% CI 0.99-0.99x), 1 of 2 cells: NOT MET",
      "target: CPU per broadcast at most 1x: 0.900x: met",
      "target: RSS per idle connection at most 1.2x: 1.300x: NOT MET",
    ],
  );
  deepStrictEqual(targetLines(TARGETS.deno, [], undefined, undefined), [
    "target: echo round trips, every cell at least 0.95x: not measured",
    "target: RSS per idle connection at most 1.1x: not measured",
  ]);
});
