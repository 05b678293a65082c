// Copyright 2026 the serverpush authors. MIT license.
import {
  deepStrictEqual,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { createDeflateLimiter } from "../../ws/deflate_limiter.ts";

/** A promise with its resolve function, to finish tasks on demand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

Deno.test("createDeflateLimiter runs at most maxConcurrent tasks, first in first out", async () => {
  const limiter = createDeflateLimiter(2);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const results = gates.map((g, i) =>
    limiter.run(async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await g.promise;
      running--;
      return i * 10;
    })
  );
  deepStrictEqual(started, [0, 1]);
  strictEqual(limiter.active, 2);
  strictEqual(limiter.pending, 2);
  gates[1]!.open();
  await results[1];
  await Promise.resolve();
  deepStrictEqual(started, [0, 1, 2]);
  for (const g of gates) g.open();
  deepStrictEqual(await Promise.all(results), [0, 10, 20, 30]);
  deepStrictEqual(started, [0, 1, 2, 3]);
  strictEqual(peak, 2);
  strictEqual(limiter.active, 0);
  strictEqual(limiter.pending, 0);
});

Deno.test("createDeflateLimiter frees the slot when a task fails", async () => {
  const limiter = createDeflateLimiter(1);
  const failing = limiter.run(() => Promise.reject(new RangeError("boom")));
  const next = limiter.run(() => Promise.resolve("next"));
  await rejects(failing, RangeError);
  strictEqual(await next, "next");
  strictEqual(limiter.active, 0);
});

Deno.test("createDeflateLimiter keeps order over many queued tasks", async () => {
  const limiter = createDeflateLimiter(1);
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 3000 }, (_, i) =>
      limiter.run(() => {
        order.push(i);
        return Promise.resolve();
      })),
  );
  deepStrictEqual(order, Array.from({ length: 3000 }, (_, i) => i));
  strictEqual(limiter.pending, 0);
});

Deno.test("createDeflateLimiter refuses a limit that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity]) {
    throws(() => createDeflateLimiter(bad), RangeError);
  }
});
