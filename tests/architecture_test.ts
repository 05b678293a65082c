// Copyright 2026 the serverpush authors. MIT license.
// The layers of DESIGN.md, checked on the real import graph: no circles,
// arrows only downwards, browser-compatible files that are, and every entry
// of deno.json documented on its own. The rules are in _architecture.ts.

import { deepStrictEqual } from "node:assert/strict";
import { ARCHITECTURE_CHECKS, REPO_ROOT } from "./_architecture.ts";

for (const check of ARCHITECTURE_CHECKS) {
  Deno.test(`architecture: ${check.name}`, async () => {
    const violations = await check.run(REPO_ROOT);
    deepStrictEqual(violations, [], violations.join("\n"));
  });
}
