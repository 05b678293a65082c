// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints the report
// Side-by-side throughput of the WebSocket frame codec against npm:ws, in
// one process: decode and encode batches of 16 B, 125 B, 1 KiB, 64 KiB and
// 1 MiB binary frames, masked (a server reading client frames) and unmasked
// (a client reading server frames). Prints frames/s, MB/s of payload, and
// the ratio to ws's pure-JS path; each figure is the median of the rounds.
//
//   deno run -A bench/ws_report.ts [rounds]

import {
  type Candidate,
  decodeCandidates,
  encodeCandidates,
} from "./_ws_frame_cases.ts";
import { type FrameBatch, makeAllBatches } from "./_ws_frame_fixtures.ts";
import { loadWsPeers } from "./_ws_peers.ts";

const ROUNDS = Number(Deno.args[0] ?? 7);
/** Target duration of one measurement. */
const SAMPLE_MS = 25;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeIterations(
  candidate: Candidate,
  iterations: number,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await candidate.run();
  return (performance.now() - start) / iterations;
}

interface Row {
  name: string;
  msPerBatch: number;
}

async function measure(
  batch: FrameBatch,
  candidates: Candidate[],
): Promise<Row[]> {
  const iterations: number[] = [];
  for (const candidate of candidates) {
    const frames = await candidate.run();
    if (frames !== batch.count) {
      throw new Error(
        `Cannot benchmark ${candidate.name}: it handled ${frames} of ${batch.count} frames`,
      );
    }
    // Warm up for about one sample, then size the samples from that.
    let n = 1;
    let ms = await timeIterations(candidate, n);
    while (ms * n < SAMPLE_MS && n < 1 << 20) {
      n *= 2;
      ms = await timeIterations(candidate, n);
    }
    iterations.push(Math.max(1, Math.round(SAMPLE_MS / Math.max(ms, 1e-6))));
  }
  const samples: number[][] = candidates.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so no candidate always runs first after a switch.
    for (let k = 0; k < candidates.length; k++) {
      const i = (k + round) % candidates.length;
      samples[i]!.push(await timeIterations(candidates[i]!, iterations[i]!));
    }
  }
  return candidates.map((c, i) => ({
    name: c.name,
    msPerBatch: median(samples[i]!),
  }));
}

function format(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

function label(batch: FrameBatch): string {
  const size = batch.size >= 1_048_576
    ? `${batch.size / 1_048_576} MiB`
    : batch.size >= 1024
    ? `${batch.size / 1024} KiB`
    : `${batch.size} B`;
  return `${size} x ${batch.count}, ${batch.masked ? "masked" : "unmasked"}`;
}

const peers = loadWsPeers();
console.log(
  `# WebSocket frame codec vs npm:ws 8.23.0 (${Deno.version.deno}, V8 ${Deno.version.v8})`,
);
console.log(
  `median of ${ROUNDS} rounds of ~${SAMPLE_MS} ms; MB/s counts payload bytes (1 MB = 10^6 B)`,
);
console.log(
  peers.bufferutil
    ? "ws with bufferutil 4.1.0: native addon loaded"
    : `ws with bufferutil: not measured (${peers.note})`,
);

const summary: string[] = [];
for (const direction of ["decode", "encode"] as const) {
  console.log(`\n## ${direction}\n`);
  console.log(
    "| batch | candidate | frames/s | MB/s | vs ws (pure JS) | vs ws (bufferutil) |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const batch of makeAllBatches()) {
    const candidates = direction === "decode"
      ? decodeCandidates(batch, peers)
      : encodeCandidates(batch, peers);
    const rows = await measure(batch, candidates);
    const pure = rows.find((r) => r.name.includes("(pure JS)"))!;
    const native = rows.find((r) => r.name.includes("(bufferutil)"));
    for (const row of rows) {
      const framesPerSecond = (batch.count / row.msPerBatch) * 1000;
      const mbPerSecond = (batch.count * batch.size) / row.msPerBatch / 1000;
      console.log(
        `| ${label(batch)} | ${row.name} | ${format(framesPerSecond)} | ${
          mbPerSecond.toFixed(0)
        } | ${(pure.msPerBatch / row.msPerBatch).toFixed(2)}x | ${
          native ? `${(native.msPerBatch / row.msPerBatch).toFixed(2)}x` : "-"
        } |`,
      );
    }
    const core = rows.find((r) => r.name.startsWith("ours: create"))!;
    const zeroCopy = rows.find((r) => r.name.includes("encodeHeader"));
    const stream = rows.find((r) => r.name.startsWith("ours: WsFrame"))!;
    const target = batch.size <= 1024 ? 1.5 : 1;
    const ratio = pure.msPerBatch / core.msPerBatch;
    summary.push(
      `${direction} ${label(batch)}: ${core.name} ${
        ratio.toFixed(2)
      }x ws pure JS (target ${target}x: ${ratio >= target ? "met" : "MISSED"})${
        zeroCopy
          ? `; ${zeroCopy.name} ${
            (pure.msPerBatch / zeroCopy.msPerBatch).toFixed(2)
          }x`
          : ""
      }; stream ${(pure.msPerBatch / stream.msPerBatch).toFixed(2)}x`,
    );
  }
}
console.log("\n## targets\n");
for (const line of summary) console.log(`- ${line}`);
