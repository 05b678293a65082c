// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints the report
// Side-by-side throughput of the WebSocket frame codec against npm:ws 8.23.0:
// decode and encode batches of 16 B, 125 B, 1 KiB, 64 KiB
// and 1 MiB binary frames, masked (a server reading client frames, a client
// writing them) and unmasked (a client reading server frames, a server
// writing them). The targets (issue 4) are against ws's pure-JS path: at
// least 1.5x on frames up to 1 KiB, at least 1x on 64 KiB and up.
//
//   deno run -A bench/ws_report.ts [rounds]
//
// Each batch and direction is measured in a fresh child process (this file
// run with --child), so no batch inherits the heap, the collector's state
// or the JIT feedback of another: in one long process, the garbage and the
// fragmented memory the 1 MiB batches leave behind slowed down whatever
// allocated most afterwards (two to three times, for ws and ours alike),
// which made the small-frame figures depend on the order of the batches.
// Inside a child, both sides run in the same process, round by round.
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
// Expect about 1x on unmasked frames of 64 KiB and up: they arrive split
// across reads, and both sides then do the same thing, allocate the
// payload's size and copy the pieces in once, which is memory-bound.
// The stream columns are not like for like with ws, which has no frame
// stream: "stream" writes the chunks through one long-lived stream and reads
// the frames back, against ws's Receiver.write; "stream, new per batch"
// builds a stream and a pipe per batch, against a new Receiver per batch.
//
// Each round times every candidate once, for about SAMPLE_MS, in rotated
// order, after a short pause (SETTLE_MS) that lets the collector's
// background threads free what the previous candidate dropped. The machine
// is shared, and other work only ever slows a sample down, so the headline
// statistic is the best of the rounds: a ratio is ws's best time over ours. In parentheses: the median over the rounds of
// ws's time over ours in the same round (both saw the same load then).
// Targets are judged on the best-of ratio.

import { type Candidate, decodeCases, encodeCases } from "./_ws_frame_cases.ts";
import {
  BATCH_COUNT,
  type FrameBatch,
  makeBatch,
} from "./_ws_frame_fixtures.ts";
import { loadWsPeers } from "./_ws_peers.ts";
import { npmPackageMain } from "./_npm_package.ts";

/** Target duration of one measurement. */
const SAMPLE_MS = 20;
/**
 * Pause before each measurement, so that freeing the memory one candidate
 * dropped (ArrayBuffers are swept on background threads) is not charged to
 * the next one.
 */
const SETTLE_MS = 5;

type Direction = "decode" | "encode";

/** What a child reports for its batch. */
interface ChildResult {
  size: number;
  count: number;
  masked: boolean;
  names: string[];
  /** Milliseconds per batch, per candidate (by index), per round. */
  samples: number[][];
  comparisons: {
    label: string;
    primary: boolean;
    ours: number;
    ws: number;
    wsNative: number | undefined;
  }[];
}

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

/** Measures one batch in one direction (the child's job). */
async function measureBatch(
  direction: Direction,
  index: number,
  rounds: number,
): Promise<ChildResult> {
  const peers = loadWsPeers(await npmPackageMain("ws"));
  const batch = makeBatch(index);
  const cases = direction === "decode"
    ? decodeCases(batch, peers)
    : encodeCases(batch, peers);
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
  const samples: number[][] = candidates.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order, so no candidate always runs first after a switch.
    for (let k = 0; k < candidates.length; k++) {
      const i = (k + round) % candidates.length;
      await settle();
      samples[i]!.push(await timeIterations(candidates[i]!, iterations[i]!));
    }
  }
  const at = (c: Candidate): number => candidates.indexOf(c);
  return {
    size: batch.size,
    count: batch.count,
    masked: batch.masked,
    names: candidates.map((c) => c.name),
    samples,
    comparisons: cases.comparisons.map((c) => ({
      label: c.label,
      primary: c.primary,
      ours: at(c.ours),
      ws: at(c.ws),
      wsNative: c.wsNative === undefined ? undefined : at(c.wsNative),
    })),
  };
}

