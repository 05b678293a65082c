// Copyright 2026 the serverpush authors. MIT license.
// Starts and stops a real redis-server on loopback for the Redis tests.

import { delay } from "../_wait.ts";

/** Why the Redis tests are skipped, or `undefined` when they can run. */
export const redisMissing: string | undefined = findRedis();

function findRedis(): string | undefined {
  try {
    const { success } = new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success ? undefined : "redis-server --version failed";
  } catch {
    return "redis-server is not installed (apt-get install redis-server)";
  }
}

/** A redis-server process on 127.0.0.1, daemonized, known by its pid. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Pid of the running server; throws when stopped. */
  pid(): number;
  /** Stops the server (SIGTERM) and waits until it is gone. */
  stop(): Promise<void>;
  /** SIGKILL: the server dies at once, as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with an empty data set. */
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections and data but answers nothing. */
  pause(): void;
  /** SIGCONT after {@linkcode RedisServer.pause}. */
  resume(): void;
  /** Stops the server if it runs and removes its directory. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A loopback TCP port nothing listens on (at the time of asking). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function alive(pid: number): boolean {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).includes(") Z ");
  } catch {
    return false;
  }
}

async function answersPing(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(16);
    const n = await conn.read(buffer);
    return n !== null &&
      new TextDecoder().decode(buffer.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/**
 * Starts a redis-server on a free loopback port, with `args` added to its
 * command line (for example `--cluster-enabled yes`).
 */
export async function startRedisServer(
  args: readonly string[] = [],
): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "serverpush_redis_" });
  const pidFile = `${dir}/redis.pid`;
  const port = freePort();
  let pid: number | undefined;

  async function start(): Promise<void> {
    if (pid !== undefined) throw new Error("redis-server is already running");
    const { success, stderr, stdout } = await new Deno.Command("redis-server", {
      args: [
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "yes",
        "--pidfile",
        pidFile,
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--logfile",
        `${dir}/redis.log`,
        ...args,
      ],
    }).output();
    if (!success) {
      const decoder = new TextDecoder();
      throw new Error(
        `redis-server failed: ${decoder.decode(stdout)}${
          decoder.decode(stderr)
        }`,
      );
    }
    for (let i = 0; i < 500; i++) {
      let text = "";
      try {
        text = await Deno.readTextFile(pidFile);
      } catch {
        // Not written yet.
      }
      if (text.trim() !== "" && await answersPing(port)) {
        pid = Number(text.trim());
        return;
      }
      await delay(10);
    }
    throw new Error(`redis-server did not start on port ${port}`);
  }

  async function stop(
    signal: "SIGTERM" | "SIGKILL" = "SIGTERM",
  ): Promise<void> {
    if (pid === undefined) return;
    const stopping = pid;
    pid = undefined;
    // A paused server ignores SIGTERM until it continues.
    Deno.kill(stopping, "SIGCONT");
    Deno.kill(stopping, signal);
    for (let i = 0; i < 500 && alive(stopping); i++) await delay(10);
    await Deno.remove(pidFile).catch(() => undefined);
  }

  function running(): number {
    if (pid === undefined) throw new Error("redis-server is not running");
    return pid;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: running,
    stop: () => stop(),
    kill: () => stop("SIGKILL"),
    start,
    pause(): void {
      Deno.kill(running(), "SIGSTOP");
    },
    resume(): void {
      Deno.kill(running(), "SIGCONT");
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => undefined);
    },
  };
}
