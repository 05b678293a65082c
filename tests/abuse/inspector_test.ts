// Copyright 2026 the serverpush authors. MIT license.
// Attacks on the inspector's two growing things: (1) viewers of its feed
// that never read, while 300 subscribers on 300 topics make every snapshot
// tens of kilobytes and the feed sends one every 20 ms: each viewer holds
// at most one snapshot, so memory stays flat instead of growing by a
// snapshot per interval per viewer; (2) a flood of refused requests with
// long paths: the hub keeps its last 100 events, each cut to 300
// characters. An honest viewer keeps getting fresh snapshots.

import { ok, strictEqual } from "node:assert/strict";
import { delay, MiB, mib, startFixture } from "./_harness.ts";
import { neverReads } from "../_raw_socket.ts";

const SUBSCRIBERS = 300;
const SILENT_VIEWERS = 8;
const ATTACK_MS = 6000;
const REFUSALS = 3000;

Deno.test("createInspector bounds memory against viewers that never read and floods of refused requests", async () => {
  await using server = await startFixture("inspector");
  const origin = `http://127.0.0.1:${server.port}`;
  const streams: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const silent: Deno.Conn[] = [];
  try {
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const response = await fetch(`${origin}/hub/topic-${i}`, {
        headers: { accept: "text/event-stream" },
      });
      streams.push(response.body!.getReader());
    }
    const first = await fetch(`${origin}/inspector?feed`);
    const honest = first.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n\n")) {
      text += decoder.decode((await honest.read()).value, { stream: true });
    }
    const firstChunk = text.indexOf("\n\n") + 2;
    text = text.slice(firstChunk);
    const baseline = await server.memory();

    for (let i = 0; i < SILENT_VIEWERS; i++) {
      silent.push(
        await neverReads(
          server.port,
          "GET /inspector?feed HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        ),
      );
    }
    const statuses = new Map<number, number>();
    const path = "/inspector/" + "p".repeat(2000);
    for (let i = 0; i < REFUSALS; i++) {
      const response = await fetch(`${origin}${path}`, {
        headers: { "x-deny": "1" },
      });
      await response.body?.cancel();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    await delay(ATTACK_MS);
    const after = await server.memory();
    // Without the skip, each silent viewer would have queued a snapshot per
    // interval: ATTACK_MS / 20 of them, firstChunk bytes each.
    const unbounded = SILENT_VIEWERS * (ATTACK_MS / 20) * firstChunk;
    const report = `snapshot ${firstChunk} B, unbounded would be ${
      mib(unbounded)
    }; baseline heap ${mib(baseline.heapUsed)} external ${
      mib(baseline.external)
    } rss ${mib(baseline.rss)}; after heap ${mib(after.heapUsed)} external ${
      mib(after.external)
    } rss ${mib(after.rss)}; statuses ${JSON.stringify([...statuses])}`;
    ok(firstChunk > 20_000, report);
    strictEqual(statuses.get(403), REFUSALS, report);
    ok(
      after.heapUsed + after.external - baseline.heapUsed - baseline.external <=
        8 * MiB,
      report,
    );
    ok(after.rss - baseline.rss <= 48 * MiB, report);

    // The honest viewer still gets a fresh snapshot, whose events hold the
    // last 100 refusals, each cut short.
    const asked = Date.now();
    for (;;) {
      text += decoder.decode((await honest.read()).value, { stream: true });
      const frames = text.split("\n\n");
      const done = frames.slice(0, -1).map((frame) =>
        JSON.parse(frame.slice(frame.indexOf("data: ") + 6))
      ).find((snapshot) => snapshot.at >= asked);
      if (done === undefined) {
        text = frames.at(-1)!;
        continue;
      }
      strictEqual(done.totals.connections, SUBSCRIBERS);
      strictEqual(done.events.length, 50);
      ok(
        done.events.every((event: { detail: string }) =>
          event.detail.length <= 300
        ),
      );
      break;
    }
    await honest.cancel();
  } finally {
    for (const conn of silent) conn.close();
    for (const reader of streams) await reader.cancel();
  }
});
