// Copyright 2026 the serverpush authors. MIT license.

/**
 * One producer per topic across demo instances: each instance asks the
 * shared store for a lease per topic it produces, and publishes to a topic
 * only while it holds that topic's lease. The holder renews its leases every
 * `renewMs`; a lease not renewed for `ttlMs` (the holder died or lost the
 * store) lapses, and another instance takes it at its next renewal.
 *
 * - Redis: `SET key holder NX PX ttl` takes a free lease; the holder renews
 *   it with `PEXPIRE`, in one script that first checks the key still names
 *   it ({@linkcode createRedisLeaseStore}).
 * - Deno KV: an atomic operation that checks the lease key's versionstamp,
 *   then writes `{ holder, until }` with `expireIn`; a lease past its
 *   `until` counts as free even before KV deletes it
 *   ({@linkcode createKvLeaseStore}).
 *
 * @module
 */

/** Where leases live: shared by every instance. */
export interface LeaseStore {
  /**
   * Takes the lease `name` for `holder` if it is free, or renews it if
   * `holder` has it, for `ttlMs`.
   *
   * @returns Whether `holder` holds it now.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` has it, so another takes it at once. */
  release(name: string, holder: string): Promise<void>;
}

/** Options for {@linkcode holdLeases}. */
export interface HoldLeasesOptions {
  /**
   * How long a lease lasts without renewal, in milliseconds.
   *
   * @default {3000}
   */
  ttlMs?: number;
  /**
   * Milliseconds between two renewals; well under `ttlMs`.
   *
   * @default {1000}
   */
  renewMs?: number;
}

/** The leases of one instance. See {@linkcode holdLeases}. */
export interface HeldLeases {
  /** This instance's name in the store. */
  readonly holder: string;
  /** Whether this instance holds the lease of `name` now. */
  holds(name: string): boolean;
  /** Resolves once the first round of requests has been answered. */
  readonly ready: Promise<void>;
  /** Stops renewing and releases every lease held. */
  close(): Promise<void>;
}

/**
 * Keeps asking `store` for the leases `names`, for this instance.
 *
 * @param store The shared store.
 * @param names The leases wanted, e.g. one per produced topic.
 * @param options Lease duration and renewal interval.
 * @returns The leases, renewed until `close()`.
 */
export function holdLeases(
  store: LeaseStore,
  names: readonly string[],
  options: HoldLeasesOptions = {},
): HeldLeases {
  const { ttlMs = 3000, renewMs = 1000 } = options;
  const holder = crypto.randomUUID();
  /** When each held lease lapses, by this process's clock. */
  const until = new Map<string, number>();
  let closed = false;

  async function round(): Promise<void> {
    await Promise.all(names.map(async (name) => {
      const asked = Date.now();
      try {
        if (await store.acquire(name, holder, ttlMs)) {
          until.set(name, asked + ttlMs);
        } else until.delete(name);
      } catch {
        // The store is away: keep producing until the lease would lapse,
        // not after (another instance may take it then).
      }
    }));
  }

  const ready = round();
  const timer = setInterval(() => {
    if (!closed) void round();
  }, renewMs);
  return {
    holder,
    holds(name: string): boolean {
      return !closed && (until.get(name) ?? 0) > Date.now();
    },
    ready,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await ready;
      const held = [...until.keys()];
      until.clear();
      await Promise.all(
        held.map((name) => store.release(name, holder).catch(() => {})),
      );
    },
  };
}

/** Takes or renews a lease: the key must be free or name the holder. */
const ACQUIRE_SCRIPT = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return 1
end
return 0`;
/** Deletes a lease only if it still names the holder. */
const RELEASE_SCRIPT = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`;

/** The one Redis command the lease store needs. */
export interface RedisCommandSender {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Leases on Redis, under the keys `serverpush-demo:lease:<name>`.
 *
 * @param redis A connected client (node-redis's `sendCommand`).
 * @returns The store.
 */
export function createRedisLeaseStore(redis: RedisCommandSender): LeaseStore {
  const key = (name: string): string => `serverpush-demo:lease:${name}`;
  return {
    async acquire(name, holder, ttlMs): Promise<boolean> {
      const answer = await redis.sendCommand([
        "EVAL",
        ACQUIRE_SCRIPT,
        "1",
        key(name),
        holder,
        String(ttlMs),
      ]);
      return Number(answer) === 1;
    },
    async release(name, holder): Promise<void> {
      await redis.sendCommand(["EVAL", RELEASE_SCRIPT, "1", key(name), holder]);
    },
  };
}

interface KvLease {
  holder: string;
  /** `Date.now()` when it lapses. */
  until: number;
}

/**
 * Leases in Deno KV, under the keys `["serverpush-demo", "lease", name]`.
 *
 * @param kv An open KV store, shared by the instances (one file, or KV
 *   Connect).
 * @returns The store.
 */
export function createKvLeaseStore(kv: Deno.Kv): LeaseStore {
  const key = (name: string): Deno.KvKey => ["serverpush-demo", "lease", name];
  return {
    async acquire(name, holder, ttlMs): Promise<boolean> {
      const entry = await kv.get<KvLease>(key(name));
      const lease = entry.value;
      if (
        lease !== null && lease.holder !== holder && lease.until > Date.now()
      ) {
        return false;
      }
      // Only if nobody wrote the key since it was read.
      const { ok } = await kv.atomic()
        .check(entry)
        .set(key(name), { holder, until: Date.now() + ttlMs }, {
          expireIn: ttlMs,
        })
        .commit();
      return ok;
    },
    async release(name, holder): Promise<void> {
      const entry = await kv.get<KvLease>(key(name));
      if (entry.value?.holder !== holder) return;
      await kv.atomic().check(entry).delete(key(name)).commit();
    },
  };
}
