// Copyright 2026 the serverpush authors. MIT license.
// The backend contract, run against the Redis backend on a real Redis Cluster
// (three masters, three replicas on loopback). One cluster serves the whole
// file, each test under its own key prefix; the last test stops it.

import { createRedisBackend } from "../../hub/redis.ts";
import { backendConformance } from "./_backend_conformance.ts";
import { redisMissing } from "./_redis_server.ts";
import {
  redisCliMissing,
  type RedisCluster,
  startRedisCluster,
} from "./_redis_cluster.ts";

const missing = redisMissing ?? redisCliMissing;
let cluster: Promise<RedisCluster> | undefined;
let stores = 0;

backendConformance({
  name: "redis (cluster)",
  ...(missing === undefined ? {} : { missing }),
  shared: true,
  fakeClock: false,
  hubWideCaps: false,
  closes: true,
  sharedServer: true,
  async store() {
    const { urls } = await (cluster ??= startRedisCluster());
    const keyPrefix = `conformance:${++stores}:`;
    return {
      open: (
        {
          maxMessages,
          maxAgeMs,
          idempotencyWindowMs,
          maxKeysPerTopic,
          presenceTtlMs,
        },
      ) =>
        createRedisBackend({
          cluster: { rootNodes: urls },
          keyPrefix,
          maxLen: maxMessages,
          ...(maxKeysPerTopic === undefined ? {} : { maxKeysPerTopic }),
          ...(maxAgeMs === undefined ? {} : { ttlMs: maxAgeMs }),
          ...(idempotencyWindowMs === undefined ? {} : { idempotencyWindowMs }),
          ...(presenceTtlMs === undefined ? {} : { presenceTtlMs }),
          batch: Math.min(100, maxMessages),
        }),
      dispose: () => Promise.resolve(),
    };
  },
});

Deno.test({
  name: "redis (cluster) backend: stop the cluster",
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    if (cluster !== undefined) await (await cluster)[Symbol.asyncDispose]();
  },
});
