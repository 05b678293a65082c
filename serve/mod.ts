// Copyright 2026 the serverpush authors. MIT license.

/**
 * Serving: every transport from one {@linkcode MessageSource}.
 * {@linkcode createHubHandler} turns a source (a `Hub`, or any other) into one
 * `(request) => Promise<Response>` handler: Server-Sent Events, WebSocket
 * (one topic, or several with the `serverpush.v1` subprotocol), `POST` to
 * publish, and the polling transports, with authorization hooks, an Origin
 * policy, a Host allow-list and bounded queues.
 * {@linkcode hubWebSocketHandler} serves the WebSocket part over a
 * connection of any engine, such as `serveWebSocket`'s codec engine with
 * permessage-deflate. {@linkcode serve} runs such a handler on Deno, Node
 * and Bun alike.
 *
 * @example Serve a hub and publish to it
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, { authorizePublish: () => true });
 * const response = await handler(
 *   new Request("http://localhost/news", { method: "POST", body: "hi" }),
 * );
 * strictEqual(response.status, 201);
 * strictEqual((await hub.history("news")).messages[0]?.data, "hi");
 * await hub.close();
 * ```
 *
 * @module
 */

export * from "./create_hub_handler.ts";
export * from "./create_inspector.ts";
export * from "./create_metrics_handler.ts";
export * from "./hub_handler_options.ts";
export * from "./hub_web_socket_handler.ts";
export * from "./observed_hub.ts";
export type {
  HubConnection,
  HubCounters,
  HubCountersSource,
  HubEvent,
  HubEventKind,
  HubTopicActivity,
} from "../hub/counters.ts";
export type { HubStats, HubTopicStats } from "../hub/hub.ts";
export type * from "../message/source.ts";
export type * from "../message/message.ts";
export type {
  WsCloseInfo,
  WsConnection,
  WsSendData,
} from "../ws/connection.ts";
export type { AllowedHosts } from "../ws/check_host.ts";
export type { OriginMatcher, OriginPolicy } from "../ws/check_origin.ts";
export type { HeartbeatOptions } from "../ws/heartbeat.ts";
export type { IframeStreamOptions } from "../polling/iframe_stream.ts";
export type { LongPollOptions } from "../polling/long_poll.ts";
export type { PollOptions } from "../polling/poll.ts";
export * from "./serve.ts";
export type * from "./serve_options.ts";
export type * from "./server.ts";
export type { WsCompressor, WsDeflate } from "../ws/compressor.ts";
export type {
  DeflateOptions,
  DeflateParams,
} from "../ws/deflate_negotiation.ts";
