// Copyright 2026 the serverpush authors. MIT license.

/**
 * The hub across processes and machines: a {@linkcode HubBackend} over Redis
 * Streams, so that every instance of a server shares one ordered, replayable
 * history per topic and a client can reconnect to any instance.
 *
 * This entry is separate from `@serverpush/serverpush/hub` because it loads
 * the one optional dependency of the package, node-redis's client (npm
 * `@redis/client`, the client of the npm `redis` package without its
 * modules); an application that never imports this entry never loads it.
 * It needs Redis 5 or later (Streams); 7.0 or later is recommended (see
 * {@linkcode createRedisBackend}).
 *
 * @example Two instances share one history
 * ```ts ignore
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createRedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const backendA = createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const backendB = createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const hubA = new Hub({ backend: backendA });
 * const hubB = new Hub({ backend: backendB });
 *
 * const seen = await hubA.publish("news", { data: "first" });
 * await hubA.publish("news", { data: "second" });
 * // The id is Redis's: another instance resumes after it.
 * const history = await hubB.history("news", { since: seen });
 * deepStrictEqual(history.messages.map((m) => m.data), ["second"]);
 *
 * await hubA.close();
 * await hubB.close();
 * await backendA.close();
 * await backendB.close();
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  createClient,
  createCluster,
  ErrorReply,
  RESP_TYPES,
  SocketClosedUnexpectedlyError,
} from "npm:@redis/client@6.3.1";
import type {
  HubAppendOptions,
  HubBackend,
  HubReadOptions,
  HubWatchOptions,
} from "./backend.ts";
import type { HubHistory, HubState } from "../message/source.ts";
import type { HubDataMessage, HubPublishMessage } from "../message/message.ts";
import { presenceMethods } from "./_presence_store.ts";
import { checkPositiveInteger } from "../_internal/check.ts";
import { quote } from "../_internal/quote.ts";
import { sleep } from "../_internal/sleep.ts";
import {
  type Connection,
  type ConnectionOptions,
  reconnectDelay,
  RedisCommands,
  type RedisDriver,
  type Subscriber,
  type SubscriberOptions,
} from "./_redis_commands.ts";
import { readHistory } from "./_redis_history.ts";
import { RedisPresence } from "./_redis_presence.ts";
import { RedisLive } from "./_redis_live.ts";
import { createReport } from "./_redis_report.ts";
import { compareStreamIds, isStreamId } from "./_redis_stream_id.ts";
import { DEFAULT_MAX_KEYS_PER_TOPIC, storedMessage } from "./_keyed.ts";

export type {
  HubAppendOptions,
  HubBackend,
  HubPresenceEntry,
  HubPresenceJoinOptions,
  HubReadOptions,
  HubWatchOptions,
} from "./backend.ts";
export type { HubHistory, HubState } from "../message/source.ts";
export type {
  HubDataMessage,
  HubPresenceMember,
  HubPublishMessage,
} from "../message/message.ts";

/**
 * Options for {@linkcode createRedisBackend}.
 *
 * Every instance that shares a `keyPrefix` on one Redis must use the same
 * `maxLen`, and `batch` must not exceed it: the backend relies on Redis
 * keeping at least the newest `maxLen` messages of a topic to tell a gap in
 * live delivery from none.
 *
 * @example Keep 500 messages per topic, fail fast
 * ```ts
 * import { createRedisBackend, type RedisBackendOptions } from "@serverpush/serverpush/hub/redis";
 * import { rejects } from "node:assert/strict";
 *
 * const options: RedisBackendOptions = {
 *   url: "redis://127.0.0.1:1", // nothing listens here
 *   keyPrefix: "app:events:",
 *   maxLen: 500,
 *   timeoutMs: 100,
 *   onError: () => {},
 * };
 * const backend = createRedisBackend(options);
 * await rejects(backend.append("t", { data: "x" }), /Redis is unreachable/);
 * await backend.close();
 * ```
 */
