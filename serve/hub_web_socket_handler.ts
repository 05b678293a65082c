// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsConnection } from "../ws/connection.ts";
import { fitCloseReason } from "../ws/_fit_close_reason.ts";
import { SERVERPUSH_V1 } from "../message/serverpush_v1.ts";
import type { MessageSource } from "../message/source.ts";
import type { HubHandlerOptions } from "./hub_handler_options.ts";
import {
  GOING_AWAY,
  INTERNAL_ERROR,
  POLICY_VIOLATION,
  type SessionRequest,
  SHUTTING_DOWN,
} from "./_session_context.ts";
import { createSessionContext } from "./_session_options.ts";
import { createTopicRoute } from "./_topic_route.ts";
import { sinceOf } from "./_since.ts";
import { runMultiplexSession } from "./_multiplex_session.ts";
import { runTopicSession } from "./_topic_session.ts";
import { quote } from "../_internal/quote.ts";

const WHAT = "create hub WebSocket handler";

/**
 * Options for {@linkcode hubWebSocketHandler}: the WebSocket part of
 * {@linkcode HubHandlerOptions}. Routing (`prefix`, `topic`) reads the
 * upgrade request's URL; the Origin policy, `allowedHosts`, the heartbeat
 * and the size limits are those of the server that accepted the
 * connection (`serveWebSocket`'s options).
 *
 * @example Let clients publish to "chat"
 * ```ts
 * import type { HubWebSocketHandlerOptions } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: HubWebSocketHandlerOptions = {
 *   prefix: "/hub",
 *   allowPublish: true,
 *   authorizePublish: (_request, topic) => topic === "chat",
 * };
 * strictEqual(options.allowPublish, true);
 * ```
 */
export type HubWebSocketHandlerOptions = Pick<
  HubHandlerOptions,
  | "prefix"
  | "topic"
  | "authorizeSubscribe"
  | "authorizePublish"
  | "allowPublish"
  | "maxPublishBytes"
  | "maxSubscriptions"
  | "maxClientErrors"
  | "signal"
  | "onError"
  | "expiresAt"
>;

/**
 * A connection handler from {@linkcode hubWebSocketHandler}, for
 * `serveWebSocket` (or any code that holds a `WsConnection` and its upgrade
 * request); its promise settles once the connection is closed.
 *
 * @example Type a handler
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import {
 *   type HubWebSocketHandler,
 *   hubWebSocketHandler,
 * } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler: HubWebSocketHandler = hubWebSocketHandler(hub);
 * strictEqual(typeof handler, "function");
 * await hub.close();
 * ```
 */
export type HubWebSocketHandler = (
  connection: WsConnection,
  request: Request,
) => Promise<void>;

