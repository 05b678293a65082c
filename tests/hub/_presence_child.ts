// Copyright 2026 the serverpush authors. MIT license.
// A second server instance on one Redis: a hub with presence on every
// topic (presenceTtlMs from the command line) served under /hub/ with an
// identify hook that takes the client id from `?user=`. Prints its port,
// then serves until it is killed.
// Usage: _presence_child.ts <redis url> <presenceTtlMs>

import { Hub } from "../../hub/mod.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import { createHubHandler } from "../../serve/mod.ts";

const [url, ttl] = Deno.args;
const backend = createRedisBackend({ url: url!, presenceTtlMs: Number(ttl) });
const hub = new Hub({ backend, presence: true });
const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  createHubHandler(hub, {
    prefix: "/hub",
    keepAlive: 100,
    identify(request) {
      const user = new URL(request.url).searchParams.get("user");
      return user === null ? undefined : { clientId: user };
    },
  }),
);
// deno-lint-ignore no-console
console.log(server.addr.port);
