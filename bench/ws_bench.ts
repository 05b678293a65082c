// Copyright 2026 the serverpush authors. MIT license.
// WebSocket frame codec throughput against npm:ws 8.23.0 (pure JS, and with
// bufferutil 4.1.0 when its native addon loads), and against the floor of a
// bare loop over the same bytes. One group per direction, payload size and
// masking; ws's pure-JS path is the baseline. For one process printing
// frames/s, MB/s and ratios, run bench/ws_report.ts instead.
//
//   deno bench -A bench/ws_bench.ts

import { decodeCandidates, encodeCandidates } from "./_ws_frame_cases.ts";
import { makeAllBatches } from "./_ws_frame_fixtures.ts";
import { loadWsPeers } from "./_ws_peers.ts";

const peers = loadWsPeers();

for (const batch of makeAllBatches()) {
  const shape = `${batch.count} x ${batch.size} B binary frames, ${
    batch.masked
      ? "masked (server reads client frames)"
      : "unmasked (client reads server frames)"
  }`;
  for (
    const [direction, candidates] of [
      ["decode", decodeCandidates(batch, peers)],
      ["encode", encodeCandidates(batch, peers)],
    ] as const
  ) {
    for (const candidate of candidates) {
      Deno.bench({
        group: `${direction} ${shape}`,
        name: candidate.name,
        ...(candidate.baseline ? { baseline: true } : {}),
        async fn(): Promise<void> {
          await candidate.run();
        },
      });
    }
  }
}
