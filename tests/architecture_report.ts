// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// Prints every violation of the architecture rules in this repository (or in
// the tree given as the first argument) and exits with 1 if there is any.
//
//   deno run -A tests/architecture_report.ts [root]

import { ARCHITECTURE_CHECKS, REPO_ROOT } from "./_architecture.ts";

const root = Deno.args[0] === undefined
  ? REPO_ROOT
  : await Deno.realPath(Deno.args[0]);
const started = performance.now();
let total = 0;
for (const check of ARCHITECTURE_CHECKS) {
  const violations = await check.run(root);
  total += violations.length;
  const status = violations.length === 0
    ? "ok"
    : `${violations.length} violation${violations.length === 1 ? "" : "s"}`;
  console.log(`## ${check.name}: ${status}`);
  for (const violation of violations) console.log(`- ${violation}`);
  console.log();
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${total} violation${total === 1 ? "" : "s"} in ${seconds} s`);
if (total > 0) Deno.exit(1);
