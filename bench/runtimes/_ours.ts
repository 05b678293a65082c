// Copyright 2026 the serverpush authors. MIT license.
// Our side of bench/runtimes.ts: the echo on acceptWebSocket and the fan-out
// on a Hub behind createHubHandler, default options, as a user would write
// them. The echo reads with forEachMessage, returning send()'s promise (the
// backpressure of `await connection.send()`), or, with `"for-await"`, with
// a `for await` loop. The same code runs under Deno.serve (deno_ours.ts) and under
// serve() on Node and Bun (ours.ts).

import { Hub } from "../../hub/mod.ts";
import { createHubHandler } from "../../serve/mod.ts";
import { acceptWebSocket, forEachMessage } from "../../ws/mod.ts";
import type { BenchSide } from "./_routes.ts";

/** How the echo reads its messages. */
export type EchoStyle = "for-each" | "for-await";

/** Our server + hub, for the routes of _routes.ts. */
export function oursSide(style: EchoStyle = "for-each"): BenchSide {
  const hub = new Hub();
  const hubHandler = createHubHandler(hub, { prefix: "/hub" });
  return {
    async echo(request: Request): Promise<Response> {
      const { response, connection } = await acceptWebSocket(request);
      if (connection !== undefined && style === "for-each") {
        forEachMessage(connection, (message) => connection.send(message))
          .catch(() => {});
      } else if (connection !== undefined) {
        (async () => {
          for await (const message of connection) {
            await connection.send(message);
          }
        })().catch(() => {});
      }
      return response;
    },
    subscribe: hubHandler,
    async broadcast(_k: number, data: string): Promise<void> {
      await hub.publish("bench", { data });
    },
  };
}
