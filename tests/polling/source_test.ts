// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { hubSource } from "../../polling/mod.ts";
import { openHub, publishAll } from "./_helpers.ts";

Deno.test("hubSource reads the topic's history after since, up to limit", async () => {
  await using hub = openHub();
  const ids = await publishAll(hub, "t", ["a", "b", "c"]);
  await publishAll(hub, "other", ["x"]);
  const source = hubSource(hub, "t");
  deepStrictEqual(
    (await source.history(undefined, 2)).messages.map((m) => m.data),
    ["a", "b"],
  );
  deepStrictEqual(
    (await source.history(ids[0], 10)).messages.map((m) => m.data),
    ["b", "c"],
  );
});

Deno.test("hubSource subscribes after since and releases on abort", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["a", "b"]);
  const controller = new AbortController();
  const reader = hubSource(hub, "t").subscribe(seen, controller.signal)
    .getReader();
  const { value } = await reader.read();
  strictEqual(value?.kind === "message" && value.data, "b");
  strictEqual(hub.stats().subscribers, 1);
  controller.abort();
  strictEqual((await reader.read()).done, true);
  strictEqual(hub.stats().subscribers, 0);
});
