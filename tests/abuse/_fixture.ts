// Copyright 2026 the serverpush authors. MIT license.
// The side of the abuse harness that runs inside a server subprocess: it
// announces the server's address on stdout and answers memory questions on
// stdin, so the test measures the server from outside without touching the
// connections under attack.

/** What a fixture announces once its server listens. */
export interface FixtureReady {
  /** Port of the server under attack. */
  port: number;
  /** Anything else the test needs (paths, topic names). */
  [key: string]: unknown;
}

/** Memory of the server process, in bytes, after a full garbage collection. */
export interface FixtureMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

const encoder = new TextEncoder();

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * Prints `ready` as the first line of stdout, then answers each `mem` line
 * on stdin with one JSON line of {@linkcode FixtureMemory}. `onStop` runs
 * when stdin closes (the test ended); the process then exits.
 */
export async function runFixture(
  ready: FixtureReady,
  onStop?: () => Promise<void> | void,
): Promise<void> {
  await Deno.stdout.write(encoder.encode(JSON.stringify(ready) + "\n"));
  const lines = Deno.stdin.readable
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(
      new TransformStream<string, string>({
        transform(chunk, controller) {
          for (const line of chunk.split("\n")) {
            if (line) controller.enqueue(line);
          }
        },
      }),
    );
  for await (const line of lines) {
    if (line === "mem") {
      collect();
      // Let finalizers and closed sockets settle before measuring.
      await new Promise((resolve) => setTimeout(resolve, 50));
      collect();
      const { rss, heapUsed, external } = Deno.memoryUsage();
      const answer: FixtureMemory = { rss, heapUsed, external };
      await Deno.stdout.write(encoder.encode(JSON.stringify(answer) + "\n"));
    }
  }
  await onStop?.();
  Deno.exit(0);
}

/** The environment variable `name` as a number; `undefined` when unset. */
export function envNumber(name: string): number | undefined {
  const value = Deno.env.get(name);
  return value === undefined ? undefined : Number(value);
}

function ignoreSignal(): void {}

/**
 * Sets up the process's signal handling now. Deno 2.9 does it lazily, and
 * panics (the process aborts) if that first happens while the process is
 * out of descriptors (ext/signals/lib.rs: Signals::new(...).unwrap()). Any
 * signal listener registered at startup sets it up while descriptors are
 * free; a real server does the same with its SIGTERM/SIGINT handler.
 */
export function setUpSignals(): void {
  Deno.addSignalListener("SIGUSR2", ignoreSignal);
}
