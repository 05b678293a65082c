// Copyright 2026 the serverpush authors. MIT license.
// Tests of the Redis backend on a real Redis Cluster on loopback: three
// masters, three replicas, started for each test and stopped by pid.

import {
  deepStrictEqual as assertEquals,
  ok,
  strictEqual,
} from "node:assert/strict";
import { Hub, type HubMessage } from "../../hub/mod.ts";
import { createRedisBackend, type RedisBackend } from "../../hub/redis.ts";
import { dataOnly } from "./_helpers.ts";
import { redisMissing } from "./_redis_server.ts";
import {
  redisCliMissing,
  type RedisCluster,
  startRedisCluster,
} from "./_redis_cluster.ts";
import { subscribed, take, within } from "./_redis_helpers.ts";
import { delay } from "../_wait.ts";

const missing = redisMissing ?? redisCliMissing;
if (missing !== undefined) {
  // deno-lint-ignore no-console
  console.log(`Skipping the Redis Cluster tests: ${missing}`);
}

/** A test that gets its own cluster, stopped afterwards. */
function clusterTest(
  name: string,
  fn: (cluster: RedisCluster) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: missing !== undefined,
    async fn(): Promise<void> {
      await using cluster = await startRedisCluster();
      await within(fn(cluster), 50_000);
    },
  });
}

/** Two instances, A and B, on the cluster. */
function twoInstances(cluster: RedisCluster, errors: Error[]) {
  const open = (): { hub: Hub; backend: RedisBackend } => {
    const backend = createRedisBackend({
      cluster: { rootNodes: cluster.urls.slice(0, 2) },
      timeoutMs: 1000,
      // Acknowledged means on a replica too: it survives the failover.
      waitForReplicas: 1,
      onError: (error) => errors.push(error),
    });
    return { hub: new Hub({ backend }), backend };
  };
  const a = open();
  const b = open();
  return {
    a,
    b,
    async close(): Promise<void> {
      for (const { hub, backend } of [a, b]) {
        await hub.close();
        await backend.close();
      }
    },
  };
}

/** Topics whose streams live on at least two different masters. */
async function topicsOnShards(
  cluster: RedisCluster,
  count: number,
): Promise<string[]> {
  const topics = Array.from({ length: count }, (_, i) => `room-${i}`);
  const masters = new Set<number>();
  for (const topic of topics) {
    masters.add((await cluster.masterOf(`serverpush:${topic}`)).port);
  }
  ok(masters.size >= 2, `topics on ${masters.size} master(s)`);
  return topics;
}

clusterTest(
  "createRedisBackend on a cluster stores a message once for concurrent publishes with one idempotency key, on every shard",
  async (cluster) => {
    const errors: Error[] = [];
    const { a, b, close } = twoInstances(cluster, errors);
    try {
      const topics = await topicsOnShards(cluster, 6);
      const readers = [];
      for (const topic of topics) readers.push(await subscribed(b.hub, topic));
      for (const topic of topics) {
        const ids = await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) =>
              (i % 2 ? a : b).hub.publish(topic, { data: topic }, {
                idempotencyKey: "order-7",
              }),
          ),
        );
        strictEqual(new Set(ids).size, 1, `${topic}: ${ids.join(", ")}`);
      }
      for (const [i, topic] of topics.entries()) {
        await a.hub.publish(topic, { data: "next" });
        const got = dataOnly(await take(readers[i]!, 2));
        assertEquals(got.map((m) => m.data), [topic, "next"]);
      }
      assertEquals(errors, []);
    } finally {
      await close();
    }
  },
);

