// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual as assertEquals,
  strictEqual,
} from "node:assert/strict";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Hub, type HubMessage, hubMessageToSse } from "../../hub/mod.ts";
import { take } from "../hub/_helpers.ts";

function parse(bytes: Uint8Array): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(new TextDecoder().decode(bytes));
  return events;
}

Deno.test("hubMessageToSse writes id, event and data that an EventSource parser reads back", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  const a = await hub.publish("t", { data: "line 1\nline 2\r\nline 3" });
  const b = await hub.publish("t", { event: "update", data: "" });
  const [first, second] = await take(reader, 2);
  strictEqual(
    new TextDecoder().decode(hubMessageToSse(first!)),
    `id: ${a}\ndata: line 1\ndata: line 2\ndata: line 3\n\n`,
  );
  assertEquals(parse(hubMessageToSse(second!)), [
    { id: b, event: "update", data: "" },
  ]);
  await hub.close();
});

Deno.test("hubMessageToSse sends Uint8Array data base64-encoded", async () => {
  const hub = new Hub();
  const reader = hub.subscribe("t").getReader();
  const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 255);
  const id = await hub.publish("t", { data: bytes });
  const [message] = await take(reader, 1);
  const [event] = parse(hubMessageToSse(message!));
  strictEqual(event!.id, id);
  const decoded = Uint8Array.from(atob(event!.data), (c) => c.charCodeAt(0));
  assertEquals(decoded, bytes);
  await hub.close();
});

Deno.test("hubMessageToSse encodes a reset as a serverpush-reset event without an id", () => {
  const reset: HubMessage = {
    kind: "reset",
    topic: "t",
    reason: "window-exceeded",
  };
  strictEqual(
    new TextDecoder().decode(hubMessageToSse(reset)),
    "event: serverpush-reset\ndata: window-exceeded\n\n",
  );
});

Deno.test("hubMessageToSse returns the identical bytes for a message every subscriber received", async () => {
  const hub = new Hub();
  const readers = Array.from(
    { length: 3 },
    () => hub.subscribe("t").getReader(),
  );
  await hub.publish("t", { data: "broadcast" });
  const messages = await Promise.all(
    readers.map(async (r) => (await take(r, 1))[0]!),
  );
  const encoded = messages.map(hubMessageToSse);
  strictEqual(encoded[0], encoded[1]);
  strictEqual(encoded[1], encoded[2]);
  await hub.close();
});