export interface RedisBackendOptions {
  /**
   * Redis URL, `redis[s]://[[user][:password]@]host[:port][/db]`.
   *
   * @default {"redis://127.0.0.1:6379"}
   */
  url?: string;
  /**
   * Prefix of the stream keys: topic `t` is stored in the stream
   * `<keyPrefix>t`.
   *
   * @default {"serverpush:"}
   */
  keyPrefix?: string;
  /**
   * Messages kept per topic for replay: each publish is
   * `XADD key MAXLEN ~ maxLen`, so Redis keeps at least this many (up to
   * about 100 more, since it trims whole nodes).
   *
   * @default {1000}
   */
  maxLen?: number;
  /**
   * Milliseconds a topic's stream lives after its last publish: each publish
   * runs `XADD` then `PEXPIRE key ttlMs` in one script (`EVAL`, which the
   * Redis user must be allowed to run), so a topic nobody publishes to
   * vanishes from Redis with its history (a client resuming on it later gets
   * a reset). An hour covers a client that reconnects after a deploy or a
   * sleep, and bounds how long the keys of abandoned (or made-up) topics
   * stay in Redis. `Infinity` sets no expiry.
   *
   * @default {3600000}
   */
  ttlMs?: number;
  /**
   * Milliseconds an idempotency key is remembered: an append with a key
   * runs one script (`EVAL`) that `GET`s the key's string
   * (`{<keyPrefix><topic>}#idem:<key>`, in the stream's Redis Cluster hash
   * slot; with a `keyPrefix` that has a hash tag, `<keyPrefix><topic>#idem:<key>`) and, when it is not set, appends and runs `SET key id PX
   * idempotencyWindowMs`; when it is set, it stores nothing and answers the
   * first message.
   *
   * @default {600000}
   */
  idempotencyWindowMs?: number;
  /**
   * Keys the state of a topic may hold (see `key` of `HubPublishMessage`).
   * The state is a hash (`{<keyPrefix><topic>}#state`, in the stream's
   * Redis Cluster hash slot) that the append script updates with the
   * stream, and that expires with it (`ttlMs`); an append that would add
   * one more key stores nothing and rejects with a `HubLimitError`
   * `"too-many-keys"`.
   *
   * @default {1000}
   */
  maxKeysPerTopic?: number;
  /**
   * Milliseconds between the heartbeats the backend sends itself through
   * Redis Pub/Sub, to know that its subscriber connection still hears the
   * notifications of new messages. Together with `timeoutMs` it bounds how
   * long a dead connection goes unnoticed (its socket times out after
   * `blockMs + timeoutMs` of silence). It does not delay delivery: a new
   * message is read as soon as its notification arrives.
   *
   * @default {1000}
   */
  blockMs?: number;
  /**
   * Milliseconds between two reads of every watched topic from the last id
   * delivered, to catch up on notifications that Pub/Sub lost without the
   * backend noticing (for example a broken link between the nodes of a
   * cluster). Such a catch-up also runs after every reconnection of the
   * subscriber connection. `Infinity` turns the periodic one off.
   *
   * @default {60000}
   */
  catchUpMs?: number;
  /**
   * Run on a Redis Cluster instead of one server: the URLs of some of its
   * nodes (`redis[s]://[[user][:password]@]host:port`), from which the
   * client discovers the others. `url` is then ignored. See
   * {@linkcode createRedisBackend} for how topics map to shards.
   *
   * @default {undefined}
   */
  cluster?: RedisClusterOptions;
  /**
   * Largest number of new messages read per topic at once (`XREAD COUNT`);
   * at most `maxLen`.
   *
   * @default {100}
   */
  batch?: number;
  /**
   * How long a publish or a history read waits for Redis, in milliseconds,
   * while Redis is unreachable or does not answer. Then it rejects.
   *
   * @default {5000}
   */
  timeoutMs?: number;
  /**
   * Replicas that must hold a message before its publish resolves: after
   * the script, `WAIT waitForReplicas timeoutMs/2` on the same connection
   * (Redis replicates asynchronously, so without it a message acknowledged
   * just before its master fails can be missing on the replica that takes
   * over). When fewer replicas answer in time, the publish rejects with
   * `; the message may have been stored`. 0 waits for none. A publish then
   * costs a second round trip, and as long as a replica takes to answer.
   *
   * @default {0}
   */
  waitForReplicas?: number;
  /**
   * Commands (publishes and reads) that may wait for Redis at once; one more
   * rejects at once.
   *
   * @default {10000}
   */
  maxPendingCommands?: number;
  /**
   * Receives errors that no caller is waiting for: a failed connection
   * attempt, a broken connection, a failed read of new messages, an error
   * thrown by a watcher. The backend keeps reconnecting (backoff from 50 ms
   * up to 2 s, without end) and resumes on its own. By default they are
   * dropped; publishes and history reads still reject with their own
   * errors.
   *
   * @default {undefined}
   */
  onError?: (error: Error) => void;
  /**
   * Milliseconds a presence entry lives unless refreshed: the backend
   * refreshes its own every third of it, so the members of a process that
   * stopped without leaving disappear within this time (see
   * the `presence` option of `Hub`).
   *
   * @default {30000}
   */
  presenceTtlMs?: number;
}

