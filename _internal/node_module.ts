// Copyright 2026 the serverpush authors. MIT license.
// Private: a built-in `node:` module, taken at call time from
// `process.getBuiltinModule` (Node 20.16 or later, Deno 2, Bun) rather than
// imported, so that importing a file of ours loads nothing of the platform:
// on Bun, `node:zlib` alone adds about half a megabyte to the JavaScript
// heap, which every eden collection then pays for.

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/**
 * The built-in module `name` (such as `"node:zlib"`).
 *
 * @throws {TypeError} If the runtime has no `process.getBuiltinModule`.
 */
export function nodeModule<T>(name: string): T {
  const process = (globalThis as { process?: NodeProcess }).process;
  const load = process?.getBuiltinModule;
  if (load === undefined) {
    throw new TypeError(
      `Cannot load ${name}: process.getBuiltinModule is missing (Node 20.16 or later, Deno 2 and Bun have it)`,
    );
  }
  return load.call(process, name) as T;
}
