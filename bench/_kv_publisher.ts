// Copyright 2026 the serverpush authors. MIT license.
// The publishing process of bench/hub_kv_latency.ts: for every line read on
// stdin, publishes one message to `topic` of the KV file `path`, whose data
// is the wall-clock time (ms, fractional) just before the publish.
// Usage: _kv_publisher.ts <path> <topic>

import { Hub } from "../hub/mod.ts";
import { createKvBackend } from "../hub/kv.ts";

const [path, topic] = Deno.args;
const backend = createKvBackend(path!);
const hub = new Hub({ backend });
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
for await (const chunk of lines) {
  for (let i = 0; i < chunk.split("\n").length - 1; i++) {
    const at = performance.timeOrigin + performance.now();
    await hub.publish(topic!, { data: String(at) });
  }
}
await hub.close();
await backend.close();
