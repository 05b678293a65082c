// Copyright 2026 the serverpush authors. MIT license.
// SSE codec benchmarks: deno bench -A bench/sse_bench.ts
//
// Corpus: bench/_sse_corpus.ts (16 MiB, seeded; tests/bench/sse_corpus_test.ts
// checks it). Cases: bench/_sse_cases.ts. In each group the reference npm
// package is the baseline. bench/sse_report.ts runs the same cases in one
// process and prints the ratios against the project's targets.

import { sseGroups } from "./_sse_cases.ts";

const { groups } = sseGroups();

for (const group of groups) {
  for (const [i, c] of group.cases.entries()) {
    Deno.bench({
      group: group.name,
      name: c.name,
      baseline: i === 1,
      // The async-sink cases take about a second per run for the reference.
      ...(group.name.includes("async write") ? { n: 5, warmup: 1 } : {}),
      async fn() {
        await c.run();
      },
    });
  }
}