/** Runs one batch in a fresh process. */
async function runChild(
  direction: Direction,
  index: number,
  rounds: number,
): Promise<ChildResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      import.meta.filename!,
      "--child",
      direction,
      String(index),
      String(rounds),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) {
    throw new Error(
      `Cannot benchmark ${direction} batch ${index}: the child exited with code ${output.code}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

interface Ratio {
  best: number;
  median: number;
}

/** ws's best time over ours, and the median of the per-round ratios. */
function ratio(ws: number[], ours: number[]): Ratio {
  return {
    best: Math.min(...ws) / Math.min(...ours),
    median: median(ws.map((w, round) => w / ours[round]!)),
  };
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

function label(batch: Pick<FrameBatch, "size" | "count" | "masked">): string {
  return `${sizeLabel(batch.size)} x ${batch.count}, ${
    batch.masked ? "masked" : "unmasked"
  }`;
}

async function report(rounds: number): Promise<void> {
  const peers = loadWsPeers(await npmPackageMain("ws"));
  console.log(
    `# WebSocket frame codec vs npm:ws 8.23.0 (Deno ${Deno.version.deno}, V8 ${Deno.version.v8})`,
  );
  console.log(
    `\nOne process per batch; ${rounds} rounds of ~${SAMPLE_MS} ms per candidate. ` +
      "Ratios are ws time / our time (above 1: ours is faster), best of the rounds, " +
      "and in parentheses the median of the per-round ratios. " +
      "MB/s counts payload bytes (1 MB = 10^6 B).",
  );
  console.log(
    peers.bufferutil
      ? "ws with bufferutil 4.1.0: native addon loaded (shown for scale; the targets are against ws's pure-JS path)"
      : `ws with bufferutil: not measured (${peers.note})`,
  );

  const summary: { direction: Direction; result: ChildResult }[] = [];
  for (const direction of ["decode", "encode"] as const) {
    console.log(`\n## ${direction}: every candidate\n`);
    console.log(
      "| batch | candidate | frames/s, best | MB/s, best | frames/s, median |",
    );
    console.log("| --- | --- | ---: | ---: | ---: |");
    for (let index = 0; index < BATCH_COUNT; index++) {
      const result = await runChild(direction, index, rounds);
      result.names.forEach((name, i) => {
        const times = result.samples[i]!;
        const best = Math.min(...times);
        const mid = median(times);
        console.log(
          `| ${label(result)} | ${name} | ${
            format((result.count / best) * 1000)
          } | ${((result.count * result.size) / best / 1000).toFixed(0)} | ${
            format((result.count / mid) * 1000)
          } |`,
        );
      });
      summary.push({ direction, result });
    }
  }

  for (const direction of ["decode", "encode"] as const) {
    const rows = summary.filter((r) => r.direction === direction);
    const labels = [
      ...new Set(
        rows.flatMap((r) => r.result.comparisons.map((c) => c.label)),
      ),
    ];
    console.log(
      `\n## ${direction}: ours vs ws pure JS, best (median); primary in bold\n`,
    );
    console.log(
      `| batch | target | ${labels.join(" | ")} | primary vs ws+bufferutil |`,
    );
    console.log(
      `| --- | ---: | ${labels.map(() => "---:").join(" | ")} | ---: |`,
    );
    for (const { result } of rows) {
      const target = result.size <= 1024 ? 1.5 : 1;
      const samples = result.samples;
      const cells = labels.map((name) => {
        const c = result.comparisons.find((c) => c.label === name);
        if (c === undefined) return "-";
        const r = ratio(samples[c.ws]!, samples[c.ours]!);
        const text = formatRatio(r);
        if (!c.primary) return text;
        return `**${text}**${r.best >= target ? "" : " MISSED"}`;
      });
      const primary = result.comparisons.find((c) => c.primary);
      const scale = primary?.wsNative === undefined ? "-" : formatRatio(
        ratio(samples[primary.wsNative]!, samples[primary.ours]!),
      );
      console.log(
        `| ${label(result)} | ${target}x | ${cells.join(" | ")} | ${scale} |`,
      );
    }
  }
}

if (Deno.args[0] === "--child") {
  const direction = Deno.args[1] as Direction;
  const result = await measureBatch(
    direction,
    Number(Deno.args[2]),
    Number(Deno.args[3]),
  );
  console.log(JSON.stringify(result));
} else {
  await report(Number(Deno.args[0] ?? 11));
}
