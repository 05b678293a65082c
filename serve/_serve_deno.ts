// Copyright 2026 the serverpush authors. MIT license.
// Adapter, private: `serve` on Deno, over `Deno.serve`. WebSockets run on
// `Deno.upgradeWebSocket` (the native engine), registered per upgrade
// request so that shutdown can close them.

import {
  provideWebSocketUpgrade,
  type WebSocketUpgradeProvider,
} from "../ws/upgrade_provider.ts";
import type { ServeHandler, Server } from "./server.ts";
import {
  isUpgrade,
  requestInfo,
  respond,
  running,
  type ServeSettings,
} from "./_serve_options.ts";
import { Live, stoppable } from "./_live.ts";

/** Serves `handler` with `Deno.serve`. */
export function serveDeno(
  settings: ServeSettings,
  handler: ServeHandler,
): Promise<Server> {
  const live = new Live();
  const provider: WebSocketUpgradeProvider = {
    upgrade(request, acceptance, options) {
      const upgraded = Deno.upgradeWebSocket(request, options);
      // Set here rather than through Deno's `protocol` option, which
      // throws on an offer written "a,b" (see acceptWebSocket).
      if (acceptance.protocol !== "") {
        upgraded.response.headers.set(
          "sec-websocket-protocol",
          acceptance.protocol,
        );
      }
      return upgraded;
    },
    accepted: (connection) => live.connection(connection),
  };
  const server = Deno.serve({
    port: settings.port,
    hostname: settings.hostname,
    ...(settings.tls ?? {}),
    onListen() {},
    onError(error) {
      settings.report(error);
      return new Response("Cannot handle request: internal error", {
        status: 500,
      });
    },
  }, async (request, info) => {
    if (isUpgrade(request)) provideWebSocketUpgrade(request, provider);
    const { hostname, port } = info.remoteAddr as Partial<Deno.NetAddr>;
    const response = await respond(
      handler,
      request,
      requestInfo(hostname, port),
      settings,
    );
    return response.status === 101 ? response : stoppable(response, live);
  });
  const netAddr = server.addr as Deno.NetAddr;
  const addr = { hostname: netAddr.hostname, port: netAddr.port };

  return Promise.resolve(running(settings, "deno", addr, async () => {
    live.end();
    await server.shutdown();
    await live.settled();
  }));
}
