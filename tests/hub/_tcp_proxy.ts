// Copyright 2026 the serverpush authors. MIT license.
// A loopback TCP proxy that a test can cut and restore, to put one client
// out of reach of a server that keeps running (a network partition).

/** A proxy from its own port to `127.0.0.1:<target>`. */
export interface TcpProxy {
  readonly port: number;
  /** Closes every proxied connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a proxy on a free loopback port. */
export function startTcpProxy(target: number): TcpProxy {
  let listener: Deno.TcpListener | undefined;
  let accepting: Promise<void> = Promise.resolve();
  const connections = new Set<Deno.TcpConn>();
  const pipes = new Set<Promise<void>>();

  function pipe(from: Deno.TcpConn, to: Deno.TcpConn): void {
    const done = from.readable.pipeTo(to.writable).catch(() => undefined)
      .finally(() => {
        for (const conn of [from, to]) {
          if (connections.delete(conn)) {
            try {
              conn.close();
            } catch {
              // Already closed by the other direction.
            }
          }
        }
        pipes.delete(done);
      });
    pipes.add(done);
  }

  async function accept(server: Deno.TcpListener): Promise<void> {
    for await (const client of server) {
      let upstream: Deno.TcpConn;
      try {
        upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
      } catch {
        client.close();
        continue;
      }
      connections.add(client);
      connections.add(upstream);
      pipe(client, upstream);
      pipe(upstream, client);
    }
  }

  function listen(port: number): void {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
    accepting = accept(listener).catch(() => undefined);
  }

  async function cut(): Promise<void> {
    listener?.close();
    listener = undefined;
    await accepting;
    for (const conn of connections) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    connections.clear();
    while (pipes.size > 0) await Promise.all([...pipes]);
  }

  listen(0);
  const port = (listener!.addr as Deno.NetAddr).port;
  return {
    port,
    cut,
    restore(): void {
      if (listener === undefined) listen(port);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await cut();
    },
  };
}
