// Copyright 2026 the serverpush authors. MIT license.
// Adapter: one `serve()` for Deno, Node and Bun. The runtime is found when
// `serve` is called (never at import time); each runtime's server is in its
// own private file, which reaches its platform only inside its functions.

import type { ServeOptions } from "./serve_options.ts";
import type { ServeHandler, Server } from "./server.ts";
import { serveDeno } from "./_serve_deno.ts";
import { serveNode } from "./_serve_node.ts";
import { serveBun } from "./_serve_bun.ts";
import { checkServeOptions } from "./_serve_options.ts";

/**
 * Serves `handler` on Deno, Node (20.16 or later) or Bun, with the same
 * code: `Deno.serve`, `node:http` / `node:https`, or `Bun.serve`.
 *
 * `acceptWebSocket` works inside the handler on every runtime (so does
 * `createHubHandler`'s WebSocket route): on Node the upgrade runs on
 * serverpush's codec engine over the TCP socket (every limit of the
 * engine applies, permessage-deflate is negotiated); on Bun on Bun's own
 * WebSocket; on Deno on `Deno.upgradeWebSocket`. `docs/runtimes.md` lists
 * what each runtime can and cannot do.
 *
 * On Node, a request's `signal` aborts when the client goes away, and a
 * response body is read only as fast as the client takes it (so a client
 * that never reads holds back the stream, and a bounded source such as the
 * hub's SSE queue applies its policy).
 *
 * It resolves once the server listens, since Node and Bun pick the port
 * asynchronously.
 *
 * @param options Where to listen, TLS, limits and hooks.
 * @param handler Answers each request.
 * @returns The running server.
 * @throws {TypeError} If only one of `cert` and `key` is given, or no
 * supported runtime is found.
 * @throws {RangeError} If a limit is out of range.
 *
 * @example Serve a hub on any runtime
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler, serve } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const server = await serve(
 *   { port: 0, hostname: "127.0.0.1" },
 *   createHubHandler(hub, { authorizePublish: () => true }),
 * );
 * const base = `http://127.0.0.1:${server.addr.port}`;
 * const published = await fetch(`${base}/news`, { method: "POST", body: "hi" });
 * strictEqual(published.status, 201);
 * await published.body?.cancel();
 * const history = await fetch(`${base}/news?transport=poll&history=1`);
 * strictEqual((await history.json()).messages[0].data, "hi");
 * await server.shutdown();
 * await hub.close();
 * ```
 */
export function serve(
  options: ServeOptions,
  handler: ServeHandler,
): Promise<Server> {
  const settings = checkServeOptions(options);
  const global = globalThis as {
    Bun?: unknown;
    Deno?: unknown;
    process?: { getBuiltinModule?: unknown };
  };
  if (global.Bun !== undefined) return serveBun(settings, handler);
  if (global.Deno !== undefined) return serveDeno(settings, handler);
  if (typeof global.process?.getBuiltinModule === "function") {
    return serveNode(settings, handler);
  }
  return Promise.reject(
    new TypeError(
      "Cannot serve: no supported runtime found (Deno, Bun, or Node 20.16 or later)",
    ),
  );
}
