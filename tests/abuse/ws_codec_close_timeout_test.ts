// Copyright 2026 the serverpush authors. MIT license.
// Attack: many clients that the codec engine (serveWebSocket) closes with
// 1008 and that never answer the close nor read. Their sockets and buffers
// must be released within closeTimeout, even for those whose close frame
// waits behind data they never read (8 MiB: more than loopback's socket
// buffers take).

import { ok, strictEqual } from "node:assert/strict";
import { delay, MiB, mib, startFixture } from "./_harness.ts";
import { echoOnce, type RawWebSocket, rawWebSocket } from "./_raw_ws.ts";
import { until } from "../_wait.ts";

const CLOSE_TIMEOUT = 500;

function openDescriptors(pid: number): number {
  let count = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) count++;
  return count;
}

Deno.test("serveWebSocket releases clients it closed that never answer within closeTimeout", async () => {
  await using server = await startFixture("ws_codec_echo", {
    env: {
      CLOSE_TIMEOUT: String(CLOSE_TIMEOUT),
      FLOOD_BYTES: String(8 * MiB),
    },
  });
  strictEqual(await echoOnce(server.port, "warm up"), "warm up");
  const before = await server.memory();
  const baseline = openDescriptors(server.pid);
  const peers: RawWebSocket[] = [];
  try {
    // 150 closed at once, 50 closed behind 8 MiB they never read; all
    // connected within a few batches, so that they are open together.
    for (let batch = 0; batch < 4; batch++) {
      peers.push(
        ...await Promise.all(
          Array.from(
            { length: 50 },
            () =>
              rawWebSocket(
                server.port,
                batch < 3 ? "/kick" : "/kick-flooded",
              ),
          ),
        ),
      );
    }
    const during = openDescriptors(server.pid);
    // The peers stay connected, silent and never read; the server drops
    // them once closeTimeout has passed after each close. On a loaded
    // machine writing the floods takes a while, so wait for the release
    // (it must come while the peers are still connected) rather than for a
    // fixed time.
    await delay(CLOSE_TIMEOUT);
    await until(
      () => openDescriptors(server.pid) <= baseline + 2,
      "the server to release the peers it closed",
      30_000,
    );
    strictEqual(await echoOnce(server.port, "honest"), "honest");
    const fds = openDescriptors(server.pid);
    // Write buffers of dropped sockets are freed when V8 finalizes them:
    // measure again for a while before calling them held.
    let held = Infinity;
    for (let tries = 0; tries < 20 && held > 4 * MiB; tries++) {
      if (tries > 0) await delay(500);
      const after = await server.memory();
      held = after.heapUsed + after.external - before.heapUsed -
        before.external;
    }
    // The figures, for the README and the issue.
    // deno-lint-ignore no-console
    console.log(
      `close timeout: descriptors ${baseline} before, ${during} with 200 peers, ${fds} after closeTimeout; ` +
        `heap+external ${mib(held)} over baseline`,
    );
    ok(fds <= baseline + 10, `${fds} descriptors open, ${baseline} before`);
    ok(held <= 4 * MiB, `${mib(held)} still held`);
  } finally {
    for (const peer of peers) peer.close();
  }
});
