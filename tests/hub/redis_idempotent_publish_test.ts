// Copyright 2026 the serverpush authors. MIT license.
// Issue 17's scenario against a real redis-server: Redis pauses for longer
// than the publish timeout, so the POST gets 503 although Redis stores the
// message once it resumes; the publisher retries with the same
// Idempotency-Key, and subscribers on two instances see it exactly once.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { Hub, type HubMessage } from "../../hub/mod.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import { redisMissing, startRedisServer } from "./_redis_server.ts";
import { subscribed, take } from "./_redis_helpers.ts";
import { dataOnly } from "./_helpers.ts";
import { openEvents, serveHub } from "../serve/_handler_clients.ts";
import { delay } from "../_wait.ts";

if (redisMissing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the Redis idempotent publish test: ${redisMissing}`);
}

Deno.test({
  name:
    "A POST retried with its Idempotency-Key after a Redis pause answered 503 is delivered exactly once",
  ignore: redisMissing !== undefined,
  async fn(): Promise<void> {
    await using redis = await startRedisServer();
    const a = createRedisBackend({ url: redis.url, timeoutMs: 300 });
    const b = createRedisBackend({ url: redis.url });
    const hubA = new Hub({ backend: a });
    const hubB = new Hub({ backend: b });
    try {
      await using server = serveHub(hubA, { authorizePublish: () => true });
      const url = `${server.origin}/orders`;
      const post = async (data: string, key: string) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { "idempotency-key": `"${key}"` },
          body: data,
        });
        return { status: response.status, text: await response.text() };
      };
      // Subscribers: SSE on instance A, the hub of instance B.
      const { events } = await openEvents(url);
      const reader = await subscribed(hubB, "orders");
      strictEqual((await post("before", "k0")).status, 201);

      redis.pause();
      const lost = await post("paid", "k1");
      strictEqual(lost.status, 503);
      match(lost.text, /Redis did not answer within 300 ms/);
      await delay(500); // paused for longer than the timeout
      redis.resume();

      const retry = await post("paid", "k1");
      strictEqual(retry.status, 201);
      const { id } = JSON.parse(retry.text);
      strictEqual((await post("after", "k2")).status, 201);

      const seen = await events.take(3);
      deepStrictEqual(seen.map((e) => e.data), ["before", "paid", "after"]);
      strictEqual(seen[1]!.lastEventId, id);
      const got = dataOnly(await take(reader, 3) as HubMessage[]);
      deepStrictEqual(got.map((m) => [m.data, m.id]), [
        ["before", seen[0]!.lastEventId],
        ["paid", id],
        ["after", seen[2]!.lastEventId],
      ]);
      await delay(200);
      const { messages } = await hubB.history("orders");
      const duplicates = messages.length -
        new Set(messages.map((m) => m.data)).size;
      // deno-lint-ignore no-console
      console.log(
        `Redis paused 800 ms, POST answered ${lost.status}, retried: ${messages.length} stored, ${duplicates} duplicates`,
      );
      strictEqual(duplicates, 0);
      deepStrictEqual(messages.map((m) => m.data), ["before", "paid", "after"]);
      // The control: the same retry without a key stores the message twice.
      redis.pause();
      const unkeyed = await fetch(url, { method: "POST", body: "twice" });
      strictEqual(unkeyed.status, 503);
      await unkeyed.body?.cancel();
      await delay(500);
      redis.resume();
      const again = await fetch(url, { method: "POST", body: "twice" });
      strictEqual(again.status, 201);
      await again.body?.cancel();
      deepStrictEqual(
        (await events.take(2)).map((e) => e.data),
        ["twice", "twice"],
      );
      await events.cancel();
      await reader.cancel();
    } finally {
      await hubA.close();
      await hubB.close();
      await a.close();
      await b.close();
    }
  },
});
