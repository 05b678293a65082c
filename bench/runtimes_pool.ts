// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
/**
 * Pools the pairs of several runs of bench/runtimes.ts, and judges the
 * targets of #15 on them:
 *
 *   nice deno run -A bench/runtimes.ts --ratios .out/ratios.jsonl   # N times
 *   deno run -A bench/runtimes_pool.ts .out/ratios.jsonl [--self]
 *
 * One run's median of 24 pairs moves by a few percent from run to run (in a
 * 64 KiB cell, by up to ten), which is as much as a target's margin; the
 * pairs of many runs together give a median that moves far less, and its
 * 95% confidence interval says how far. Per runtime (and per `--self` or
 * not), this prints each echo cell's pooled median, middle half and
 * interval, over how many runs and pairs; the same for the CPU per
 * broadcast; the median over the runs of the RSS ratio; and then the
 * target lines, judged as bench/runtimes.ts judges one run. Records of
 * `--self` runs are pooled apart, and only with `--self`.
 */

import {
  interval,
  median,
  middleHalf,
  paired,
  type RatiosRecord,
  targetLines,
  TARGETS,
} from "./runtimes/_pairs.ts";

const files = Deno.args.filter((arg) => !arg.startsWith("--"));
const self = Deno.args.includes("--self");
if (files.length === 0) {
  throw new TypeError(
    "Usage: deno run -A bench/runtimes_pool.ts FILE... [--self]",
  );
}

const records: RatiosRecord[] = [];
for (const file of files) {
  for (const line of Deno.readTextFileSync(file).split("\n")) {
    if (line.trim() !== "") records.push(JSON.parse(line));
  }
}

for (const runtime of ["deno", "node", "bun"] as const) {
  const runs = records.filter((record) =>
    record.runtime === runtime && record.self === self
  );
  if (runs.length === 0) continue;
  const titles = [...new Set(runs.map((run) => run.title))].join(", ");
  console.log(
    `\n## ${titles}${self ? " (--self)" : ""}: ${runs.length} runs, ${
      runs[0]!.at
    } to ${runs.at(-1)!.at}\n`,
  );
  console.log(
    "| measure | runs | pairs | median | middle half | 95% CI of the median |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  const echoes: [string, NonNullable<ReturnType<typeof paired>>][] = [];
  const cells = [...new Set(runs.flatMap((run) => Object.keys(run.echo)))];
  for (const cell of cells) {
    const withCell = runs.filter((run) => run.echo[cell] !== undefined);
    const pair = paired(withCell.flatMap((run) => run.echo[cell]!));
    if (pair === undefined) continue;
    echoes.push([cell, pair]);
    console.log(
      `| echo round trips, ${cell} | ${withCell.length} | ${pair.n} | ${
        pair.median.toFixed(3)
      }x | ${middleHalf(pair)} | ${interval(pair)} |`,
    );
  }
  const withFanout = runs.filter((run) => run.fanout !== undefined);
  const fanout = paired(withFanout.flatMap((run) => run.fanout!));
  if (fanout !== undefined) {
    console.log(
      `| server CPU per broadcast | ${withFanout.length} | ${fanout.n} | ${
        fanout.median.toFixed(3)
      }x | ${middleHalf(fanout)} | ${interval(fanout)} |`,
    );
  }
  const rssRuns = runs.flatMap((run) => run.rss === undefined ? [] : [run.rss]);
  const rss = rssRuns.length === 0 ? undefined : median(rssRuns);
  if (rss !== undefined) {
    console.log(
      `| RSS per idle connection (median of the runs) | ${rssRuns.length} | | ${
        rss.toFixed(3)
      }x | | |`,
    );
  }
  console.log("");
  for (const line of targetLines(TARGETS[runtime], echoes, fanout, rss)) {
    console.log(line);
  }
}
