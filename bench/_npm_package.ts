// Copyright 2026 the serverpush authors. MIT license.
// Where an npm package of deno.json's imports (such as `ws`) is on disk,
// for a benchmark that hands it to a Node process. A fresh clone has no
// node_modules until something installs it, so a package that cannot be
// found is installed once with `deno install` (deno.json's imports, into
// node_modules) and looked up again.

import { createRequire } from "node:module";

const ROOT = new URL("../", import.meta.url);

function resolve(name: string): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(name);
  } catch {
    return undefined;
  }
}

/**
 * The main file of npm package `name` in node_modules, installing
 * deno.json's imports first when it is not there.
 */
export async function npmPackageMain(name: string): Promise<string> {
  const found = resolve(name);
  if (found !== undefined) return found;
  const installed = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--quiet"],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  const again = resolve(name);
  if (again !== undefined) return again;
  throw new Error(
    `Cannot find npm package ${name} in node_modules, even after deno install:\n${
      new TextDecoder().decode(installed.stderr)
    }`,
  );
}
