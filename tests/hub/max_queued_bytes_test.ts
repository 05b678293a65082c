// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, rejects, throws } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";

Deno.test("Hub closes a subscriber whose queued payload bytes exceed maxQueuedBytes", async () => {
  const hub = new Hub({ maxQueuedBytes: 10 });
  const reader = hub.subscribe("t").getReader();
  // Nothing is read: each message waits in the queue.
  await hub.publish("t", { data: "aaaaaa" });
  await hub.publish("t", { data: "bbbbbb" });
  await rejects(async () => {
    while (true) await reader.read();
  }, (error: unknown) => {
    ok(error instanceof RangeError);
    ok(error.message.includes("exceeds maxQueuedBytes of 10"), error.message);
    return true;
  });
  deepStrictEqual(hub.stats().subscribers, 0);
  await hub.close();
});

Deno.test("Hub drop-oldest drops down to maxQueuedBytes, keeping the newest message", async () => {
  const hub = new Hub({ maxQueuedBytes: 10, queuePolicy: "drop-oldest" });
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: "aaaaaa" });
  await hub.publish("t", { data: "bbbbbb" });
  await hub.publish("t", { data: "c".repeat(50) });
  const first = (await reader.read()).value!;
  deepStrictEqual(first.kind, "reset");
  const second = (await reader.read()).value!;
  deepStrictEqual(second.kind === "message" && second.data, "c".repeat(50));
  await reader.cancel();
  await hub.close();
});

Deno.test("Hub rejects a maxQueuedBytes that is not a positive integer", () => {
  throws(() => new Hub({ maxQueuedBytes: 0 }), RangeError);
  throws(() => new Hub({ maxQueuedBytes: 1.5 }), RangeError);
});
