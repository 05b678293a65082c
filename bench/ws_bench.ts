// Copyright 2026 the serverpush authors. MIT license.
// WebSocket frame codec throughput against npm:ws 8.23.0 (pure JS, and with
// bufferutil 4.1.0 when its native addon loads), and against the floor of a
// bare loop over the same bytes. One group per direction, payload size and
// masking; ws's pure-JS path, in the README's primary comparison, is the
// baseline. The candidates and what makes each comparison fair are in
// bench/_ws_frame_cases.ts. For the report that the README quotes (one
// process per batch, ratios paired round by round), run bench/ws_report.ts.
//
//   deno bench -A bench/ws_bench.ts

import { decodeCases, encodeCases } from "./_ws_frame_cases.ts";
import { makeAllBatches } from "./_ws_frame_fixtures.ts";
import { loadWsPeers } from "./_ws_peers.ts";
import { npmPackageMain } from "./_npm_package.ts";

const peers = loadWsPeers(await npmPackageMain("ws"));

for (const batch of makeAllBatches()) {
  const shape = `${batch.count} x ${batch.size} B binary frames, ${
    batch.masked ? "masked (client frames)" : "unmasked (server frames)"
  }`;
  for (
    const [direction, cases] of [
      ["decode", decodeCases(batch, peers)],
      ["encode", encodeCases(batch, peers)],
    ] as const
  ) {
    const baseline = cases.comparisons.find((c) => c.primary)!.ws;
    for (const candidate of cases.candidates) {
      Deno.bench({
        group: `${direction} ${shape}`,
        name: candidate.name,
        ...(candidate === baseline ? { baseline: true } : {}),
        async fn(): Promise<void> {
          await candidate.run();
        },
      });
    }
  }
}
