// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// Runs the runtime-neutral tests (tests/runtimes/_selection.ts) on Node's
// own test runner and on Bun, over a bundle per runtime made with
// `deno bundle` (the runtime's EXCLUDED files left out):
//
//   deno run -A tests/runtimes/run.ts [node] [bun]
//
// 1. An entry that imports _deno_test.ts, then every selected file, is
//    bundled by `deno bundle` (npm packages included, `node:` left as is).
// 2. In the parts of the bundle that come from tests/ only (esbuild marks
//    each module with a `// path` line), `Deno.test(` and the globals Node 20
//    lacks become `globalThis.__serverpushTests.*` (see _deno_test.ts).
//    Library code is left exactly as bundled.
// 3. esbuild (the one `deno bundle` uses) lowers the syntax Node 20 lacks
//    (`using`, `await using`, used by the tests only) to ES2023.
// 4. Node (the file itself, node:test's TAP reporter) and `bun test` run it;
//    their summaries are parsed into one line each, "runtime <name> <version>: N passed, N failed,
//    N skipped", which .ci/run adds to its closing line. Counts are top-level
//    tests, as Deno counts them (steps run as subtests and fail their test).
//
// Each runtime also prints "runtime <name>: not run yet: <file>: <reason>"
// per excluded file. Bun is the npm package pinned in
// tools/runtimes/package.json, installed with `npm ci` when missing. Exits
// non-zero if any runtime fails.
//
// A test file runs everywhere if it uses only `Deno.test` / `t.step` from
// Deno and web or `node:` APIs otherwise; list it in _selection.ts.

import { transform } from "npm:esbuild@0.25.5";
import { EXCLUDED, FILES } from "./_selection.ts";
import { BUN, denoBundle, ensureBun } from "../../bench/runtimes/_toolchain.ts";

const ROOT = new URL("../../", import.meta.url);
const OUT = new URL(".out/runtimes/", ROOT);
/** Whole-suite bound per runtime; single tests have their own timeouts. */
const SUITE_TIMEOUT_MS = 5 * 60_000;

