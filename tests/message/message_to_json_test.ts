// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual as assertEquals,
  strictEqual,
} from "node:assert/strict";
import { Hub, type HubMessage, hubMessageToJson } from "../../hub/mod.ts";
import { take } from "../hub/_helpers.ts";

Deno.test("hubMessageToJson writes id, event and data", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  const a = await hub.publish("t", { data: 'quote " and\nnewline' });
  const b = await hub.publish("t", { event: "e", data: "x" });
  const [first, second] = await take(reader, 2);
  assertEquals(JSON.parse(hubMessageToJson(first!)), {
    id: a,
    data: 'quote " and\nnewline',
  });
  strictEqual(
    hubMessageToJson(second!),
    `{"id":"${b}","event":"e","data":"x"}`,
  );
  await hub.close();
});

Deno.test("hubMessageToJson marks base64-encoded bytes", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  const id = await hub.publish("t", { data: new Uint8Array([0, 255, 128]) });
  const [message] = await take(reader, 1);
  assertEquals(JSON.parse(hubMessageToJson(message!)), {
    id,
    data: "AP+A",
    encoding: "base64",
  });
  await hub.close();
});

Deno.test("hubMessageToJson encodes a reset with its reason", () => {
  const reset: HubMessage = { kind: "reset", topic: "t", reason: "dropped" };
  strictEqual(hubMessageToJson(reset), '{"reset":"dropped"}');
});