/**
 * Where a {@linkcode createRedisBackend} finds a Redis Cluster.
 *
 * @example Three nodes of a cluster
 * ```ts
 * import type { RedisClusterOptions } from "@serverpush/serverpush/hub/redis";
 *
 * import { strictEqual } from "node:assert/strict";
 *
 * const cluster: RedisClusterOptions = {
 *   rootNodes: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"],
 * };
 * strictEqual(cluster.rootNodes.length, 2);
 * ```
 */
export interface RedisClusterOptions {
  /**
   * URLs of nodes to discover the cluster from; one reachable node is
   * enough, more survive the loss of some. Credentials and TLS given in the
   * first URL are used for every node.
   */
  rootNodes: readonly string[];
}

/**
 * A {@linkcode HubBackend} over Redis Streams, from
 * {@linkcode createRedisBackend}, with {@linkcode RedisBackend.close} to
 * drop its connections.
 *
 * @example Close a backend
 * ```ts
 * import { createRedisBackend, type RedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { rejects } from "node:assert/strict";
 *
 * const backend: RedisBackend = createRedisBackend({
 *   url: "redis://127.0.0.1:1",
 *   onError: () => {},
 * });
 * await backend.close();
 * await rejects(backend.append("t", { data: "x" }), /the Redis backend is closed/);
 * ```
 */
export interface RedisBackend extends HubBackend {
  /**
   * Drops both connections to Redis at once and stops reading new
   * messages. Publishes and reads still waiting reject (a publish in flight
   * may have been stored); later calls reject. Watchers get nothing more.
   * Close the {@linkcode Hub} first. Calling it again does nothing.
   *
   * @returns A promise that resolves once no read of new messages is in
   * flight.
   */
  close(): Promise<void>;
  /**
   * Reads the state of a keyed topic (see {@linkcode HubBackend.state}):
   * the state hash and the stream's newest id, in one script.
   *
   * @param topic The topic.
   * @returns The latest message of every key, and the newest id.
   */
  state(topic: string): Promise<HubState>;
}

const TYPE_MAPPING = { [RESP_TYPES.BLOB_STRING]: Buffer };

function isErrorReply(error: unknown): error is Error {
  return error instanceof ErrorReply;
}

function isSocketClosed(error: unknown): error is Error {
  return error instanceof SocketClosedUnexpectedlyError;
}

function clientOptions(options: ConnectionOptions) {
  const { url, reconnectStrategy, commandsQueueMaxLength, socketTimeout } =
    options;
  return {
    url,
    RESP: 2 as const,
    commandOptions: { typeMapping: TYPE_MAPPING },
    ...(commandsQueueMaxLength === undefined ? {} : { commandsQueueMaxLength }),
    socket: socketTimeout === undefined
      ? { reconnectStrategy }
      : { reconnectStrategy, socketTimeout },
  };
}

/** node-redis (npm `@redis/client`) on one server. */
const NODE_REDIS: RedisDriver = Object.freeze({
  cluster: false,
  createConnection(options: ConnectionOptions): Connection {
    return createClient(clientOptions(options)) as unknown as Connection;
  },
  createSubscriber(options: SubscriberOptions): Subscriber {
    const client = createClient(clientOptions(options));
    client.on("error", (error) => {
      options.onError(error);
      options.onDisrupt();
    });
    // Made again: node-redis subscribes again by itself.
    client.on("connect", () => options.onDisrupt());
    // Connection failures are retried and reported through "error" events.
    const connected = client.connect().catch(() => undefined);
    return {
      async subscribe(channel, listener): Promise<unknown> {
        await connected;
        return await client.subscribe(channel, listener, true);
      },
      destroy(): void {
        client.destroy();
      },
    };
  },
  isErrorReply,
  isSocketClosed,
});

