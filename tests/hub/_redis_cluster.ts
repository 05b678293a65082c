// Copyright 2026 the serverpush authors. MIT license.
// Starts a real Redis Cluster on loopback (three masters, three replicas)
// for the cluster tests, and stops every node by its pid.

import { delay } from "../_wait.ts";
import {
  freePort,
  type RedisServer,
  startRedisServer,
} from "./_redis_server.ts";

/** Why the cluster tests are skipped, or `undefined` when they can run. */
export const redisCliMissing: string | undefined = findRedisCli();

function findRedisCli(): string | undefined {
  try {
    const { success } = new Deno.Command("redis-cli", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success ? undefined : "redis-cli --version failed";
  } catch {
    return "redis-cli is not installed (apt-get install redis-tools)";
  }
}

/** A running cluster of six nodes. */
export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of every node. */
  readonly urls: readonly string[];
  /** The node that serves `key` as master now. */
  masterOf(key: string): Promise<RedisServer>;
  /** Waits until every live node says the cluster is ok. */
  healthy(): Promise<void>;
  /** Stops every node and removes their directories. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Runs redis-cli with `args`; resolves with its output, throws on failure. */
async function cli(args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("redis-cli", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const out = decoder.decode(stdout);
  if (!success) {
    throw new Error(
      `redis-cli ${args.join(" ")}: ${out}${decoder.decode(stderr)}`,
    );
  }
  return out;
}

function alive(server: RedisServer): boolean {
  try {
    server.pid();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts six redis-servers with `--cluster-enabled yes` and joins them with
 * `redis-cli --cluster create ... --cluster-replicas 1`. A failed master is
 * replaced by its replica after about a second (`cluster-node-timeout`).
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  async function stopAll(): Promise<void> {
    for (const node of nodes) await node[Symbol.asyncDispose]();
  }
  try {
    for (let i = 0; i < 6; i++) {
      nodes.push(
        await startRedisServer([
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          "1000",
          "--cluster-port",
          String(freePort()),
        ]),
      );
    }
    await cli([
      "--cluster",
      "create",
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      "--cluster-replicas",
      "1",
      "--cluster-yes",
    ]);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const cluster: RedisCluster = {
    urls: nodes.map((node) => node.url),
    async masterOf(key: string): Promise<RedisServer> {
      const port = String(nodes.find(alive)!.port);
      const slot = Number(await cli(["-p", port, "cluster", "keyslot", key]));
      // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slots>...
      for (
        const line of (await cli(["-p", port, "cluster", "nodes"])).split("\n")
      ) {
        const fields = line.trim().split(" ");
        const flags = fields[2] ?? "";
        if (!flags.includes("master") || flags.includes("fail")) continue;
        const serves = fields.slice(8).some((range) => {
          const [from, to = from] = range.split("-").map(Number);
          return slot >= from! && slot <= to!;
        });
        const address = fields[1]!.split("@")[0]!;
        const node = nodes.find((n) => `127.0.0.1:${n.port}` === address);
        if (serves && node !== undefined && alive(node)) return node;
      }
      throw new Error(`no live master serves ${key}`);
    },
    async healthy(): Promise<void> {
      for (let i = 0; i < 300; i++) {
        let ok = true;
        for (const node of nodes.filter(alive)) {
          const info = await cli(["-p", String(node.port), "cluster", "info"]);
          if (!info.includes("cluster_state:ok")) ok = false;
        }
        if (ok) return;
        await delay(100);
      }
      throw new Error("the cluster did not become ok");
    },
    [Symbol.asyncDispose]: stopAll,
  };
  await cluster.healthy();
  // And every replica in sync with its master, so that WAIT can succeed.
  for (let i = 0;; i++) {
    let synced = true;
    for (const node of nodes) {
      const info = await cli(["-p", String(node.port), "info", "replication"]);
      if (
        info.includes("role:slave")
          ? !info.includes("master_link_status:up")
          : !info.includes("connected_slaves:1")
      ) {
        synced = false;
      }
    }
    if (synced) break;
    if (i === 300) {
      await stopAll();
      throw new Error("the replicas did not sync with their masters");
    }
    await delay(100);
  }
  return cluster;
}
