// Copyright 2026 the serverpush authors. MIT license.
// Attack: a client that never reads sends 125-byte pings as fast as it can
// to the codec engine (serveWebSocket). Only the latest unanswered ping is
// answered, and every byte queued for the peer counts against
// maxBufferedBytes (reading stops above it), so the server's memory stays
// flat.

import { ok, strictEqual } from "node:assert/strict";
import { mib, MiB, peakRssDuring, startFixture } from "./_harness.ts";
import {
  echoOnce,
  maskedFrame,
  rawWebSocket,
  repeatFrame,
} from "./_raw_ws.ts";

const MAX_BUFFERED_BYTES = MiB;

Deno.test("serveWebSocket keeps its memory flat under a ping flood from a client that never reads", async () => {
  await using server = await startFixture("ws_codec_echo", {
    env: { MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES) },
  });
  strictEqual(await echoOnce(server.port, "warm up"), "warm up");
  const before = await server.memory();
  const attacker = await rawWebSocket(server.port);
  // 4096 pings of 125 bytes (131 bytes each on the wire) per write.
  const batch = repeatFrame(maskedFrame(0x89, new Uint8Array(125)), 4096);
  let sent = 0;
  let echoes = 0;
  const { peak } = await peakRssDuring(server, async () => {
    const deadline = Date.now() + 10_000;
    const flooding = (async () => {
      while (Date.now() < deadline) {
        // A write the server no longer reads blocks: the deadline ends it.
        const written = await Promise.race([
          attacker.write(batch),
          new Promise<false>((resolve) =>
            setTimeout(resolve, deadline - Date.now(), false)
          ),
        ]);
        if (!written) break;
        sent += batch.length;
      }
    })();
    // An honest client keeps being served during the flood.
    while (Date.now() < deadline) {
      strictEqual(await echoOnce(server.port, `honest ${echoes}`), `honest ${echoes}`);
      echoes++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    attacker.close();
    await flooding;
  });
  const after = await server.memory();
  console.log(
    `ping flood: ${mib(sent)} of pings written in 10 s, peak RSS ${mib(peak - before.rss)} over baseline, ` +
      `${echoes} honest echoes`,
  );
  ok(echoes >= 5, `only ${echoes} honest echoes`);
  // maxBufferedBytes and one read's pongs at most, plus allocator slack.
  ok(
    peak - before.rss <= MAX_BUFFERED_BYTES + 48 * MiB,
    `peak RSS grew by ${mib(peak - before.rss)}`,
  );
  const left = after.heapUsed + after.external - before.heapUsed -
    before.external;
  ok(left <= 4 * MiB, `${mib(left)} still held after the attacker left`);
});
