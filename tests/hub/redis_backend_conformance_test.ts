// Copyright 2026 the serverpush authors. MIT license.
// The backend contract, run against the Redis backend on a real
// redis-server (one per test, on loopback).

import { createRedisBackend } from "../../hub/redis.ts";
import { backendConformance } from "./_backend_conformance.ts";
import { redisMissing, startRedisServer } from "./_redis_server.ts";

backendConformance({
  name: "redis (single node)",
  ...(redisMissing === undefined ? {} : { missing: redisMissing }),
  shared: true,
  fakeClock: false,
  hubWideCaps: false,
  closes: true,
  async store() {
    const redis = await startRedisServer();
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
          url: redis.url,
          maxLen: maxMessages,
          ...(maxKeysPerTopic === undefined ? {} : { maxKeysPerTopic }),
          ...(maxAgeMs === undefined ? {} : { ttlMs: maxAgeMs }),
          ...(idempotencyWindowMs === undefined ? {} : { idempotencyWindowMs }),
          ...(presenceTtlMs === undefined ? {} : { presenceTtlMs }),
          batch: Math.min(100, maxMessages),
        }),
      dispose: () => redis[Symbol.asyncDispose](),
    };
  },
});