clusterTest(
  "createRedisBackend on a cluster delivers across instances and slots, with replay on the other instance",
  async (cluster) => {
    const errors: Error[] = [];
    const { a, b, close } = twoInstances(cluster, errors);
    try {
      const topics = await topicsOnShards(cluster, 12);
      const readers = [];
      for (const topic of topics) readers.push(await subscribed(b.hub, topic));
      const ids = new Map<string, string[]>();
      for (let i = 1; i <= 5; i++) {
        for (const topic of topics) {
          const id = await a.hub.publish(topic, { data: `${topic}:${i}` });
          ids.set(topic, [...ids.get(topic) ?? [], id]);
        }
      }
      for (const [index, topic] of topics.entries()) {
        const got = dataOnly(await take(readers[index]!, 5));
        assertEquals(
          got.map((m) => m.data),
          [1, 2, 3, 4, 5].map((i) => `${topic}:${i}`),
        );
        assertEquals(got.map((m) => m.id), ids.get(topic));
        // The ids are Redis's: B replays after one that A issued.
        const history = await b.hub.history(topic, {
          since: ids.get(topic)![2]!,
        });
        assertEquals(history.messages.map((m) => m.data), [
          `${topic}:4`,
          `${topic}:5`,
        ]);
        strictEqual(history.reset, undefined);
      }
    } finally {
      await close();
    }
  },
);

clusterTest(
  "createRedisBackend on a cluster resumes after a master is killed mid-stream, losing and repeating nothing Redis acknowledged",
  async (cluster) => {
    const errors: Error[] = [];
    const { a, b, close } = twoInstances(cluster, errors);
    try {
      const topics = await topicsOnShards(cluster, 6);
      const victim = await cluster.masterOf(`serverpush:${topics[0]}`);
      const readers: ReadableStreamDefaultReader<HubMessage>[] = [];
      // What B's subscribers receive, per topic.
      const got = new Map<string, { id: string; data: string }[]>();
      const consumers: Promise<void>[] = [];
      for (const topic of topics) {
        const reader = await subscribed(b.hub, topic);
        const list: { id: string; data: string }[] = [];
        got.set(topic, list);
        consumers.push((async () => {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            ok(value.kind === "message", `${topic}: ${JSON.stringify(value)}`);
            list.push({ id: value.id, data: value.data as string });
          }
        })());
        readers.push(reader);
      }

      // Publishers keep going through the failover. A rejected publish may
      // still have been stored (the new master has no replica left, so
      // WAIT fails from then on): it counts as attempted, not acknowledged.
      const acknowledged = new Map<string, { id: string; data: string }[]>();
      const attempted = new Set<string>();
      let stop = false;
      let sent = 0;
      const publishers = topics.map(async (topic) => {
        const acked: { id: string; data: string }[] = [];
        acknowledged.set(topic, acked);
        for (let i = 0; !stop; i++) {
          const data = `${topic}:${i}`;
          attempted.add(data);
          sent++;
          try {
            acked.push({ id: await a.hub.publish(topic, { data }), data });
          } catch {
            await delay(50);
          }
        }
      });
      while (sent < 60) await delay(10);
      await victim.kill();
      const killedAt = sent;
      // Until B receives, on the topic of the failed master, a message
      // published after the kill.
      const resumed = (): boolean =>
        got.get(topics[0]!)!.some((m) =>
          Number(m.data.split(":")[1]) * topics.length > killedAt
        );
      for (let i = 0; !resumed(); i++) {
        ok(i < 400, "nothing published after the failover arrived");
        await delay(50);
      }
      stop = true;
      await Promise.all(publishers);

      for (const topic of topics) {
        const acked = acknowledged.get(topic)!;
        const list = got.get(topic)!;
        const received = (): Set<string> => new Set(list.map((m) => m.id));
        // Wait for what was acknowledged last.
        for (let i = 0; i < 200 && !received().has(acked.at(-1)!.id); i++) {
          await delay(50);
        }
        for (let i = 1; i < list.length; i++) {
          ok(
            b.backend.compare(list[i - 1]!.id, list[i]!.id) < 0,
            `${topic}: ids out of order`,
          );
        }
        strictEqual(
          new Set(list.map((m) => m.data)).size,
          list.length,
          `${topic}: a message twice`,
        );
        for (const message of list) ok(attempted.has(message.data));
        const lost = acked.filter((m) => !received().has(m.id));
        assertEquals(lost, [], `${topic}: acknowledged but not delivered`);
      }
      for (const reader of readers) await reader.cancel();
      await Promise.all(consumers);
      ok(errors.length > 0, "the failover was not noticed");
    } finally {
      await close();
    }
  },
);
