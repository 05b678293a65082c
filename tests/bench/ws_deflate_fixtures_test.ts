// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  notDeepStrictEqual,
  ok,
  strictEqual,
} from "node:assert/strict";
import {
  makeChatMessages,
  makeRandomBytes,
} from "../../bench/_ws_deflate_fixtures.ts";
import { createPermessageDeflate } from "../../ws/permessage_deflate.ts";

Deno.test("makeChatMessages is deterministic JSON of about the asked size", () => {
  const a = makeChatMessages({ count: 3, bytes: 2048, seed: 9 });
  deepStrictEqual(a, makeChatMessages({ count: 3, bytes: 2048, seed: 9 }));
  notDeepStrictEqual(a, makeChatMessages({ count: 3, bytes: 2048, seed: 10 }));
  for (const [i, message] of a.entries()) {
    const parsed = JSON.parse(new TextDecoder().decode(message));
    strictEqual(parsed.id, i);
    ok(
      message.length > 1900 && message.length <= 2048,
      `${message.length} bytes`,
    );
  }
});

Deno.test("makeRandomBytes is deterministic", () => {
  deepStrictEqual(makeRandomBytes(64, 1), makeRandomBytes(64, 1));
  notDeepStrictEqual(makeRandomBytes(64, 1), makeRandomBytes(64, 2));
});

Deno.test("the benchmark's compressed fixtures decompress to the messages", async () => {
  const params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const server = createPermessageDeflate(params, { role: "server" });
  const client = createPermessageDeflate(params, { role: "client" });
  try {
    for (
      const message of makeChatMessages({ count: 20, bytes: 2048, seed: 1 })
    ) {
      const wire = await server.compress(message);
      ok(wire.length < message.length / 2, "chat messages compress well");
      deepStrictEqual(await client.decompress(wire, true, 1 << 20), message);
    }
  } finally {
    server.close();
    client.close();
  }
});
