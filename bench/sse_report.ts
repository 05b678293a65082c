// Copyright 2026 the serverpush authors. MIT license.
// Measures the SSE codec against eventsource-parser and eventsource-encoder
// in one process and prints tables of throughput and of ratios against the
// project's targets. Run: deno run -A bench/sse_report.ts [rounds]
//
// The cases are those of bench/sse_bench.ts (bench/_sse_cases.ts). Each runs
// `rounds` times (default 9) after 2 warm-up rounds, the cases of a group
// interleaved round by round so that changes in machine load hit them
// alike; the tables show medians. MB/s counts the corpus bytes (decoders)
// or the encoded bytes (encoders), 1 MB = 10^6 bytes; events/s counts the
// corpus' events, which is also the number of encoded messages.

import { type SseGroup, sseGroups } from "./_sse_cases.ts";
import { table } from "./_table.ts";

const rounds = Number(Deno.args[0] ?? 9);
const { corpus, groups } = sseGroups();
const events = corpus.events.length;

/** Median milliseconds of each case of `group`. */
async function measure(group: SseGroup): Promise<number[]> {
  const times: number[][] = group.cases.map(() => []);
  for (let round = -2; round < rounds; round++) {
    for (const [i, c] of group.cases.entries()) {
      const start = performance.now();
      const count = await c.run();
      const elapsed = performance.now() - start;
      if (count !== events) {
        throw new Error(`${group.name}: ${c.name} gave ${count} events`);
      }
      if (round >= 0) times[i]!.push(elapsed);
    }
  }
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)]!;
  });
}

const rows: string[][] = [];
const ratios: string[][] = [];
for (const group of groups) {
  const times = await measure(group);
  for (const [i, c] of group.cases.entries()) {
    const ms = times[i]!;
    rows.push([
      i === 0 ? group.name : "",
      c.name,
      ms.toFixed(1),
      (group.bytes / ms / 1000).toFixed(0),
      `${(events / ms / 1000).toFixed(2)} M`,
    ]);
  }
  const [ours, reference, floor] = times as [number, number, number?];
  const ratio = reference / ours;
  ratios.push([
    group.name,
    group.cases[1]!.name,
    `${ratio.toFixed(2)}x`,
    `>= ${group.target}x`,
    ratio >= group.target ? "met" : "not met",
  ]);
  if (floor !== undefined && group.floorTarget !== undefined) {
    const value = floor / ours;
    ratios.push([
      "",
      "floor",
      `${value.toFixed(2)}x`,
      `>= ${group.floorTarget}x`,
      value >= group.floorTarget ? "met" : "not met",
    ]);
  } else if (floor !== undefined && group.name.includes("core")) {
    ratios.push([
      "",
      "(the floor's own ratio: the most any parser could reach)",
      `${(reference / floor).toFixed(2)}x`,
      "",
      "",
    ]);
  }
}

const { small, multiLine, long, comment } = corpus.blocks;
// deno-lint-ignore no-console
console.log([
  `SSE codec, median of ${rounds} rounds. Deno ${Deno.version.deno}, V8 ${Deno.version.v8}.`,
  `Corpus: ${corpus.bytes.length} bytes, ${events} events (${small} small JSON, ${multiLine} multi-line, ${long} long lines; ${comment} comment blocks).`,
  "",
  table(["group", "case", "ms", "MB/s", "events/s"], rows),
  "",
  table(
    ["group", "ours against (its time / our time)", "ratio", "target", ""],
    ratios,
  ),
].join("\n"));
