// Copyright 2026 the serverpush authors. MIT license.
// The pooled targets in docs/performance-runtimes.md are what
// bench/runtimes_pool.ts prints for the runs kept in bench/results/: the
// figures in the docs come from the recorded pairs, not from a hand.

import { ok, strictEqual } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const RESULTS = "bench/results/runtimes-2026-12-05.jsonl";

Deno.test("the pooled targets in docs/performance-runtimes.md are what bench/runtimes_pool.ts prints for bench/results/", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/runtimes_pool.ts", RESULTS],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  strictEqual(code, 0, new TextDecoder().decode(stderr));
  const printed = new TextDecoder().decode(stdout).split("\n");
  const docs = await Deno.readTextFile(
    new URL("docs/performance-runtimes.md", ROOT),
  );
  const docLines = new Set(docs.split("\n"));
  const targets = printed.filter((line) => line.startsWith("target: "));
  // Deno's two targets, Node's three, Bun's three.
  strictEqual(targets.length, 8, printed.join("\n"));
  for (const line of targets) {
    ok(docLines.has(line), `not in the docs: ${line}`);
  }
  // And each pooled cell's row, figure for figure (the docs' tables are
  // aligned by the formatter: compare the cells, not the spacing).
  const cells = (line: string) =>
    line.split("|").slice(1, -1).map((cell) => cell.trim()).join("|");
  const docRows = new Set(
    docs.split("\n").filter((line) => line.startsWith("| ")).map(cells),
  );
  const rows = printed.filter((line) =>
    line.startsWith("| ") && !line.startsWith("| measure") &&
    !line.startsWith("| ---")
  );
  strictEqual(rows.length, 3 * 8, printed.join("\n"));
  for (const row of rows) {
    ok(docRows.has(cells(row)), `not in the docs: ${row}`);
  }
});
