// Copyright 2026 the serverpush authors. MIT license.

import { ok, strictEqual } from "node:assert/strict";
import { E2E_SIZES, makeE2eMessage } from "../../bench/_ws_e2e_fixtures.ts";
import {
  encodeFrame,
  WsFrameDecoderStream,
  WsMessageDecoderStream,
} from "../../ws/mod.ts";
import { createPermessageDeflate } from "../../ws/deflate.ts";

Deno.test("makeE2eMessage is deterministic ASCII of the exact size that decodes as a text message", async (t) => {
  for (const bytes of E2E_SIZES) {
    await t.step(`${bytes} bytes`, async () => {
      const message = makeE2eMessage({ bytes, seed: 1 });
      strictEqual(message, makeE2eMessage({ bytes, seed: 1 }));
      ok(message !== makeE2eMessage({ bytes, seed: 2 }));
      strictEqual(new TextEncoder().encode(message).length, bytes);
      ok(/^[\x20-\x7e]*$/.test(message));
      const frame = encodeFrame({
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: 1,
        payload: new TextEncoder().encode(message),
      }, { mask: true });
      const [decoded] = await Array.fromAsync(
        ReadableStream.from([frame])
          .pipeThrough(new WsFrameDecoderStream({ role: "server" }))
          .pipeThrough(new WsMessageDecoderStream()),
      );
      strictEqual(decoded?.type === "text" && decoded.data, message);
    });
  }
});

Deno.test("makeE2eMessage compresses like application JSON", async () => {
  const deflate = createPermessageDeflate({
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  }, { role: "server" });
  const message = new TextEncoder().encode(
    makeE2eMessage({ bytes: 65536, seed: 1 }),
  );
  const compressed = await deflate.compress(message);
  deflate.close();
  // Neither incompressible nor trivially repetitive.
  ok(compressed.length < message.length / 2, `${compressed.length}`);
  ok(compressed.length > message.length / 20, `${compressed.length}`);
});
