// Copyright 2026 the serverpush authors. MIT license.

/**
 * Where the demo's hub keeps its messages, chosen when the demo starts:
 *
 * - `REDIS_URL` set: Redis, so several demo processes share topics.
 * - otherwise Deno KV ({@linkcode createKvBackend}), in the file named by
 *   `SERVERPUSH_KV` (default `.data/demo.sqlite`, a git-ignored folder), so
 *   a restarted demo resumes the feed's topics and the chat where they
 *   were; the `/sse` feed's last event number and the `/ws/chat` room's
 *   history are kept in the same store; `SERVERPUSH_KV=:memory:` (or the `--memory` flag) keeps them in
 *   memory only.
 *
 * Either way the demo's produced topics (`quotes`, `dashboard`, `ticker`)
 * are published by one instance at a time, the holder of the topic's lease
 * in the same store ({@linkcode holdLeases}): two demos on one Redis do not
 * publish every quote twice.
 *
 * @module
 */

import { demoPresence } from "./hub_routes.ts";
import { Hub } from "../../hub/mod.ts";
import { createKvBackend, KV_MAX_MESSAGE_BYTES } from "../../hub/kv.ts";
import type { DemoFeed, DemoFeedOptions } from "./feed.ts";
import type { ChatMessage, ChatRoomOptions } from "./ws_chat.ts";
import {
  createKvLeaseStore,
  createRedisLeaseStore,
  holdLeases,
} from "./lease.ts";

/** The topics the demo produces: one instance publishes each. */
export const PRODUCED_TOPICS: readonly string[] = Object.freeze([
  "quotes",
  "dashboard",
  "ticker",
]);

/** The default KV file, relative to the working directory. */
export const DEFAULT_KV_PATH = ".data/demo.sqlite";

/** Where the demo keeps the feed's last event number. */
const FEED_KEY = ["serverpush-demo", "feed-last-id"];
/** Where the demo keeps the `/ws/chat` room's recent messages. */
const CHAT_PREFIX = ["serverpush-demo", "chat"];
const CHAT_HISTORY = 50;
const DAY_MS = 86_400_000;

/** A hub on the chosen store. See {@linkcode openDemoHub}. */
export interface DemoHubStore {
  /** The hub, on that store. */
  readonly hub: Hub;
  /** Where the messages are, for the start-up line. */
  readonly where: string;
  /**
   * Where the feed continues: after the last event number of the earlier
   * run, stored in KV (none on Redis).
   */
  readonly feed: DemoFeedOptions;
  /** The `/ws/chat` room's history of the earlier run, and its storing. */
  readonly chat: ChatRoomOptions;
  /** Stores the feed's event numbers from now on. */
  keep(feed: DemoFeed): void;
  /** Whether this instance holds the lease of a produced topic now. */
  mayPublish(topic: string): boolean;
  /** Closes the hub, then the store. */
  close(): Promise<void>;
}

/**
 * Opens the demo's hub on Redis or Deno KV, from the environment and the
 * command line.
 *
 * @param env Reads an environment variable (`Deno.env.get`).
 * @param args The command line arguments.
 * @returns The hub and a description of its store.
 */
export async function openDemoHub(
  env: (name: string) => string | undefined,
  args: readonly string[],
): Promise<DemoHubStore> {
  const redisUrl = env("REDIS_URL");
  if (redisUrl) {
    const { createRedisBackend } = await import("../../hub/redis.ts");
    const { createClient } = await import("npm:@redis/client@6.3.1");
    const backend = createRedisBackend({ url: redisUrl });
    const hub = new Hub({ backend, presence: demoPresence });
    const redis = createClient({ url: redisUrl });
    // Errors are retried by the client; a lease simply lapses meanwhile.
    redis.on("error", () => {});
    await redis.connect();
    const leases = holdLeases(createRedisLeaseStore(redis), PRODUCED_TOPICS);
    await leases.ready;
    const mayPublish = (topic: string): boolean => leases.holds(topic);
    return {
      hub,
      where: `Redis at ${redisUrl}`,
      feed: { hub, mayPublish },
      chat: {},
      keep: () => {},
      mayPublish,
      close: async () => {
        await leases.close();
        redis.destroy();
        await hub.close();
        await backend.close();
      },
    };
  }
  const path = args.includes("--memory")
    ? ":memory:"
    : env("SERVERPUSH_KV") || DEFAULT_KV_PATH;
  if (path !== ":memory:") {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  }
  const kv = await Deno.openKv(path);
  const backend = createKvBackend(kv);
  // A KV value holds 64 KiB: bigger messages are refused by the hub (413).
  const hub = new Hub({
    backend,
    maxMessageBytes: KV_MAX_MESSAGE_BYTES,
    presence: demoPresence,
  });
  const leases = holdLeases(createKvLeaseStore(kv), PRODUCED_TOPICS);
  await leases.ready;
  const mayPublish = (topic: string): boolean => leases.holds(topic);
  const stored = await kv.get<number>(FEED_KEY);
  const history: ChatMessage[] = [];
  for await (
    const entry of kv.list<ChatMessage>({ prefix: CHAT_PREFIX }, {
      reverse: true,
      limit: CHAT_HISTORY,
    })
  ) history.unshift(entry.value);
  // Writes are dropped once the store is closed at shutdown.
  const ignore = (): void => {};
  return {
    hub,
    where: path === ":memory:" ? "Deno KV in memory" : `Deno KV in ${path}`,
    // The event after the stored one may have been sent before the process
    // ended, but not stored: skip it rather than send another one with its
    // number (it would be the same event: the number decides the event).
    feed: stored.value === null
      ? { hub, mayPublish }
      : { hub, mayPublish, lastId: stored.value + 1, resume: true },
    mayPublish,
    chat: {
      historySize: CHAT_HISTORY,
      history,
      onMessage(message): void {
        kv.atomic()
          .set([...CHAT_PREFIX, message.id], message, { expireIn: DAY_MS })
          .delete([...CHAT_PREFIX, message.id - CHAT_HISTORY])
          .commit().catch(ignore);
      },
    },
    keep(feed: DemoFeed): void {
      feed.subscribe((event) => {
        kv.set(FEED_KEY, Number(event.id)).catch(ignore);
      });
    },
    close: async () => {
      await leases.close();
      await hub.close();
      await backend.close();
      kv.close();
    },
  };
}
