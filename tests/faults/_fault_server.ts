// Copyright 2026 the serverpush authors. MIT license.
// One server process of the fault test (delivery_fault_test.ts): the hub
// handler (every HTTP and WebSocket transport, publishing allowed) on
// `httpPort` and the TCP relay (JSON lines) on `relayPort`, over a hub on
// the given backend. It prints "ready" once both listen, and runs until
// it is killed.
//
//   deno run -A _fault_server.ts memory <httpPort> <relayPort>
//   deno run -A _fault_server.ts redis <httpPort> <relayPort> <redis url>
//   deno run -A --unstable-kv _fault_server.ts kv <httpPort> <relayPort> <path>
//
// Besides the hub handler it answers `GET /_history/<topic>` with the
// topic's whole history as JSON (`{"reset"?, "messages":[[id, data]…]}`),
// and every response carries `X-Fault-Instance`, this process's pid, so
// the test knows which process acknowledged a publish.

import { Hub } from "../../hub/mod.ts";
import { createKvBackend } from "../../hub/kv.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import { createHubHandler, serve } from "../../serve/mod.ts";
import { serveTcpPush } from "../../tcp/mod.ts";

const [kind, httpPort, relayPort, target] = Deno.args;
/** Large enough that nothing the test publishes leaves the window. */
const WINDOW = 1_000_000;

function makeHub(): Hub {
  switch (kind) {
    case "memory":
      return new Hub({ replay: { maxMessages: WINDOW } });
    case "redis":
      return new Hub({
        backend: createRedisBackend({
          url: target!,
          maxLen: WINDOW,
          // Short, so that publishes fail fast while Redis is paused and
          // the publishers' retries are exercised.
          timeoutMs: 1000,
          onError(error) {
            if (Deno.env.get("FAULT_SERVER_DEBUG") !== undefined) {
              // deno-lint-ignore no-console
              console.error(
                Deno.pid,
                performance.now().toFixed(0),
                "ERR",
                error.message,
              );
            }
          },
        }),
      });
    case "kv":
      return new Hub({
        backend: createKvBackend(target!, {
          maxMessages: WINDOW,
          pollMs: 50,
          onError() {},
        }),
      });
    default:
      throw new Error(`usage: _fault_server.ts memory|redis|kv ...`);
  }
}

const hub = makeHub();
const instance = String(Deno.pid);
const hubHandler = createHubHandler(hub, {
  allowPublish: true,
  authorizePublish: () => true,
  retry: 200,
  keepAlive: 1000,
  onError() {},
});

/** Every message `topic` holds, read a page at a time. */
async function wholeHistory(
  topic: string,
): Promise<{ reset?: string; messages: [string, unknown][] }> {
  const messages: [string, unknown][] = [];
  let reset: string | undefined;
  while (true) {
    const since = messages.at(-1)?.[0];
    const page = await hub.history(
      topic,
      since === undefined ? { limit: 1000 } : { since, limit: 1000 },
    );
    reset ??= page.reset;
    for (const m of page.messages) messages.push([m.id, m.data]);
    if (page.messages.length < 1000) break;
  }
  return reset === undefined ? { messages } : { reset, messages };
}

async function handler(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  let response: Response;
  if (pathname.startsWith("/_history/")) {
    response = Response.json(
      await wholeHistory(pathname.slice("/_history/".length)),
    );
  } else {
    response = await hubHandler(request);
  }
  // A WebSocket upgrade's response cannot take headers after the fact.
  if (response.status !== 101) {
    try {
      response.headers.set("x-fault-instance", instance);
    } catch {
      // Immutable headers (a Response.error() or a redirect): leave them.
    }
  }
  return response;
}

serveTcpPush({
  hostname: "127.0.0.1",
  port: Number(relayPort),
  mode: "line",
  format: "json",
  policy: false,
  maxConnectionsPerAddress: 10_000,
  onError() {},
}, hub);

await serve({
  hostname: "127.0.0.1",
  port: Number(httpPort),
  onListen() {},
  onError() {},
}, handler);
// deno-lint-ignore no-console
console.log("ready");

if (Deno.env.get("FAULT_SERVER_DEBUG") !== undefined) {
  const start = Date.now();
  setInterval(() => {
    const s = hub.stats();
    // deno-lint-ignore no-console
    console.error(
      `[${Deno.pid}] ${
        ((Date.now() - start) / 1000).toFixed(1)
      }s subs=${s.subscribers} queued=${s.queuedMessages} ${
        JSON.stringify(
          s.topics.map((
            t,
          ) => [t.topic, t.subscribers, t.queuedMessages, t.largestQueue]),
        )
      }`,
    );
  }, 500);
}
