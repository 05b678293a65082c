// Copyright 2026 the serverpush authors. MIT license.
// bench/runtimes.ts --quick runs every side and prints well-formed tables,
// each followed by its runtime's targets. Its figures are not checked (tests
// never fail on timing); only that both sides ran on each runtime: ours
// (Deno.serve on Deno, serve() on Node and Bun) and the competitor.

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";

const ROWS_PER_TABLE = 16;
/** The targets of #15 each runtime's table ends with. */
const TARGETS = [
  [
    /^target: echo round trips, every cell at least 0\.95x: /,
    /^target: RSS per idle connection at most 1\.1x: /,
  ],
  [
    /^target: echo round trips, every cell at least 1x: /,
    /^target: CPU per broadcast at most 1x: /,
    /^target: RSS per idle connection at most 1\.2x: /,
  ],
  [
    /^target: echo round trips, every cell at least 0\.9x: /,
    /^target: CPU per broadcast at most 1\.3x: /,
    /^target: RSS per idle connection at most 2x: /,
  ],
];
const NUMBER = /^-?(\d{1,3}(,\d{3})*|\d+\.\d)$/;

Deno.test({
  name: "bench/runtimes.ts --quick prints one well-formed table per runtime",
  // Three runtimes, six server processes and their clients.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const ratiosFile = await Deno.makeTempFile({ suffix: ".jsonl" });
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "bench/runtimes.ts",
        "--quick",
        "--ratios",
        ratiosFile,
      ],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout);
    strictEqual(code, 0, new TextDecoder().decode(stderr));

    const sections = output.split(/^## /m).slice(1);
    const titles = sections.map((section) => section.split(":")[0]);
    strictEqual(titles.length, 3, output);
    match(titles[0]!, /^Deno \d/);
    match(titles[1]!, /^Node v\d/);
    match(titles[2]!, /^Bun \d/);

    for (const [index, section] of sections.entries()) {
      // Every side runs: one that cannot prints "not run: <side>: <reason>".
      deepStrictEqual(
        [...section.matchAll(/^not run: .+$/gm)].map((m) => m[0]),
        [],
        section,
      );
      const rows = section.split("\n").filter((line) =>
        /^\| (?!measure|---)/.test(line)
      );
      strictEqual(rows.length, ROWS_PER_TABLE, section);
      for (const row of rows) {
        const [name, ours, theirs, ratio] = row.split("|").slice(1, -1).map((
          cell,
        ) => cell.trim());
        ok(name && ours && theirs && ratio, row);
        match(ours, NUMBER, `ours did not run: ${row}`);
        match(theirs, NUMBER, `the competitor did not run: ${row}`);
        // CPU is read in 10 ms ticks: a quick run may see 0 for theirs.
        if (Number(theirs.replaceAll(",", "")) > 0) {
          match(ratio, /^-?\d+\.\d\dx$/, row);
        } else {
          strictEqual(ratio, "n/a", row);
        }
      }
      // Each target says what was measured and whether it was met; a
      // --quick turn of theirs may read no CPU at all, so the fan-out's may
      // not be measured.
      const targets = section.split("\n").filter((line) =>
        line.startsWith("target: ")
      );
      strictEqual(targets.length, TARGETS[index]!.length, section);
      targets.forEach((line, i) => {
        match(line, TARGETS[index]![i]!);
        match(
          line,
          / \d+\.\d\d\dx.*: (met|NOT MET)$|^target: CPU .*: not measured$/,
        );
      });
    }

    // --ratios wrote each runtime's pairs; bench/runtimes_pool.ts pools
    // them and judges the same targets, with the worst cell's interval.
    const pooled = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/runtimes_pool.ts", ratiosFile, ratiosFile],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.remove(ratiosFile);
    const pool = new TextDecoder().decode(pooled.stdout);
    strictEqual(pooled.code, 0, new TextDecoder().decode(pooled.stderr));
    const poolSections = pool.split(/^## /m).slice(1);
    strictEqual(poolSections.length, 3, pool);
    for (const [index, section] of poolSections.entries()) {
      match(section, /: 2 runs, /);
      // Every echo cell, pooled over both copies of the run: twice the pairs.
      const cells = section.split("\n").filter((line) =>
        line.startsWith("| echo round trips, ")
      );
      strictEqual(cells.length, 6, section);
      for (const line of cells) {
        match(line, /^\| [^|]+ \| 2 \| 4 \| \d+\.\d{3}x \|/);
      }
      const targets = section.split("\n").filter((line) =>
        line.startsWith("target: ")
      );
      strictEqual(targets.length, TARGETS[index]!.length, section);
      targets.forEach((line, i) => match(line, TARGETS[index]![i]!));
    }
  },
});
