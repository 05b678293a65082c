// Copyright 2026 the serverpush authors. MIT license.

/**
 * Bundles entries of the library into single ES modules with
 * `deno bundle`: the prebuilt `dist/client.js` (run this file to rebuild
 * it: `deno task build:client`, which prints its size), and the bundles
 * the browser and Node tests load.
 *
 * @module
 */

/** The repository root, as a path. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** The prebuilt client bundle, committed to the repository. */
export const DIST_CLIENT = "dist/client.js";

/** Options for {@linkcode bundle}. */
export interface BundleOptions {
  /** `browser` for pages, `deno` for Node and Deno (keeps `node:` built-ins). */
  platform: "browser" | "deno";
  /** Minify the output. */
  minify?: boolean;
}

/**
 * Bundles `entry` (a path relative to the root) into `output`.
 *
 * @throws {Error} With `deno bundle`'s output if it fails.
 */
export async function bundle(
  entry: string,
  output: string,
  options: BundleOptions,
): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      `--platform=${options.platform}`,
      ...(options.minify ? ["--minify"] : []),
      "--output",
      output,
      entry,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const text = new TextDecoder().decode(result.stderr);
    throw new Error(`Cannot bundle ${entry}: ${text.trim().slice(0, 2000)}`);
  }
}

/** Writes the client bundle to `output` (the same way `dist/` gets it). */
export function bundleClient(output: string): Promise<void> {
  return bundle("client/mod.ts", output, { platform: "browser", minify: true });
}

/** Size in bytes of `bytes` gzip-compressed. */
export async function gzipSize(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<number> {
  const stream = ReadableStream.from<BufferSource>([bytes]).pipeThrough(
    new CompressionStream("gzip"),
  );
  let size = 0;
  for await (const chunk of stream) size += chunk.length;
  return size;
}

if (import.meta.main) {
  await bundleClient(`${ROOT}${DIST_CLIENT}`);
  const bytes = await Deno.readFile(`${ROOT}${DIST_CLIENT}`);
  // deno-lint-ignore no-console
  console.log(
    `${DIST_CLIENT}: ${bytes.length} bytes, ${await gzipSize(
      bytes,
    )} bytes gzipped`,
  );
}
