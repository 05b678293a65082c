// Copyright 2026 the serverpush authors. MIT license.
// bench/runtimes.ts --quick runs every side it can and prints well-formed
// tables. Its figures are not checked (tests never fail on timing); only
// that each competitor ran, that ours ran on Deno, and that a side that did
// not run says why.

import { match, ok, strictEqual } from "node:assert/strict";

const ROWS_PER_TABLE = 16;
const NUMBER = /^-?(\d{1,3}(,\d{3})*|\d+\.\d)$/;

Deno.test({
  name: "bench/runtimes.ts --quick prints one well-formed table per runtime",
  // Three runtimes, six server processes and their clients.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/runtimes.ts", "--quick"],
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
      const notRun = [...section.matchAll(/^not run: ([^:]+): (.+)$/gm)];
      const rows = section.split("\n").filter((line) =>
        /^\| (?!measure|---)/.test(line)
      );
      strictEqual(rows.length, ROWS_PER_TABLE, section);
      for (const row of rows) {
        const [name, ours, theirs, ratio] = row.split("|").slice(1, -1).map((
          cell,
        ) => cell.trim());
        ok(name && ours && theirs && ratio, row);
        match(theirs, NUMBER, `the competitor did not run: ${row}`);
        if (ours === "n/a") {
          ok(notRun.length === 1, `ours is n/a without a reason: ${row}`);
          strictEqual(ratio, "n/a");
        } else {
          match(ours, NUMBER, row);
          // CPU is read in 10 ms ticks: a quick run may see 0 for theirs.
          if (Number(theirs.replaceAll(",", "")) > 0) {
            match(ratio, /^-?\d+\.\d\dx$/, row);
          } else {
            strictEqual(ratio, "n/a", row);
          }
        }
      }
      // On Deno our side needs nothing unmerged: it must run.
      if (index === 0) strictEqual(notRun.length, 0, section);
    }
  },
});