/** The key a command is routed by in a cluster, if it has one. */
function routingKey(
  args: ReadonlyArray<string | Uint8Array>,
): string | Uint8Array | undefined {
  switch (args[0]) {
    case "EVAL":
      return args[3];
    case "XREAD":
      return args[args.indexOf("STREAMS") + 1];
    case "XINFO":
      return args[2];
    case "XADD":
    case "XRANGE":
    case "XREVRANGE":
      return args[1];
    default:
      return undefined;
  }
}

/** A cluster client, connecting; `destroy` also stops its retries. */
interface ClusterLifecycle {
  connected: Promise<void>;
  destroy(): void;
}

/**
 * Connects `cluster`, trying again with the reconnection backoff until it
 * succeeds or is destroyed: a cluster client that found no node at first
 * does not retry by itself.
 */
function startCluster(
  cluster: { connect(): Promise<unknown>; destroy(): void; isOpen: boolean },
  onError: (error: Error) => void,
): ClusterLifecycle {
  const stop = new AbortController();
  const connected = (async () => {
    for (let retries = 0; !stop.signal.aborted; retries++) {
      try {
        await cluster.connect();
        return;
      } catch (error) {
        if (stop.signal.aborted) return;
        onError(error instanceof Error ? error : new Error(String(error)));
        await sleep(reconnectDelay(retries), stop.signal);
      }
    }
  })();
  return {
    connected,
    destroy(): void {
      stop.abort();
      if (cluster.isOpen) cluster.destroy();
    },
  };
}

/** node-redis (npm `@redis/client`) on a Redis Cluster. */
function nodeRedisCluster(rootNodes: readonly string[]): RedisDriver {
  function create(options: ConnectionOptions, minimize: boolean) {
    const { commandsQueueMaxLength } = options;
    // A URL's credentials and TLS setting apply to every node.
    const first = new URL(rootNodes[0]!);
    return createCluster({
      rootNodes: rootNodes.map((url) => ({ url })),
      defaults: {
        ...(commandsQueueMaxLength === undefined
          ? {}
          : { commandsQueueMaxLength }),
        ...(first.username === "" ? {} : {
          username: decodeURIComponent(first.username),
        }),
        ...(first.password === "" ? {} : {
          password: decodeURIComponent(first.password),
        }),
        socket: {
          reconnectStrategy: options.reconnectStrategy,
          ...(first.protocol === "rediss:" ? { tls: true as const } : {}),
        },
      },
      RESP: 2 as const,
      commandOptions: { typeMapping: TYPE_MAPPING },
      minimizeConnections: minimize,
    });
  }
  return Object.freeze({
    cluster: true,
    createConnection(options: ConnectionOptions): Connection {
      const cluster = create(options, false);
      const errors = new Set<(error: unknown) => void>();
      const failed = (error: unknown): void => {
        for (const listener of errors) listener(error);
      };
      cluster.on("node-error", failed);
      const lifecycle = startCluster(cluster, failed);
      return {
        get isReady(): boolean {
          return cluster.isReady;
        },
        connect(): Promise<unknown> {
          return lifecycle.connected;
        },
        destroy(): void {
          lifecycle.destroy();
        },
        on(event: string, listener: (arg: unknown) => void): unknown {
          if (event === "error") errors.add(listener);
          else cluster.on(`node-${event}`, listener);
          return this;
        },
        async sendCommand(args, commandOptions = {}): Promise<unknown> {
          // Until the first connection is made (the cluster client refuses
          // commands then, where a single-node client queues them), wait
          // for it; the caller's timeout still applies.
          if (!cluster.isReady) await lifecycle.connected;
          if (!cluster.isOpen) {
            throw new Error("the cluster is not connected");
          }
          const { routing, ...rest } = commandOptions;
          rest.abortSignal?.throwIfAborted();
          return await cluster.sendCommand(
            (routing ?? routingKey(args)) as string,
            false,
            args as (string | Buffer)[],
            rest,
          );
        },
      };
    },
    createSubscriber(options: SubscriberOptions): Subscriber {
      const cluster = create(options, true);
      let destroyed = false;
      cluster.on("node-error", (error: Error) => {
        options.onError(error);
        options.onDisrupt();
      });
      cluster.on("node-connect", () => options.onDisrupt());
      cluster.on("node-disconnect", () => options.onDisrupt());
      const lifecycle = startCluster(cluster, options.onError);
      return {
        async subscribe(channel, listener): Promise<unknown> {
          await lifecycle.connected;
          if (destroyed) return;
          return await cluster.subscribe(channel, listener, true);
        },
        destroy(): void {
          destroyed = true;
          lifecycle.destroy();
        },
      };
    },
    isErrorReply,
    isSocketClosed,
  });
}

