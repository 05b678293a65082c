// Copyright 2026 the serverpush authors. MIT license.
// Presence across two server instances on one real redis-server: this
// process is one instance, tests/hub/_presence_child.ts (a process of its
// own) the other. A client on either is seen on both, a client with a tab
// on each joins once and leaves once, and the clients of an instance that
// is killed (SIGKILL: it never leaves) disappear within presenceTtlMs.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { Hub } from "../../hub/mod.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import { openEvents, serveHub } from "../serve/_handler_clients.ts";
import { within } from "../_wait.ts";
import { redisMissing, startRedisServer } from "./_redis_server.ts";

const TTL_MS = 600;

if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the Redis presence tests: ${redisMissing}`);
}

/** Starts the other instance; resolves with its origin and the process. */
async function startChild(redisUrl: string): Promise<{
  origin: string;
  child: Deno.ChildProcess;
}> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fromFileUrl(new URL("./_presence_child.ts", import.meta.url)),
      redisUrl,
      String(TTL_MS),
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await within(reader.read(), "the child's port", 30_000);
  reader.releaseLock();
  // Keep draining its stdout so that it never blocks.
  void child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return { origin: `http://127.0.0.1:${Number(value)}`, child };
}

function presenceOf(data: string): string {
  return JSON.parse(data).clientId;
}

Deno.test({
  name:
    "presence on Redis: two instances see each other's clients, a client on both leaves once, and a killed instance's clients leave within presenceTtlMs",
  ignore: redisMissing !== undefined,
  async fn() {
    await using redis = await startRedisServer();
    const backend = createRedisBackend({
      url: redis.url,
      presenceTtlMs: TTL_MS,
    });
    const hub = new Hub({ backend, presence: true });
    const server = serveHub(hub, {
      prefix: "/hub",
      identify(request) {
        const user = new URL(request.url).searchParams.get("user");
        return user === null ? undefined : { clientId: user };
      },
    });
    const { origin: other, child } = await startChild(redis.url);
    try {
      const here = `${server.origin}/hub/room`;
      const there = `${other}/hub/room`;
      const { events: watcher } = await openEvents(`${here}?presence=1`);
      // ada on the other instance, bob on both.
      const ada = await openEvents(`${there}?user=ada`);
      const [adaJoin] = await watcher.take(1);
      deepStrictEqual(
        [adaJoin!.type, presenceOf(adaJoin!.data)],
        ["serverpush-join", "ada"],
      );
      const bobThere = await openEvents(`${there}?user=bob`);
      const bobHere = await openEvents(`${here}?user=bob`);
      const [bobJoin] = await watcher.take(1);
      strictEqual(presenceOf(bobJoin!.data), "bob");
      deepStrictEqual(
        (await hub.presence("room")).map((m) => m.clientId).sort(),
        ["ada", "bob"],
      );

      // The other instance dies without a word.
      child.kill("SIGKILL");
      await child.status;
      const killed = Date.now();
      const [leave] = await watcher.take(1);
      const took = Date.now() - killed;
      // ada leaves; bob stays, he still has a tab here.
      deepStrictEqual(
        [leave!.type, presenceOf(leave!.data)],
        ["serverpush-leave", "ada"],
      );
      ok(took <= TTL_MS + 1500, `left ${took} ms after the kill`);
      deepStrictEqual(
        (await hub.presence("room")).map((m) => m.clientId),
        ["bob"],
      );
      await bobHere.events.cancel();
      const [bobLeave] = await watcher.take(1);
      deepStrictEqual(
        [bobLeave!.type, presenceOf(bobLeave!.data)],
        ["serverpush-leave", "bob"],
      );
      await watcher.cancel();
      // The killed instance's streams are broken; release them here.
      await ada.events.cancel().catch(() => {});
      await bobThere.events.cancel().catch(() => {});
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await server.shutdown();
      await hub.close();
      await backend.close();
    }
  },
});
