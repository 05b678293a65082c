// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints the report
// Side-by-side throughput of the WebSocket frame codec against npm:ws 8.23.0,
// in one process: decode and encode batches of 16 B, 125 B, 1 KiB, 64 KiB
// and 1 MiB binary frames, masked (a server reading client frames, a client
// writing them) and unmasked (a client reading server frames, a server
// writing them). The targets (issue 4) are against ws's pure-JS path: at
// least 1.5x on frames up to 1 KiB, at least 1x on 64 KiB and up.
//
//   deno run -A --v8-flags=--expose-gc bench/ws_report.ts [rounds]
//
// With --expose-gc, the report collects all garbage before each batch, so a
// batch does not pay for the garbage the batches before it left in the old
// generation (left to the collector, that slows down whichever code
// allocates most at the time: ours, which never writes into the chunks it
// is given and so unmasks into new memory, much more than ws, which unmasks
// in place). Garbage is not collected between samples: that would reset the
// collector's heuristics and make every sample pay for a cold heap.
//
// Every comparison pits ours against ws doing the same work; what that
// means for each is written next to it in bench/_ws_frame_cases.ts. In
// short: decoders get the same chunks (the batch cut into 64 KiB socket
// reads, so 64 KiB and 1 MiB frames arrive split) and deliver every payload;
// encoders write the same frames with the same masking (fresh random keys
// on both sides, or one given key on both sides) and the same output shape
// (a header plus the untouched payload on both sides, or one contiguous
// buffer on both sides).
//
// The numbers the README quotes (the "primary" columns):
// - decode: "core", our createFrameParser against ws's Receiver.write, one
//   long-lived parser or receiver each, as on a connection. ws's Receiver is
//   a push parser with an event per message, the same layer as ours.
// - encode, masked: "fresh keys", our createFrameEncoder({ role: "client" })
//   .encode against ws's Sender.frame({ mask: true, readOnly: true }): both
//   return one new buffer with the header and the masked payload, keyed from
//   a pool of random bytes.
// - encode, unmasked: "header + payload", our encodeHeader (the caller
//   writes the header, then the payload as it is) against ws's Sender.frame
//   (which returns [header, payload] for its caller to write).
// The other columns show the streams and the one-buffer forms, for scale.
// The stream columns are not like for like with ws, which has no frame
// stream: "stream" writes the chunks through one long-lived stream and reads
// the frames back, against ws's Receiver.write; "stream, new per batch"
// builds a stream and a pipe per batch, against a new Receiver per batch.
//
// Each round times every candidate once, for about SAMPLE_MS, in rotated
// order. The machine is shared, and other work only ever slows a sample
// down, so the headline statistic is the best of the rounds: a ratio is
// ws's best time over ours. In parentheses: the median over the rounds of
// ws's time over ours in the same round (both saw the same load then).
// Targets are judged on the best-of ratio.

import {
  type Candidate,
  type Cases,
  decodeCases,
  encodeCases,
} from "./_ws_frame_cases.ts";
import { type FrameBatch, makeAllBatches } from "./_ws_frame_fixtures.ts";
import { loadWsPeers } from "./_ws_peers.ts";

const ROUNDS = Number(Deno.args[0] ?? 11);
/** Target duration of one measurement. */
const SAMPLE_MS = 20;
/**
 * Pause before each measurement, so that freeing the memory one candidate
 * dropped (ArrayBuffers are swept on background threads) is not charged to
 * the next one.
 */
const SETTLE_MS = 5;
/** V8's collector, when --expose-gc exposed it. */
const gc = (globalThis as { gc?: () => void }).gc;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >>> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Lets the collector's background threads finish before a sample. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

async function timeIterations(
  candidate: Candidate,
  iterations: number,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await candidate.run();
  return (performance.now() - start) / iterations;
}