/**
 * Makes a handler that serves the topics of `source` over an accepted
 * WebSocket of any engine: serverpush's codec engine (`serveWebSocket`,
 * with permessage-deflate), `acceptWebSocket`'s, or another
 * `WsConnection`. It speaks what `createHubHandler` speaks on a WebSocket:
 *
 * - when the connection negotiated the `serverpush.v1` subprotocol
 *   (`connection.protocol`; give the server `protocols: ["serverpush.v1"]`),
 *   several topics by name: `subscribe`, `unsubscribe` and, with
 *   `allowPublish`, `publish`;
 * - otherwise the topic of the request's path (after `prefix`) or of
 *   `options.topic`, as text frames of `hubMessageToJson`, resuming after
 *   `?since=` or `Last-Event-ID`; with `allowPublish`, frames
 *   `{"event"?,"data","encoding"?}` publish.
 *
 * The connection is already open, so what `createHubHandler` answers with
 * an HTTP status closes it instead: a path outside `prefix`, with no topic
 * or an invalid one, or a subscription `authorizeSubscribe` refuses, with
 * 1008 (1011 when the hook throws; `onError` sees the error). The bounds
 * are the same: everything sent waits while the connection buffers over
 * 1 MiB (`bufferedAmount`), so a client that does not read costs that plus
 * one message per subscription; a subscriber queue that overflows closes
 * with 1008; `maxClientErrors` invalid requests close with 1008. Requests
 * are handled one at a time, and while one is handled or its answer waits
 * for the buffer to drain, nothing more is read from the connection: what
 * the client sends meanwhile stays in the connection, bounded by the
 * server's `maxUnreadBytes` (past which it stops reading from the network;
 * 1 MiB matches `createHubHandler`). Set the server's `maxMessageBytes` to
 * `2 × maxPublishBytes + 4096` as `createHubHandler` does.
 *
 * @param source The topics to serve, for example a `Hub`.
 * @param options Routing, authorization and limits.
 * @returns The connection handler.
 * @throws {RangeError} If a limit is out of range.
 * @throws {TypeError} If `prefix` does not start with `/`.
 *
 * @example Serve a hub on the codec engine, with permessage-deflate
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubWebSocketHandler } from "@serverpush/serverpush/serve";
 * import { connectWebSocket, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { permessageDeflate } from "@serverpush/serverpush/ws/deflate";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const server = serveWebSocket(
 *   { deflate: permessageDeflate(), protocols: ["serverpush.v1"] },
 *   hubWebSocketHandler(hub, { prefix: "/hub" }),
 * );
 * const client = await connectWebSocket(
 *   `ws://127.0.0.1:${server.addr.port}/hub/news`,
 * );
 * const id = await hub.publish("news", { data: "hi" });
 * for await (const message of client) {
 *   deepStrictEqual(JSON.parse(message as string), { id, data: "hi" });
 *   break;
 * }
 * await client.closed;
 * await server.shutdown();
 * await hub.close();
 * ```
 */
export function hubWebSocketHandler(
  source: MessageSource,
  options: HubWebSocketHandlerOptions = {},
): HubWebSocketHandler {
  const route = createTopicRoute(WHAT, options);
  const context = createSessionContext(WHAT, source, options);
  const { authorizeSubscribe, allowPublish, onError } = context;
  const { signal } = options;
  signal?.addEventListener("abort", () => {
    for (const session of [...context.sessions]) session.end();
  }, { once: true });

  async function refuse(
    connection: WsConnection,
    code: number,
    reason: string,
  ): Promise<void> {
    await connection.close(code, fitCloseReason(reason));
  }

  return async function handleHubWebSocket(
    connection: WsConnection,
    request: Request,
  ): Promise<void> {
    if (signal?.aborted) {
      return await refuse(connection, GOING_AWAY, SHUTTING_DOWN);
    }
    const url = new URL(request.url);
    if (!route.underPrefix(url)) {
      return await refuse(
        connection,
        POLICY_VIOLATION,
        "Cannot serve topic: the path is outside the hub",
      );
    }
    const multiplex = connection.protocol === SERVERPUSH_V1;
    const hooked = context.expiresAt !== undefined ||
      (multiplex
        ? authorizeSubscribe !== undefined || allowPublish
        : allowPublish);
    const hooks: SessionRequest | undefined = hooked
      ? () => request
      : undefined;
    if (multiplex) {
      runMultiplexSession(connection, hooks, context);
      await connection.closed;
      return;
    }
    const topic = route.topicOf(request, url);
    if (topic === undefined || topic instanceof Response) {
      return await refuse(
        connection,
        POLICY_VIOLATION,
        topic === undefined
          ? "Cannot serve topic: the path names no topic"
          : await topic.text(),
      );
    }
    if (authorizeSubscribe !== undefined) {
      let verdict: unknown;
      try {
        verdict = await authorizeSubscribe(request, topic);
      } catch (error) {
        onError?.(error);
        return await refuse(
          connection,
          INTERNAL_ERROR,
          "Cannot authorize request: the check failed",
        );
      }
      if (verdict !== true) {
        return await refuse(
          connection,
          POLICY_VIOLATION,
          `Cannot subscribe to topic ${quote(topic)}: not authorized`,
        );
      }
    }
    runTopicSession(connection, hooks, topic, sinceOf(request, url), context);
    await connection.closed;
  };
}
