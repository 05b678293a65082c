// Copyright 2026 the serverpush authors. MIT license.

/**
 * Where the demo's hub keeps its messages, chosen when the demo starts:
 *
 * - `REDIS_URL` set: Redis, so several demo processes share topics.
 * - otherwise Deno KV ({@linkcode createKvBackend}), in the file named by
 *   `SERVERPUSH_KV` (default `.data/demo.sqlite`, a git-ignored folder), so
 *   a restarted demo resumes the feed's topics and the chat where they
 *   were; `SERVERPUSH_KV=:memory:` (or the `--memory` flag) keeps them in
 *   memory only.
 *
 * @module
 */

import { Hub } from "../../hub/mod.ts";
import { createKvBackend, KV_MAX_MESSAGE_BYTES } from "../../hub/kv.ts";

/** The default KV file, relative to the working directory. */
export const DEFAULT_KV_PATH = ".data/demo.sqlite";

/** A hub on the chosen store. See {@linkcode openDemoHub}. */
export interface DemoHubStore {
  /** The hub, on that store. */
  readonly hub: Hub;
  /** Where the messages are, for the start-up line. */
  readonly where: string;
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
    const backend = createRedisBackend({ url: redisUrl });
    const hub = new Hub({ backend });
    return {
      hub,
      where: `Redis at ${redisUrl}`,
      close: async () => {
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
  const backend = createKvBackend(path);
  // A KV value holds 64 KiB: bigger messages are refused by the hub (413).
  const hub = new Hub({ backend, maxMessageBytes: KV_MAX_MESSAGE_BYTES });
  return {
    hub,
    where: path === ":memory:" ? "Deno KV in memory" : `Deno KV in ${path}`,
    close: async () => {
      await hub.close();
      await backend.close();
    },
  };
}
