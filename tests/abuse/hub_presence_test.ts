// Copyright 2026 the serverpush authors. MIT license.
// Attack: open thousands of SSE streams to one topic with presence, each
// under a new client id, and keep every stream open, against a hub whose
// identify hook gives each client a 60 KB info. Without a bound the hub
// would hold one member (and its info) per stream: 2,000 x 60 KB = 114 MiB.
// maxPresencePerTopic (100 in the fixture, fixtures/hub_presence.ts) makes
// every join past it fail, which ends that stream, so the server holds at
// most 100 members: its memory stays within 100 infos plus the open
// streams' own cost, and an honest member who joined first stays listed.

import { ok, strictEqual } from "node:assert/strict";
import { openEvents } from "../serve/_handler_clients.ts";
import { MiB, mib, peakRssDuring, startFixture } from "./_harness.ts";

const ATTACKERS = 2000;
const CONCURRENCY = 50;
const ATTACK_MS = 15_000;

Deno.test("Hub handler bounds memory when clients flood a topic with distinct client ids", async () => {
  await using server = await startFixture("hub_presence", {
    denoArgs: ["--v8-flags=--expose-gc,--max-old-space-size=96"],
  });
  const maxMembers = server.ready.maxMembers as number;
  const infoBytes = server.ready.infoBytes as number;
  const url = `http://127.0.0.1:${server.port}/hub/room`;

  // The honest member, who also watches the topic's presence.
  const { events: honest } = await openEvents(`${url}?presence=1`, {
    "x-client": "honest",
  });
  strictEqual(JSON.parse((await honest.take(1))[0]!.data).clientId, "honest");
  const baseline = await server.memory();

  /** Streams still open after 300 ms, and whether each has ended. */
  const kept: {
    reader: ReadableStreamDefaultReader<Uint8Array>;
    ended: Promise<boolean>;
  }[] = [];
  let refused = 0;
  const deadline = Date.now() + ATTACK_MS;
  let next = 0;
  const { peak } = await peakRssDuring(server, async () => {
    async function worker(): Promise<void> {
      while (next < ATTACKERS && Date.now() < deadline) {
        const i = next++;
        const response = await fetch(url, {
          headers: { accept: "text/event-stream", "x-client": `attacker-${i}` },
        });
        const reader = response.body!.getReader();
        // A member's stream stays open (its first chunk is the opener); a
        // refused join ends the stream with an error soon after.
        await reader.read();
        const ended = reader.read().then(({ done }) => done, () => true);
        const early = await Promise.race([
          ended,
          new Promise<false>((resolve) =>
            setTimeout(() => resolve(false), 300)
          ),
        ]);
        if (early) {
          refused++;
          await reader.cancel().catch(() => {});
        } else {
          kept.push({ reader, ended });
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  });
  // A refusal on a loaded machine may take longer than 300 ms to end its
  // stream: what counts is whether it ended, so give the streams kept so
  // far two more seconds (a member's stream has nothing more to send).
  const late = await Promise.all(
    kept.map(({ ended }) =>
      Promise.race([
        ended,
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000)),
      ])
    ),
  );
  const members = kept.filter((_, i) => !late[i]);
  refused += kept.length - members.length;
  const accepted = members.length;
  const after = await server.memory();
  const report = `accepted ${accepted}, refused ${refused}, baseline rss ${
    mib(baseline.rss)
  } heap ${mib(baseline.heapUsed)}, peak rss ${mib(peak)}, after rss ${
    mib(after.rss)
  } heap ${mib(after.heapUsed)}`;

  // The honest member is one of maxMembers; the rest of the places went to
  // attackers, and every other join was refused.
  strictEqual(accepted, maxMembers - 1, report);
  ok(refused >= 1000, report);
  // What the hub retains (the heap): at most maxMembers infos (twice: the
  // hub's copy and the backend's entry) plus the open streams; unbounded,
  // it would be 114 MiB of infos. The process's RSS also grows with the
  // churn of 2,000 streams, members or not: with MAX_MEMBERS=1 (no
  // attacker admitted) it grew by 100 MiB here, the runtime's HTTP layer
  // keeping what it allocated. Allow for that on top.
  const retained = 2 * maxMembers * infoBytes;
  ok(after.heapUsed - baseline.heapUsed <= retained + 8 * MiB, report);
  ok(peak - baseline.rss <= retained + 160 * MiB, report);

  // The honest watcher saw the attackers that got in join, and no others.
  const joins = await honest.take(maxMembers - 1);
  ok(joins.every((e) => e.type === "serverpush-join"), report);
  for (const { reader } of kept) await reader.cancel().catch(() => {});
  // Once they leave, the honest client is alone again: leaves arrive.
  const leaves = await honest.take(maxMembers - 1);
  ok(leaves.every((e) => e.type === "serverpush-leave"), report);
  await honest.cancel();
});
