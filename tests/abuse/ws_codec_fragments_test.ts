// Copyright 2026 the serverpush authors. MIT license.
// Attack: one message sent as millions of 1-byte continuation frames, to the
// codec engine (serveWebSocket). A message in progress is one growing
// buffer, so it holds at most about twice its bytes (and at most
// 2 × maxMessageBytes), whatever the number of fragments; past
// maxMessageBytes the attacker is closed with 1009.

import { ok, strictEqual } from "node:assert/strict";
import { delay, MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";
import {
  echoOnce,
  maskedFrame,
  type RawWebSocket,
  rawWebSocket,
  repeatFrame,
} from "./_raw_ws.ts";

const MAX_MESSAGE_BYTES = 2 * MiB;
/** Fragments per write: 7 bytes each on the wire. */
const BATCH = 64 * 1024;

/**
 * Sends continuation frames of 1 byte until `count` were sent, `ms` passed
 * or the server went away; resolves with the number sent.
 */
async function sendFragments(
  attacker: RawWebSocket,
  count: number,
  ms: number,
): Promise<number> {
  const batch = repeatFrame(maskedFrame(0x00, new Uint8Array([0x41])), BATCH);
  const deadline = Date.now() + ms;
  let sent = 0;
  while (sent < count && Date.now() < deadline) {
    if (!await attacker.write(batch)) break;
    sent += BATCH;
  }
  return sent;
}

Deno.test("serveWebSocket holds a message sent as millions of 1-byte fragments in memory proportional to its bytes", async () => {
  await using server = await startFixture("ws_codec_echo", {
    env: { MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) },
    // A small heap makes V8 collect the per-fragment garbage early, so RSS
    // shows what the server keeps rather than when V8 chose to collect.
    denoArgs: [
      "--v8-flags=--expose-gc,--max-old-space-size=64,--max-semi-space-size=4",
    ],
  });
  strictEqual(await echoOnce(server.port, "warm up"), "warm up");
  const before = await server.memory();
  const attacker = await rawWebSocket(server.port);
  const closing = attacker.readClose();
  try {
    // A binary message opened with 1 byte, then 1.5 million more fragments
    // of 1 byte: under maxMessageBytes, so the message stays open.
    await attacker.write(maskedFrame(0x02, new Uint8Array([0x41])));
    const { peak, result: sent } = await peakRssDuring(
      server,
      () => sendFragments(attacker, 1_536 * 1024, 12_000),
    );
    // Let the server catch up with what it was sent.
    await delay(500);
    strictEqual(await echoOnce(server.port, "honest"), "honest");
    const held = await server.memory();
    const grown = held.heapUsed + held.external - before.heapUsed -
      before.external;
    // The figures, for the README and the issue.
    // deno-lint-ignore no-console
    console.log(
      `fragments: sent ${sent} 1-byte fragments (${
        mib(sent * 7)
      } on the wire); ` +
        `heap+external ${mib(grown)} over baseline, peak RSS ${
          mib(peak - before.rss)
        } over baseline`,
    );
    ok(sent >= 256 * 1024, `only ${sent} fragments were sent`);
    // One buffer of at most 2 × maxMessageBytes, plus a few MiB of slack.
    ok(
      grown <= 2 * MAX_MESSAGE_BYTES + 8 * MiB,
      `the open message grew the heap by ${mib(grown)}`,
    );
    // RSS also counts garbage not yet collected (every fragment passes
    // through the parser as an object): bounded, where buffering each
    // fragment grows by hundreds of MiB.
    ok(
      peak - before.rss <= 2 * MAX_MESSAGE_BYTES + 128 * MiB,
      `peak RSS grew by ${mib(peak - before.rss)}`,
    );
    // Past maxMessageBytes, the attacker is closed with 1009.
    await sendFragments(attacker, 1024 * 1024, 12_000);
    strictEqual(await closing, 1009);
  } finally {
    attacker.close();
  }
  strictEqual(await echoOnce(server.port, "after"), "after");
  const after = await server.memory();
  const left = after.heapUsed + after.external - before.heapUsed -
    before.external;
  ok(left <= 4 * MiB, `${mib(left)} still held after the attacker left`);
});
