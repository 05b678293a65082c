// Copyright 2026 the serverpush authors. MIT license.
// A second process on one KV file: appends `count` messages to topic `t`
// and prints their ids, one per line.
// Usage: _kv_child.ts <path> <count> [maxMessages]

import { createKvBackend } from "../../hub/kv.ts";

const [path, countText, maxMessages] = Deno.args;
const backend = createKvBackend(
  path!,
  maxMessages === undefined ? {} : { maxMessages: Number(maxMessages) },
);
const ids: string[] = [];
for (let i = 0; i < Number(countText); i++) {
  ids.push((await backend.append("t", { data: `child-${i}` })).id);
}
await backend.close();
// deno-lint-ignore no-console
console.log(ids.join("\n"));
