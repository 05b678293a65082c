// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { createSsePushQueue } from "../../sse/mod.ts";

Deno.test("createSsePushQueue delivers pushed messages in order, then ends on close", async () => {
  const queue = createSsePushQueue();
  strictEqual(queue.push({ data: "a" }), true);
  strictEqual(queue.push({ id: "2", data: "b" }), true);
  strictEqual(queue.size, 2);
  strictEqual(queue.closed, false);
  queue.close();
  strictEqual(queue.closed, true);
  strictEqual(queue.push({ data: "late" }), false);
  deepStrictEqual(await Array.fromAsync(queue.readable), [
    { data: "a" },
    { id: "2", data: "b" },
  ]);
  strictEqual(queue.size, 0);
});

Deno.test("createSsePushQueue hands a message to a reader that is already waiting", async () => {
  const queue = createSsePushQueue();
  const reader = queue.readable.getReader();
  const read = reader.read();
  queue.push({ data: "x" });
  deepStrictEqual(await read, { done: false, value: { data: "x" } });
  const end = reader.read();
  queue.close();
  deepStrictEqual(await end, { done: true, value: undefined });
});

Deno.test("createSsePushQueue keeps messages in its own bounded list until read", async () => {
  const queue = createSsePushQueue({ maxQueuedMessages: 3 });
  const reader = queue.readable.getReader();
  for (const data of ["a", "b", "c"]) queue.push({ data });
  // Nothing has been read: the stream itself buffers nothing (high water
  // mark 0), so all three count.
  strictEqual(queue.size, 3);
  deepStrictEqual(await reader.read(), { done: false, value: { data: "a" } });
  strictEqual(queue.size, 2);
  await reader.cancel();
});

Deno.test("createSsePushQueue under the close policy errors the readable on overflow", async () => {
  const reasons: unknown[] = [];
  const queue = createSsePushQueue({
    maxQueuedMessages: 2,
    onClose: (reason) => reasons.push(reason),
  });
  strictEqual(queue.push({ data: "a" }), true);
  strictEqual(queue.push({ data: "b" }), true);
  strictEqual(queue.push({ data: "c" }), false);
  strictEqual(queue.closed, true);
  strictEqual(queue.size, 0);
  strictEqual(queue.push({ data: "d" }), false);
  strictEqual(reasons.length, 1);
  ok(reasons[0] instanceof RangeError);
  await rejects(Array.fromAsync(queue.readable), RangeError);
});

Deno.test("createSsePushQueue under the drop-oldest policy keeps the newest messages", async () => {
  const queue = createSsePushQueue({
    maxQueuedMessages: 3,
    policy: "drop-oldest",
  });
  for (let i = 0; i < 10; i++) {
    strictEqual(queue.push({ data: String(i) }), true);
    ok(queue.size <= 3);
  }
  queue.close();
  deepStrictEqual(
    (await Array.fromAsync(queue.readable)).map((message) => message.data),
    ["7", "8", "9"],
  );
});

Deno.test("createSsePushQueue under the close policy errors the readable past maxQueuedBytes", async () => {
  const queue = createSsePushQueue({ maxQueuedBytes: 10 });
  strictEqual(queue.push({ data: "12345" }), true);
  strictEqual(queue.push({ data: "1234", event: "e" }), true);
  strictEqual(queue.queuedBytes, 10);
  strictEqual(queue.push({ data: "x" }), false);
  strictEqual(queue.closed, true);
  strictEqual(queue.queuedBytes, 0);
  await rejects(Array.fromAsync(queue.readable), /maxQueuedBytes of 10/);
});

Deno.test("createSsePushQueue under the drop-oldest policy drops to fit maxQueuedBytes and keeps the newest", async () => {
  const queue = createSsePushQueue({
    maxQueuedBytes: 10,
    policy: "drop-oldest",
  });
  for (const data of ["aaaa", "bbbb", "cccc", "dddddddddddddddd", "ee"]) {
    strictEqual(queue.push({ data }), true);
    ok(queue.queuedBytes <= 16);
  }
  queue.close();
  deepStrictEqual(
    (await Array.fromAsync(queue.readable)).map((message) => message.data),
    ["ee"],
  );
});

Deno.test("createSsePushQueue counts only what is not yet read against maxQueuedBytes", async () => {
  const queue = createSsePushQueue({ maxQueuedBytes: 8 });
  const reader = queue.readable.getReader();
  for (let i = 0; i < 100; i++) {
    strictEqual(queue.push({ data: "12345678" }), true);
    strictEqual((await reader.read()).value?.data, "12345678");
    strictEqual(queue.queuedBytes, 0);
  }
  queue.close();
  strictEqual((await reader.read()).done, true);
});

Deno.test("createSsePushQueue drops oldest in order over many wraps", async () => {
  // Exercises the moving head and its compaction.
  const queue = createSsePushQueue({
    maxQueuedMessages: 1500,
    policy: "drop-oldest",
  });
  for (let i = 0; i < 5000; i++) queue.push({ data: String(i) });
  strictEqual(queue.size, 1500);
  queue.close();
  const data = (await Array.fromAsync(queue.readable)).map((m) => m.data);
  deepStrictEqual(
    data,
    Array.from({ length: 1500 }, (_, i) => String(3500 + i)),
  );
});

Deno.test("createSsePushQueue closes when its readable is cancelled", async () => {
  const reasons: unknown[] = [];
  const queue = createSsePushQueue({
    onClose: (reason) => reasons.push(reason),
  });
  queue.push({ data: "a" });
  await queue.readable.cancel("gone");
  strictEqual(queue.closed, true);
  strictEqual(queue.size, 0);
  strictEqual(queue.push({ data: "b" }), false);
  deepStrictEqual(reasons, ["gone"]);
});

Deno.test("createSsePushQueue calls onClose once", () => {
  let calls = 0;
  const queue = createSsePushQueue({ onClose: () => calls++ });
  queue.close();
  queue.close();
  queue.push({ data: "x" });
  strictEqual(calls, 1);
});

Deno.test("createSsePushQueue refuses bad options", () => {
  for (const maxQueuedMessages of [0, -1, 1.5, NaN, Infinity]) {
    throws(() => createSsePushQueue({ maxQueuedMessages }), RangeError);
    throws(
      () => createSsePushQueue({ maxQueuedBytes: maxQueuedMessages }),
      RangeError,
    );
  }
  throws(
    () => createSsePushQueue({ policy: "block" as "close" }),
    TypeError,
  );
});
