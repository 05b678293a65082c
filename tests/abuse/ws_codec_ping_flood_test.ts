// Copyright 2026 the serverpush authors. MIT license.
// Attack: a client that never reads sends 125-byte pings as fast as it can
// to the codec engine (serveWebSocket). Only the latest unanswered ping is
// answered, and every byte queued for the peer counts against
// maxBufferedBytes (reading stops above it), so the server's memory stays
// flat.

import { ok, strictEqual } from "node:assert/strict";
import { MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";
import { echoOnce, maskedFrame, rawWebSocket, repeatFrame } from "./_raw_ws.ts";

const MAX_BUFFERED_BYTES = MiB;

Deno.test("serveWebSocket keeps its memory flat under a ping flood from a client that never reads", async () => {
  await using server = await startFixture("ws_codec_echo", {
    env: { MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES) },
    // A small heap makes V8 collect the per-ping garbage early, so RSS
    // shows what the server keeps rather than when V8 chose to collect.
    denoArgs: [
      "--v8-flags=--expose-gc,--max-old-space-size=64,--max-semi-space-size=4",
    ],
  });
  strictEqual(await echoOnce(server.port, "warm up"), "warm up");
  const before = await server.memory();
  const attacker = await rawWebSocket(server.port);
  // 4096 pings of 125 bytes (131 bytes each on the wire) per write.
  const batch = repeatFrame(maskedFrame(0x89, new Uint8Array(125)), 4096);
  let sent = 0;
  let echoes = 0;
  let slowest = 0;
  let heldDuring = Infinity;
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
        // Let the honest client's events run in this process too.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    })();
    // An honest client keeps being served during the flood.
    while (Date.now() < deadline) {
      const t0 = Date.now();
      strictEqual(
        await echoOnce(server.port, `honest ${echoes}`),
        `honest ${echoes}`,
      );
      echoes++;
      slowest = Math.max(slowest, Date.now() - t0);
      if (echoes === 10) {
        // Halfway: what the server holds while the flood goes on.
        const during = await server.memory();
        heldDuring = during.heapUsed + during.external - before.heapUsed -
          before.external;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    attacker.close();
    await flooding;
  });
  const after = await server.memory();
  // The figures, for the README and the issue.
  // deno-lint-ignore no-console
  console.log(
    `ping flood: ${mib(sent)} of pings written in 10 s; heap+external ${
      mib(heldDuring)
    } over baseline ` +
      `during the flood, peak RSS ${mib(peak - before.rss)} over baseline; ` +
      `${echoes} honest echoes, slowest ${slowest} ms`,
  );
  ok(echoes >= 10, `only ${echoes} honest echoes`);
  // At most maxBufferedBytes queued for the attacker, plus a few MiB.
  ok(
    heldDuring <= MAX_BUFFERED_BYTES + 8 * MiB,
    `the server held ${mib(heldDuring)} during the flood`,
  );
  // RSS also counts garbage not yet collected (about 1 KiB per ping goes
  // through the decoder): bounded, where unbounded queues grow by
  // hundreds of MiB.
  ok(
    peak - before.rss <= MAX_BUFFERED_BYTES + 192 * MiB,
    `peak RSS grew by ${mib(peak - before.rss)}`,
  );
  const left = after.heapUsed + after.external - before.heapUsed -
    before.external;
  ok(left <= 4 * MiB, `${mib(left)} still held after the attacker left`);
});
