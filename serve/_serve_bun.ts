// Copyright 2026 the serverpush authors. MIT license.
// Adapter, private: `serve` on Bun, over `Bun.serve`. WebSockets run on
// Bun's own engine (its `ServerWebSocket`, seen as a WHATWG `WebSocket`):
// Bun gives a handler no raw socket for our codec engine, and its
// `node:http` layer does not hand upgraded sockets over either.

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
import { Live } from "./_live.ts";
import { type BunServerWebSocket, BunSocket } from "./_bun_socket.ts";

/** `Bun.serve`'s server, as far as used. */
interface BunServer {
  readonly port: number;
  readonly hostname: string;
  upgrade(
    request: Request,
    options: { headers?: HeadersInit; data: BunSocket },
  ): boolean;
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): { address: string; port: number } | null;
}

/** `Bun.serve`, as far as used. */
type BunServe = (options: Record<string, unknown>) => BunServer;

/** Bun's queue per socket, past which it would drop or close. */
const BACKPRESSURE_LIMIT = 64 * 1024 * 1024;

/** Serves `handler` with `Bun.serve`. */
export function serveBun(
  settings: ServeSettings,
  handler: ServeHandler,
): Promise<Server> {
  const bun = (globalThis as unknown as { Bun: { serve: BunServe } }).Bun;
  const live = new Live();
  // What the handler returns for an upgrade Bun has taken over.
  const upgraded = new Response(null, { status: 200 });

  const provider: WebSocketUpgradeProvider = {
    upgrade(request, acceptance) {
      const socket = new BunSocket(acceptance.protocol);
      // Bun computes the accept key and the extensions itself, and answers
      // the first subprotocol offered (a second Sec-WebSocket-Protocol
      // header would make clients fail the connection).
      if (!server.upgrade(request, { data: socket })) {
        throw new TypeError("Cannot accept WebSocket: Bun refused the upgrade");
      }
      // Bun answers the 101 itself once the handler returns nothing.
      return { response: upgraded, socket: socket as unknown as WebSocket };
    },
    accepted: (connection) => live.connection(connection),
  };

  const server: BunServer = bun.serve({
    port: settings.port,
    hostname: settings.hostname,
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
    maxRequestBodySize: settings.maxRequestBodyBytes,
    // Bun closes a connection idle for 10 s by default: streams such as
    // SSE stay quiet for longer.
    idleTimeout: 0,
    error(error: unknown) {
      settings.report(error);
      return new Response("Cannot handle request: internal error", {
        status: 500,
      });
    },
    async fetch(request: Request): Promise<Response | undefined> {
      if (isUpgrade(request)) provideWebSocketUpgrade(request, provider);
      const peer = server.requestIP(request);
      const task = respond(
        handler,
        request,
        requestInfo(peer?.address, peer?.port),
        settings,
      );
      live.track(task);
      const response = await task;
      return response === upgraded ? undefined : response;
    },
    websocket: {
      open: (ws: BunServerWebSocket) => ws.data.opened(ws),
      // Binary messages are ArrayBuffers: see BunSocket.opened.
      message: (
        ws: BunServerWebSocket,
        message: string | ArrayBuffer | Uint8Array,
      ) => ws.data.received(message),
      close: (ws: BunServerWebSocket, code: number, reason: string) =>
        ws.data.closed(code, reason),
      perMessageDeflate: settings.deflate !== undefined,
      backpressureLimit: BACKPRESSURE_LIMIT,
      closeOnBackpressureLimit: false,
      // acceptWebSocket applies maxMessageBytes itself, after Bun.
      maxPayloadLength: 64 * 1024 * 1024,
      idleTimeout: 120,
      sendPings: true,
    },
  });
  const addr = { hostname: settings.hostname, port: server.port };

  return Promise.resolve(running(settings, "bun", addr, async () => {
    live.end();
    // Bun's `stop()` does not settle while WebSockets are open: wait for
    // their close handshakes first (each bounded by its closeTimeout).
    await Promise.all(
      [...live.connections].map((connection) => connection.closed),
    );
    void server.stop(true);
    await live.settled();
  }));
}
