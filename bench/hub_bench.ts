// Copyright 2026 the serverpush authors. MIT license.

import { encodeSse } from "../sse/encode.ts";
import { Hub, type HubDataMessage, hubMessageToSse } from "../hub/mod.ts";
import { makeTextPayload } from "./_hub_fixtures.ts";

const payload = makeTextPayload({ length: 1024, seed: 1 });
const encoder = new TextEncoder();
const SUBSCRIBERS = 1000;

function message(id: number): HubDataMessage {
  return Object.freeze({
    kind: "message",
    topic: "t",
    id: String(id),
    data: payload,
  });
}

let nextId = 0;

Deno.bench({
  group: "SSE-encode one 1 KiB broadcast for 1,000 subscribers",
  name: "encodeSse per subscriber",
  baseline: true,
  fn(): void {
    const m = message(nextId++);
    for (let i = 0; i < SUBSCRIBERS; i++) {
      encoder.encode(encodeSse({ id: m.id, data: m.data as string }));
    }
  },
});

Deno.bench({
  group: "SSE-encode one 1 KiB broadcast for 1,000 subscribers",
  name: "hubMessageToSse (encoded once)",
  fn(): void {
    const m = message(nextId++);
    for (let i = 0; i < SUBSCRIBERS; i++) hubMessageToSse(m);
  },
});

async function fanOut(
  encode: (m: HubDataMessage) => Uint8Array,
): Promise<void> {
  const hub = new Hub();
  const readers = Array.from(
    { length: SUBSCRIBERS },
    () => hub.subscribe("t").getReader(),
  );
  for (let i = 0; i < 10; i++) await hub.publish("t", { data: payload });
  for (const reader of readers) {
    for (let i = 0; i < 10; i++) {
      const { value } = await reader.read();
      if (value?.kind === "message") encode(value);
    }
  }
  await hub.close();
}

Deno.bench({
  group:
    "hub: 1,000 subscribers, 10 messages of 1 KiB, subscribe + publish + read + SSE-encode",
  name: "encodeSse per subscriber",
  baseline: true,
  async fn(): Promise<void> {
    await fanOut((m) =>
      encoder.encode(encodeSse({ id: m.id, data: m.data as string }))
    );
  },
});

Deno.bench({
  group:
    "hub: 1,000 subscribers, 10 messages of 1 KiB, subscribe + publish + read + SSE-encode",
  name: "hubMessageToSse (encoded once)",
  async fn(): Promise<void> {
    await fanOut(hubMessageToSse);
  },
});
