// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The unified client: {@linkcode connect} reads a topic over WebSocket,
 * then Server-Sent Events, then long polling, whichever the network lets
 * through, resuming after the last id on every reconnect and transport
 * change, so the application sees one ordered stream of messages.
 * {@linkcode connectMultiplex} speaks `serverpush.v1` instead: several
 * topics over one WebSocket, each resubscribed after its last id on every
 * reconnection, and publishes with idempotency keys. Both take `history`
 * (the newest messages first) and, with `json: true`, a map of event names
 * to data types.
 *
 * @example Read a hub topic with whatever transport works
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { connect } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   createHubHandler(hub),
 * );
 * const since = await hub.publish("news", { data: "seen" });
 * await hub.publish("news", { data: "hello" });
 * const client = connect(`http://127.0.0.1:${server.addr.port}/news`, { since });
 * for await (const event of client) {
 *   if (event.kind === "message") {
 *     strictEqual(event.data, "hello");
 *     break; // leaving the loop closes the client
 *   }
 * }
 * await hub.close();
 * await server.shutdown();
 * ```
 *
 * @module
 */

export type * from "./client_web_socket.ts";
export * from "./connect.ts";
export * from "./connect_multiplex.ts";
export * from "./connect_options.ts";
export * from "./push_client.ts";
export * from "./push_transport.ts";
export type {
  PollingEvent,
  PollingFetch,
  PollingMessage,
  PollingReset,
} from "../polling/connect_polling.ts";