/**
 * Creates a {@linkcode HubBackend} over Redis Streams, for a
 * {@linkcode Hub} that runs in several processes or on several machines.
 *
 * **Storage.** Each topic is one stream, `<keyPrefix><topic>`. A publish is
 * `XADD key MAXLEN ~ maxLen * data <payload> [event <type>] [type bytes]`,
 * followed by `PEXPIRE key ttlMs` (so that the stream of a topic nobody
 * publishes to any more expires) and `PUBLISH <keyPrefix> "<id> <topic>"`
 * (the notification live delivery listens to), in one script (`EVAL`,
 * atomic):
 * Redis assigns the id (`<ms>-<seq>`), and that id is the message's id on
 * every instance, so `Last-Event-ID`, cursors and `since` work whichever
 * instance a client comes back to. Text is stored as UTF-8 (a lone
 * surrogate becomes U+FFFD); a `Uint8Array` is stored as raw bytes with the
 * field `type` set to `bytes`, and comes back as an equal `Uint8Array`. An
 * entry written by another program with a `data` field and no `type` reads
 * as text.
 *
 * **Replay.** `read` is `XRANGE key since + COUNT limit+1`: when `since` is
 * still in the stream, what follows it is exact. When it is not, the backend
 * asks `XINFO STREAM`: an id newer than the stream's last id, a malformed
 * one, or one from before the stream's history began (for example from
 * before Redis restarted without persistence) is `"unknown-id"`; an id
 * older than the oldest retained entry of a trimmed stream is
 * `"window-exceeded"` (also when `since` was exactly the newest trimmed
 * entry, which Redis cannot tell apart). Redis 7.0 or later is needed to
 * tell an id from before the stream's history began; Redis 5 and 6 report
 * it as `"window-exceeded"`.
 *
 * **Live delivery.** Each backend holds one Pub/Sub connection subscribed
 * to the channel `<keyPrefix>`. When a notification names a topic with
 * watchers here (and an id past the last one delivered), the backend reads
 * that one stream from the last id it delivered, `XREAD COUNT batch
 * STREAMS key lastId`, on a reader connection of its own, and hands each
 * message to the local fan-out once; subscribers never open connections of
 * their own. A message therefore costs the same however many topics an
 * instance watches (see `docs/scaling.md` for the figures). The first
 * watch of a topic sends `XREVRANGE key + - COUNT 1` on the command
 * connection to fix its start point, so anything a later `read` of this
 * backend observes is covered; a live subscriber on one instance therefore
 * receives what another instance publishes after any later command of this
 * backend (such as `hub.history`) has completed. Streams stay the source
 * of truth: Pub/Sub only says which stream to read. Since Pub/Sub loses
 * what is published while a connection is down, the backend sends itself
 * a heartbeat through Redis every `blockMs`; after its subscriber
 * connection broke or reconnected, or a heartbeat went missing, the next
 * heartbeat that arrives proves the subscription works again, and the
 * backend reads every watched topic from its last id (a catch-up: one
 * command per topic, at most 256 in flight). A catch-up also runs every
 * `catchUpMs`.
 *
 * **Redis Cluster.** With `cluster: { rootNodes }`, the backend uses
 * node-redis's cluster client: every command of a topic names its one key,
 * so it runs on the node that serves the key's slot, and the client follows
 * `MOVED` and `ASK` redirections and finds the new master after a
 * failover. Topics spread over the shards by their keys' slots; a topic
 * never spans two slots, since all it stores is one key (a `keyPrefix`
 * with a hash tag such as `{app}:` puts every topic on one slot, and one
 * shard). Reads go to the shard of their topic (one read path per shard,
 * the cluster client's connection to it). The notifications are plain
 * `PUBLISH`es, which a cluster forwards to every node, so one subscriber
 * connection per backend hears them all; heartbeats check that path too.
 * Redis replicates asynchronously: a message acknowledged just before its
 * master fails can be missing on the replica that takes over; set
 * `waitForReplicas` so that a publish resolves only once a replica has it.
 * On a cluster the backend does not compare `run_id`s (each node has its
 * own), so it does not report a gap for a node restarted empty without a
 * failover.
 *
 * **Faults.** A publish or read waits at most `timeoutMs` and at most
 * `maxPendingCommands` wait at once; then it rejects with an `Error` such as
 * `Cannot publish to topic "t": Redis is unreachable (connect ECONNREFUSED
 * 127.0.0.1:6379)`. When the connection broke while a publish was in flight,
 * or Redis accepted it but did not answer in time, the message ends with
 * `; the message may have been stored`: retrying it may store it twice.
 * Subscribers stay connected through an outage. Both connections reconnect
 * with a backoff from 50 ms up to 2 s, without end, and report each failure
 * to `onError`. Live delivery resumes from the last id it delivered on each
 * topic, so nothing Redis kept is lost and nothing is delivered twice. When
 * it finds that Redis restarted (its `run_id` changed) or that messages it
 * had not read yet were trimmed, it reports a gap
 * ({@linkcode HubWatchOptions.onGap}): each subscriber then replays from the
 * last message it received and gets a {@linkcode HubResetMessage} only if
 * messages are really gone.
 *
 * **Limits.** Every instance hears every notification, also of topics it
 * does not watch (a small message each; sharded Pub/Sub is not used). The
 * backend looks for trimmed messages only when a read
 * returns a full `batch` (with fewer new messages than that, none can have
 * been trimmed while at least `maxLen` are kept), and then conservatively:
 * if the last id it delivered is gone too, it reports a gap even when the
 * next message happens to follow it. It does not notice a stream deleted by
 * hand (`DEL`, `FLUSHALL`) without a restart of Redis, nor a Redis whose
 * clock went back across a restart (new ids lower than delivered ones).
 *
 * @param options Connection (one server or a cluster), key prefix, window
 * size, live delivery and fault settings.
 * @returns A backend that is connecting; commands wait for the connection
 * up to `timeoutMs`.
 * @throws {RangeError} If a number option is out of range or `batch`
 * exceeds `maxLen`.
 * @throws {TypeError} If `keyPrefix` is not a string, or
 * `cluster.rootNodes` is not a non-empty array of strings.
 *
 * @example A publish fails clearly when Redis is unreachable
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createRedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { ok, rejects } from "node:assert/strict";
 *
 * const errors: Error[] = [];
 * const backend = createRedisBackend({
 *   url: "redis://127.0.0.1:1", // nothing listens here
 *   timeoutMs: 200,
 *   onError: (error) => errors.push(error),
 * });
 * const hub = new Hub({ backend });
 * await rejects(
 *   hub.publish("news", { data: "x" }),
 *   /^Error: Cannot publish to topic "news": Redis is unreachable \(/,
 * );
 * ok(errors.length > 0);
 * await hub.close();
 * await backend.close();
 * ```
 *
 * @example Resume on another instance after a message id
 * ```ts ignore
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createRedisBackend } from "@serverpush/serverpush/hub/redis";
 * import { strictEqual } from "node:assert/strict";
 *
 * const a = createRedisBackend();
 * const b = createRedisBackend();
 * const hubA = new Hub({ backend: a });
 * const hubB = new Hub({ backend: b });
 * const seen = await hubA.publish("chat", { data: "hello" });
 * const missed = await hubA.publish("chat", { data: "again" });
 * const reader = hubB.subscribe("chat", { since: seen }).getReader();
 * const { value } = await reader.read();
 * strictEqual(value?.kind === "message" && value.id, missed);
 * await hubA.close();
 * await hubB.close();
 * await a.close();
 * await b.close();
 * ```
 */
