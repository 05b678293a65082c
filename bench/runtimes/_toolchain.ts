// Copyright 2026 the serverpush authors. MIT license.
// The two tools bench/runtimes.ts and tests/runtimes/run.ts share: Bun (the
// npm package pinned in tools/runtimes/package.json, installed with `npm ci`
// when missing) and `deno bundle`, which turns a TypeScript entry into one
// ES module that Node 20 and Bun run (npm packages inside, `node:` left).

const ROOT = new URL("../../", import.meta.url);

/** The pinned Bun binary. */
export const BUN: string =
  new URL("tools/runtimes/node_modules/.bin/bun", ROOT).pathname;

/** Installs tools/runtimes (the pinned Bun) unless it is there. */
export async function ensureBun(): Promise<void> {
  try {
    await Deno.stat(BUN);
    return;
  } catch {
    // Not installed yet.
  }
  const installed = await new Deno.Command("npm", {
    args: ["ci", "--no-audit", "--no-fund", "--prefix", "tools/runtimes"],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!installed.success) {
    throw new Error(
      `Cannot install Bun: npm ci in tools/runtimes failed:\n${
        new TextDecoder().decode(installed.stderr)
      }`,
    );
  }
}

/** Bundles `entry` (a path from the repository root) into `output`. */
export async function denoBundle(entry: string, output: string): Promise<void> {
  const built = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--format",
      "esm",
      "--output",
      output,
      entry,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!built.success) {
    throw new Error(
      `Cannot bundle ${entry}:\n${new TextDecoder().decode(built.stderr)}`,
    );
  }
}
