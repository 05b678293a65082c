// Copyright 2026 the serverpush authors. MIT license.
// A round-robin TCP balancer on loopback: each accepted connection goes to
// the next target, skipping a target that refuses (a killed server), as a
// layer-4 load balancer with passive health checks does. Unlike
// tests/hub/_tcp_proxy.ts (one target, cut and restored by the test), it
// spreads connections over several targets that come and go by themselves.

/** A balancer listening on its own loopback port. */
export interface Balancer {
  readonly port: number;
  /** Connections accepted so far, by the index of the target that got them. */
  readonly accepted: readonly number[];
  /** Stops accepting and closes every proxied connection. */
  close(): Promise<void>;
}

/** Starts a balancer over `targets` (loopback ports) on a free port. */
export function startBalancer(targets: readonly number[]): Balancer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections = new Set<Deno.TcpConn>();
  const pipes = new Set<Promise<void>>();
  const accepted = targets.map(() => 0);
  let next = 0;

  function closeQuietly(conn: Deno.TcpConn): void {
    if (!connections.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  function pipe(from: Deno.TcpConn, to: Deno.TcpConn): void {
    const done = from.readable.pipeTo(to.writable).catch(() => undefined)
      .finally(() => {
        // One direction ended: the connection is over on both sides, as
        // when a server process dies.
        closeQuietly(from);
        closeQuietly(to);
        pipes.delete(done);
      });
    pipes.add(done);
  }

  /** Connects to the next target that accepts, trying each once. */
  async function upstream(): Promise<Deno.TcpConn | undefined> {
    for (let tried = 0; tried < targets.length; tried++) {
      const index = next;
      next = (next + 1) % targets.length;
      try {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: targets[index]!,
        });
        accepted[index]!++;
        return conn;
      } catch {
        // Refused: that target is down; try the next one.
      }
    }
    return undefined;
  }

  async function handle(client: Deno.TcpConn): Promise<void> {
    connections.add(client);
    const server = await upstream();
    if (server === undefined) {
      closeQuietly(client);
      return;
    }
    connections.add(server);
    pipe(client, server);
    pipe(server, client);
  }

  const handling = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const client of listener) {
      const handled = handle(client).finally(() => handling.delete(handled));
      handling.add(handled);
    }
  })().catch(() => undefined);

  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted,
    async close(): Promise<void> {
      listener.close();
      await accepting;
      await Promise.all([...handling]);
      for (const conn of [...connections]) closeQuietly(conn);
      while (pipes.size > 0) await Promise.all([...pipes]);
    },
  };
}