export function createRedisBackend(
  options: RedisBackendOptions = {},
): RedisBackend {
  const url = options.url ?? "redis://127.0.0.1:6379";
  const keyPrefix = options.keyPrefix ?? "serverpush:";
  const maxLen = options.maxLen ?? 1000;
  const ttlMs = options.ttlMs ?? 3_600_000;
  const idempotencyWindowMs = options.idempotencyWindowMs ?? 600_000;
  const maxKeysPerTopic = options.maxKeysPerTopic ??
    DEFAULT_MAX_KEYS_PER_TOPIC;
  const blockMs = options.blockMs ?? 1000;
  const catchUpMs = options.catchUpMs ?? 60_000;
  const batch = options.batch ?? 100;
  const timeoutMs = options.timeoutMs ?? 5000;
  const waitForReplicas = options.waitForReplicas ?? 0;
  const maxPendingCommands = options.maxPendingCommands ?? 10_000;
  const presenceTtlMs = options.presenceTtlMs ?? 30_000;
  const what = "create Redis backend";
  checkPositiveInteger(what, "presenceTtlMs", presenceTtlMs);
  if (typeof keyPrefix !== "string") {
    throw new TypeError(`Cannot ${what}: keyPrefix is not a string`);
  }
  checkPositiveInteger(what, "maxLen", maxLen);
  if (ttlMs !== Infinity) checkPositiveInteger(what, "ttlMs", ttlMs);
  checkPositiveInteger(what, "idempotencyWindowMs", idempotencyWindowMs);
  checkPositiveInteger(what, "maxKeysPerTopic", maxKeysPerTopic);
  checkPositiveInteger(what, "blockMs", blockMs);
  if (catchUpMs !== Infinity) {
    checkPositiveInteger(what, "catchUpMs", catchUpMs);
  }
  const cluster = options.cluster;
  if (cluster !== undefined) {
    const nodes: unknown = cluster.rootNodes;
    if (
      !Array.isArray(nodes) || nodes.length === 0 ||
      !nodes.every((node) => typeof node === "string")
    ) {
      throw new TypeError(
        `Cannot ${what}: cluster.rootNodes is not a non-empty array of URLs`,
      );
    }
  }
  checkPositiveInteger(what, "batch", batch);
  checkPositiveInteger(what, "timeoutMs", timeoutMs);
  if (waitForReplicas !== 0) {
    checkPositiveInteger(what, "waitForReplicas", waitForReplicas);
  }
  checkPositiveInteger(what, "maxPendingCommands", maxPendingCommands);
  if (batch > maxLen) {
    throw new RangeError(
      `Cannot ${what}: batch is ${batch}, which exceeds maxLen of ${maxLen}`,
    );
  }

  let closed = false;
  const report = createReport(options.onError, () => closed);
  const driver = cluster === undefined
    ? NODE_REDIS
    : nodeRedisCluster(cluster.rootNodes);
  const commands = new RedisCommands(driver, {
    url,
    keyPrefix,
    channel: keyPrefix,
    maxLen,
    ttlMs,
    waitForReplicas,
    idempotencyWindowMs,
    maxKeysPerTopic,
    timeoutMs,
    maxPendingCommands,
    report,
  });
  const live = new RedisLive(driver, commands, {
    url,
    channel: keyPrefix,
    beatMs: blockMs,
    timeoutMs,
    batch,
    catchUpMs,
    report,
  });

  const presence = new RedisPresence(commands, {
    channel: keyPrefix,
    ttlMs: presenceTtlMs,
    report,
    subscribe: (channel, listener) => live.subscribe(channel, listener),
  });

  return {
    async append(
      topic: string,
      message: HubPublishMessage,
      options?: HubAppendOptions,
    ): Promise<HubDataMessage> {
      const { id, first } = await commands.add(
        topic,
        message,
        options?.idempotencyKey,
      );
      if (first !== undefined) return first;
      return storedMessage(topic, id, message);
    },

    state(topic: string): Promise<HubState> {
      return commands.state(topic);
    },

    read(topic: string, options: HubReadOptions): Promise<HubHistory> {
      return readHistory(commands, topic, options);
    },

    watch(
      topic: string,
      onMessage: (message: HubDataMessage) => void,
      options: HubWatchOptions = {},
    ): () => void {
      if (closed) {
        throw new Error(
          `Cannot watch topic ${quote(topic)}: the Redis backend is closed`,
        );
      }
      return live.watch(topic, onMessage, options.onGap);
    },

    compare(a: string, b: string): number {
      for (const id of [a, b]) {
        if (!isStreamId(id)) {
          throw new TypeError(
            `Cannot compare ids: ${quote(id)} is not a Redis stream id`,
          );
        }
      }
      return compareStreamIds(a, b);
    },

    ...presenceMethods(presence),

    close(): Promise<void> {
      if (!closed) {
        closed = true;
        presence.close();
        commands.close();
      }
      return live.close();
    },
  };
}