/** Milliseconds per batch of each candidate, one entry per round. */
async function measure(
  cases: Cases,
): Promise<Map<Candidate, number[]>> {
  const { candidates, expectedBytes } = cases;
  const iterations: number[] = [];
  for (const candidate of candidates) {
    const bytes = await candidate.run();
    if (!candidate.name.startsWith("floor:") && bytes !== expectedBytes) {
      throw new Error(
        `Cannot benchmark ${candidate.name}: it produced ${bytes} bytes, not ${expectedBytes}`,
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
  const samples = new Map<Candidate, number[]>(
    candidates.map((c) => [c, []]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so no candidate always runs first after a switch.
    for (let k = 0; k < candidates.length; k++) {
      const i = (k + round) % candidates.length;
      const candidate = candidates[i]!;
      await settle();
      samples.get(candidate)!.push(
        await timeIterations(candidate, iterations[i]!),
      );
    }
  }
  return samples;
}

/** ws's best time over ours, and the median of the per-round ratios. */
function ratio(ws: number[], ours: number[]): Ratio {
  return {
    best: Math.min(...ws) / Math.min(...ours),
    median: median(ws.map((w, round) => w / ours[round]!)),
  };
}

interface Ratio {
  best: number;
  median: number;
}

function formatRatio(r: Ratio): string {
  return `${r.best.toFixed(2)}x (${r.median.toFixed(2)}x)`;
}

function format(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

function sizeLabel(size: number): string {
  return size >= 1_048_576
    ? `${size / 1_048_576} MiB`
    : size >= 1024
    ? `${size / 1024} KiB`
    : `${size} B`;
}

function label(batch: FrameBatch): string {
  return `${sizeLabel(batch.size)} x ${batch.count}, ${
    batch.masked ? "masked" : "unmasked"
  }`;
}

const peers = loadWsPeers();
console.log(
  `# WebSocket frame codec vs npm:ws 8.23.0 (Deno ${Deno.version.deno}, V8 ${Deno.version.v8})`,
);
console.log(
  `\n${ROUNDS} rounds of ~${SAMPLE_MS} ms per candidate. Ratios are ws time / our time ` +
    "(above 1: ours is faster), best of the rounds, and in parentheses the median of the " +
    "per-round ratios. MB/s counts payload bytes (1 MB = 10^6 B).",
);
console.log(
  gc === undefined
    ? "garbage NOT collected between batches: run with --v8-flags=--expose-gc"
    : "garbage collected before each batch",
);
console.log(
  peers.bufferutil
    ? "ws with bufferutil 4.1.0: native addon loaded (shown for scale; the targets are against ws's pure-JS path)"
    : `ws with bufferutil: not measured (${peers.note})`,
);

interface SummaryCell {
  label: string;
  primary: boolean;
  ratio: Ratio;
}
interface SummaryRow {
  direction: string;
  batch: FrameBatch;
  cells: SummaryCell[];
  /** The primary comparison against ws with bufferutil, if it loaded. */
  native: Ratio | undefined;
}
const summary: SummaryRow[] = [];

for (const direction of ["decode", "encode"] as const) {
  console.log(`\n## ${direction}: every candidate\n`);
  console.log(
    "| batch | candidate | frames/s, best | MB/s, best | frames/s, median |",
  );
  console.log("| --- | --- | ---: | ---: | ---: |");
  for (const batch of makeAllBatches()) {
    const cases = direction === "decode"
      ? decodeCases(batch, peers)
      : encodeCases(batch, peers);
    gc?.();
    const samples = await measure(cases);
    for (const candidate of cases.candidates) {
      const times = samples.get(candidate)!;
      const best = Math.min(...times);
      const mid = median(times);
      console.log(
        `| ${label(batch)} | ${candidate.name} | ${
          format((batch.count / best) * 1000)
        } | ${((batch.count * batch.size) / best / 1000).toFixed(0)} | ${
          format((batch.count / mid) * 1000)
        } |`,
      );
    }
    summary.push({
      direction,
      batch,
      cells: cases.comparisons.map((c) => ({
        label: c.label,
        primary: c.primary,
        ratio: ratio(samples.get(c.ws)!, samples.get(c.ours)!),
      })),
      native: cases.comparisons
        .filter((c) => c.primary && c.wsNative !== undefined)
        .map((c) => ratio(samples.get(c.wsNative!)!, samples.get(c.ours)!))[0],
    });
  }
}

for (const direction of ["decode", "encode"]) {
  const rows = summary.filter((r) => r.direction === direction);
  const labels = [...new Set(rows.flatMap((r) => r.cells.map((c) => c.label)))];
  console.log(
    `\n## ${direction}: ours vs ws pure JS, best (median); primary in bold\n`,
  );
  console.log(
    `| batch | target | ${labels.join(" | ")} | primary vs ws+bufferutil |`,
  );
  console.log(
    `| --- | ---: | ${labels.map(() => "---:").join(" | ")} | ---: |`,
  );
  for (const { batch, cells, native } of rows) {
    const target = batch.size <= 1024 ? 1.5 : 1;
    const row = labels.map((name) => {
      const cell = cells.find((c) => c.label === name);
      if (cell === undefined) return "-";
      const text = formatRatio(cell.ratio);
      if (!cell.primary) return text;
      return `**${text}**${cell.ratio.best >= target ? "" : " MISSED"}`;
    });
    const scale = native === undefined ? "-" : formatRatio(native);
    console.log(
      `| ${label(batch)} | ${target}x | ${row.join(" | ")} | ${scale} |`,
    );
  }
}
