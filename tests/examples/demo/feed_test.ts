// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { createDemoFeed } from "../../../examples/demo/feed.ts";
import { demoEvent } from "../../../examples/demo/events.ts";

function ids(events: { id: string }[]): number[] {
  return events.map((event) => Number(event.id));
}

Deno.test("createDemoFeed publishes demoEvent 1, 2, 3 ... to subscribers", () => {
  const feed = createDemoFeed();
  const seen: string[] = [];
  const unsubscribe = feed.subscribe((event) => seen.push(event.id));
  deepStrictEqual(feed.publish(), demoEvent(1));
  feed.publish();
  unsubscribe();
  feed.publish();
  deepStrictEqual(seen, ["1", "2"]);
  strictEqual(feed.lastId, 3);
});

Deno.test("createDemoFeed keeps only the last capacity events for replay", () => {
  const feed = createDemoFeed({ capacity: 4 });
  for (let i = 0; i < 10; i++) feed.publish();
  deepStrictEqual(ids(feed.since(0)), [7, 8, 9, 10]);
  deepStrictEqual(ids(feed.since(8)), [9, 10]);
  deepStrictEqual(ids(feed.since(10)), []);
  deepStrictEqual(feed.since(7), [demoEvent(8), demoEvent(9), demoEvent(10)]);
});

Deno.test("createDemoFeed continues after a given lastId", () => {
  const feed = createDemoFeed({ lastId: 41 });
  deepStrictEqual(feed.since(0), []);
  deepStrictEqual(feed.publish(), demoEvent(42));
  deepStrictEqual(ids(feed.since(0)), [42]);
});

Deno.test("createDemoFeed waitFor resolves once the id is published", async () => {
  const feed = createDemoFeed();
  const waiting = feed.waitFor(2);
  feed.publish();
  feed.publish();
  await waiting;
  await feed.waitFor(1);
  strictEqual(feed.lastId, 2);
});

Deno.test("createDemoFeed publishes on a timer between start and stop", async () => {
  const feed = createDemoFeed({ intervalMs: 5 });
  feed.start();
  strictEqual(feed.running, true);
  await feed.waitFor(3);
  feed.stop();
  strictEqual(feed.running, false);
  deepStrictEqual(ids(feed.since(0)).slice(0, 3), [1, 2, 3]);
});

Deno.test("createDemoFeed keeps at most 100 connection records", () => {
  const feed = createDemoFeed();
  for (let i = 0; i < 105; i++) {
    feed.recordConnection({
      transport: "sse",
      lastEventId: String(i),
      lastEventIdHeader: String(i),
    });
  }
  strictEqual(feed.connections.length, 100);
  strictEqual(feed.connections[0]!.lastEventId, "5");
});

Deno.test("createDemoFeed refuses out-of-range options", () => {
  throws(() => createDemoFeed({ capacity: 0 }), RangeError);
  throws(() => createDemoFeed({ lastId: -1 }), RangeError);
  throws(() => createDemoFeed({ intervalMs: 0 }), RangeError);
});

Deno.test("demoEvent is a pure function of its number", () => {
  deepStrictEqual(demoEvent(7), demoEvent(7));
  strictEqual(demoEvent(7).event, "quote");
  strictEqual(demoEvent(8).event, "telemetry");
  strictEqual(JSON.parse(demoEvent(7).data).step, 4);
  strictEqual(JSON.parse(demoEvent(8).data).step, 4);
  throws(() => demoEvent(0), RangeError);
});