/** Names rewritten in test code, and what they become. */
const REWRITES: readonly [RegExp, string][] = [
  [/\bDeno\.test\(/g, "globalThis.__serverpushTests.test("],
  [
    /\bPromise\.withResolvers\(/g,
    "globalThis.__serverpushTests.withResolvers(",
  ],
  [/\bArray\.fromAsync\(/g, "globalThis.__serverpushTests.fromAsync("],
  [/\bnew CloseEvent\(/g, "new globalThis.__serverpushTests.CloseEvent("],
];

/** Summary of one runtime's run. */
export interface RuntimeResult {
  runtime: string;
  version: string;
  passed: number;
  failed: number;
  skipped: number;
}

/** Rewrites the test parts of an esbuild bundle (see the header). */
export function rewriteTestSections(bundle: string): string {
  let inTests = false;
  return bundle.split("\n").map((line) => {
    const marker = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(line);
    if (marker) {
      const path = marker[1]!;
      inTests = path.startsWith("tests/") &&
        !path.startsWith("tests/runtimes/");
      return line;
    }
    if (!inTests) return line;
    return REWRITES.reduce((text, [from, to]) => text.replace(from, to), line);
  }).join("\n");
}

/**
 * Counts top-level results in node:test TAP output: lines "ok N - name" and
 * "not ok N - name" at column 0, "# SKIP" marking a skipped one.
 */
export function parseTap(
  tap: string,
): Omit<RuntimeResult, "runtime" | "version"> {
  let passed = 0, failed = 0, skipped = 0;
  for (const line of tap.split("\n")) {
    if (/^ok \d+ /.test(line)) {
      if (/ # SKIP\b/.test(line)) skipped++;
      else passed++;
    } else if (/^not ok \d+ /.test(line)) failed++;
  }
  return { passed, failed, skipped };
}

/** Reads bun test's closing counts (" 12 pass", " 1 fail", " 2 skip"). */
export function parseBunSummary(
  output: string,
): Omit<RuntimeResult, "runtime" | "version"> {
  const count = (word: string): number => {
    const match = new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(output);
    return match ? Number(match[1]) : 0;
  };
  return {
    passed: count("pass"),
    failed: count("fail"),
    skipped: count("skip"),
  };
}

async function run(
  command: string,
  args: string[],
  cwd = ROOT,
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", FORCE_COLOR: "0" },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, SUITE_TIMEOUT_MS);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

async function bundle(runtime: "node" | "bun"): Promise<string> {
  await Deno.mkdir(OUT, { recursive: true });
  const excluded = EXCLUDED[runtime];
  for (const [file, reason] of Object.entries(excluded)) {
    console.log(`runtime ${runtime}: not run yet: ${file}: ${reason}`);
  }
  const entry = new URL(`${runtime}.entry.ts`, OUT);
  await Deno.writeTextFile(
    entry,
    [
      'import "../../tests/runtimes/_deno_test.ts";',
      ...FILES.filter((file) => !(file in excluded)).map((file) =>
        `import "../../${file}";`
      ),
      "",
    ].join("\n"),
  );
  const raw = new URL(`${runtime}.raw.mjs`, OUT).pathname;
  await denoBundle(entry.pathname, raw);
  const lowered = await transform(
    rewriteTestSections(await Deno.readTextFile(raw)),
    { loader: "js", format: "esm", target: "es2023" },
  );
  const suite = new URL(`${runtime}.test.mjs`, OUT).pathname;
  await Deno.writeTextFile(suite, lowered.code);
  return suite;
}

/** Prints the failing part of the output, then the summary line. */
function report(result: RuntimeResult, output: string, code: number): void {
  if (result.failed > 0 || code !== 0) console.log(output);
  if (code !== 0 && result.failed === 0) {
    // The run broke before or outside a test (a load error, a timeout).
    result.failed = 1;
  }
  console.log(
    `runtime ${result.runtime} ${result.version}: ${result.passed} passed, ` +
      `${result.failed} failed, ${result.skipped} skipped`,
  );
}

async function runNode(): Promise<RuntimeResult> {
  const suite = await bundle("node");
  const version = (await run("node", ["--version"])).output.trim();
  // The file itself, not `--test`: one process, so the suite bound kills
  // all of it.
  const { code, output } = await run("node", [
    "--test-reporter=tap",
    "--test-force-exit",
    suite,
  ]);
  const result = { runtime: "node", version, ...parseTap(output) };
  report(result, failingTap(output), code);
  return result;
}

/** Keeps the failing blocks of a TAP stream (and load errors), not the passes. */
function failingTap(tap: string): string {
  const keep: string[] = [];
  let inFailure = false;
  for (const line of tap.split("\n")) {
    if (/^\s*(not ok|ok) \d+ /.test(line)) {
      inFailure = /^\s*not ok /.test(line);
    }
    if (inFailure || /^# (?!Subtest)/.test(line)) keep.push(line);
  }
  return keep.join("\n");
}

async function runBun(): Promise<RuntimeResult> {
  const suite = await bundle("bun");
  await ensureBun();
  const version = (await run(BUN, ["--version"])).output.trim();
  const { code, output } = await run(BUN, [
    "test",
    "--timeout=60000",
    suite,
  ], OUT);
  const result = { runtime: "bun", version, ...parseBunSummary(output) };
  report(result, bunFailures(output), code);
  return result;
}

/** Keeps the lines of bun test's output that explain failures. */
function bunFailures(output: string): string {
  return output.split("\n").filter((line) => !/^\(pass\)/.test(line))
    .join("\n");
}

if (import.meta.main) {
  const wanted = Deno.args.length > 0 ? Deno.args : ["node", "bun"];
  const results: RuntimeResult[] = [];
  if (wanted.includes("node")) results.push(await runNode());
  if (wanted.includes("bun")) results.push(await runBun());
  Deno.exit(results.every((result) => result.failed === 0) ? 0 : 1);
}
