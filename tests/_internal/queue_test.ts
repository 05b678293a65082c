// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Queue } from "../../_internal/queue.ts";
import { backoffDelay } from "../../_internal/backoff.ts";
import { sleep } from "../../_internal/sleep.ts";
import { truncate } from "../../_internal/truncate.ts";

Deno.test("Queue hands items out in order across compactions", () => {
  const queue = new Queue<number>();
  const out: number[] = [];
  for (let i = 0; i < 5000; i++) {
    queue.push(i);
    if (i % 3 !== 0) out.push(queue.shift()!);
  }
  while (queue.length > 0) out.push(queue.shift()!);
  deepStrictEqual(out, Array.from({ length: 5000 }, (_, i) => i));
  strictEqual(queue.shift(), undefined);
});

Deno.test("Queue peeks, iterates and clears", () => {
  const queue = new Queue<string>();
  queue.push("a");
  queue.push("b");
  strictEqual(queue.peek(), "a");
  deepStrictEqual([...queue], ["a", "b"]);
  queue.clear();
  strictEqual(queue.length, 0);
  strictEqual(queue.peek(), undefined);
});

Deno.test("backoffDelay doubles per failure up to the cap, with equal jitter", () => {
  strictEqual(backoffDelay(0, 100, 1000, () => 0), 50);
  strictEqual(backoffDelay(0, 100, 1000, () => 1), 100);
  strictEqual(backoffDelay(3, 100, 1000, () => 1), 800);
  strictEqual(backoffDelay(60, 100, 1000, () => 1), 1000);
});

Deno.test("sleep resolves at once on an aborted signal", async () => {
  const controller = new AbortController();
  const waiting = sleep(60_000, controller.signal);
  controller.abort();
  await waiting;
});

Deno.test("truncate cuts long text and marks the cut", () => {
  strictEqual(truncate("short"), "short");
  strictEqual(truncate("x".repeat(50), 10), `${"x".repeat(10)}...`);
});
