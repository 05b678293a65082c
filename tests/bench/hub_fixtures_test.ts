// Copyright 2026 the serverpush authors. MIT license.

import { strictEqual } from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { makeTextPayload } from "../../bench/_hub_fixtures.ts";
import { Hub, hubMessageToSse } from "../../hub/mod.ts";

Deno.test("makeTextPayload is deterministic printable ASCII that round-trips through SSE", async () => {
  const payload = makeTextPayload({ length: 1024, seed: 1 });
  strictEqual(payload, makeTextPayload({ length: 1024, seed: 1 }));
  strictEqual(payload.length, 1024);
  strictEqual(/^[\x20-\x7e]*$/.test(payload), true);
  strictEqual(payload === makeTextPayload({ length: 1024, seed: 2 }), false);

  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  await hub.publish("t", { data: payload });
  const { value } = await reader.read();
  let data: string | undefined;
  createParser({ onEvent: (event) => (data = event.data) }).feed(
    new TextDecoder().decode(hubMessageToSse(value!)),
  );
  strictEqual(data, payload);
  await hub.close();
});
