// Copyright 2026 the serverpush authors. MIT license.
// `Deno.test` on Node's own test runner (`node:test`, which `bun test` also
// runs), for the bundles that tests/runtimes/run.ts builds. run.ts rewrites,
// in the parts of a bundle that come from tests/ only, `Deno.test(` and the
// few globals Node 20 lacks into `globalThis.__serverpushTests.<name>`, which
// this module installs. No global `Deno` is defined and no global is
// patched, so library code sees the runtime it really runs on: a library
// file calling `Promise.withResolvers` still fails on Node 20.
//
// Covered: the four call forms of `Deno.test`, `ignore` and `only`, and
// `t.step` (mapped onto subtests, awaited as Deno requires). Deno's
// sanitizers and permissions have no Node equivalent and are ignored; the
// same files still run under `deno test`, where they apply.

import process from "node:process";
import { test as nodeTest } from "node:test";
import { SKIPS } from "./_selection.ts";

declare const Bun: unknown;
/** Bound on one test, so a hang fails that test instead of the suite. */
const TEST_TIMEOUT_MS = 60_000;
const runtime = typeof Bun === "undefined" ? "node" : "bun";

type DenoFn = (t: DenoContext) => void | Promise<void>;

interface DenoDefinition {
  name?: string;
  fn?: DenoFn;
  ignore?: boolean;
  only?: boolean;
}

interface DenoContext {
  readonly name: string;
  step(
    nameOrDefinition: string | DenoDefinition | DenoFn,
    fn?: DenoFn,
  ): Promise<boolean>;
}

interface NodeContext {
  test(
    name: string,
    options: { skip?: string | boolean },
    fn: (t: NodeContext) => Promise<void>,
  ): Promise<void>;
}

function normalize(
  a: string | DenoDefinition | DenoFn,
  b?: DenoDefinition | DenoFn,
  c?: DenoFn,
): Required<Pick<DenoDefinition, "name" | "fn">> & DenoDefinition {
  if (typeof a === "function") return { name: a.name, fn: a };
  if (typeof a === "string") {
    if (typeof b === "function") return { name: a, fn: b };
    return { ...b, name: a, fn: c ?? b?.fn ?? missing(a) };
  }
  const fn = typeof b === "function" ? b : a.fn ?? missing(a.name ?? "");
  return { ...a, name: a.name ?? fn.name, fn };
}

function missing(name: string): never {
  throw new TypeError(`Deno.test "${name}" has no function`);
}

function context(name: string, node: NodeContext): DenoContext {
  return {
    name,
    async step(a, b) {
      const step = normalize(a, b);
      let passed = true;
      await node.test(
        step.name,
        { skip: step.ignore ? "ignored" : false },
        async (inner) => {
          try {
            await step.fn(context(step.name, inner));
          } catch (error) {
            passed = false;
            throw error;
          }
        },
      );
      return passed;
    },
  };
}

/** Registers one test on node:test, as `Deno.test` would on Deno. */
export function denoTest(
  a: string | DenoDefinition | DenoFn,
  b?: DenoDefinition | DenoFn,
  c?: DenoFn,
): void {
  const definition = normalize(a, b, c);
  const skip = SKIPS[runtime][definition.name] ??
    (definition.ignore ? "ignored" : false);
  nodeTest(
    definition.name,
    definition.only
      ? { skip, timeout: TEST_TIMEOUT_MS, only: true }
      : { skip, timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const started = performance.now();
      try {
        await definition.fn(
          context(definition.name, t as unknown as NodeContext),
        );
      } finally {
        // SERVERPUSH_TEST_TRACE=1 names each test and its time on stderr,
        // to find a slow one (reporters print only when the file ends).
        if (process.env.SERVERPUSH_TEST_TRACE) {
          process.stderr.write(
            `${
              Math.round(performance.now() - started)
            } ms ${definition.name}\n`,
          );
        }
      }
    },
  );
}

/** `Promise.withResolvers`, which Node 20 lacks (tests only). */
function withResolvers<T>(): PromiseWithResolvers<T> {
  if (typeof Promise.withResolvers === "function") {
    return Promise.withResolvers<T>();
  }
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** `Array.fromAsync` for async iterables, which Node 20 lacks (tests only). */
async function fromAsync<T>(
  items: AsyncIterable<T> | Iterable<T | PromiseLike<T>>,
): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** `CloseEvent`, which Node 20 and 22 lack (tests only). */
class CloseEventShim extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
    this.wasClean = init.wasClean ?? false;
  }
}

/** What run.ts points the rewritten names at. */
export const TEST_GLOBALS = {
  test: denoTest,
  withResolvers,
  fromAsync,
  CloseEvent: globalThis.CloseEvent ?? CloseEventShim,
};

(globalThis as Record<string, unknown>).__serverpushTests = TEST_GLOBALS;
