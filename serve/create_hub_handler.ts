// Copyright 2026 the serverpush authors. MIT license.

import type { MessageSource } from "../message/source.ts";
import { buildHubHandler } from "./_hub_handler.ts";
import type { HubHandler, HubHandlerOptions } from "./hub_handler_options.ts";

/**
 * Makes a request handler that serves the topics of `source` (a `Hub`, or
 * any other {@linkcode MessageSource}) over every transport.
 *
 * The topic comes from the path (after `prefix`) or from `options.topic`.
 * A request is served by:
 *
 * - `?transport=longpoll|poll|iframe` (`GET`): the polling transports of
 *   `@serverpush/serverpush/polling`, reading the topic from the cursor;
 * - a WebSocket upgrade (`GET`) that offers the `serverpush.v1`
 *   subprotocol: several topics over one connection, by name (see the
 *   README for the protocol); the path's topic is not used;
 * - any other WebSocket upgrade (`GET`): the topic's messages as text
 *   frames of `hubMessageToJson` (`{"id","event","data"}`, or
 *   `{"reset":reason}`), resuming after `?since=` or `Last-Event-ID`; with
 *   `allowPublish`, frames `{"event"?,"data","encoding"?}` publish;
 * - `POST`: publishes the body (`405` when the source has no `publish`) (text for textual content types, bytes
 *   otherwise) with the event type from `?event=` or `X-Event`, answering
 *   `201` with `{"id":…}`, or `429` when the topic is new and the
 *   backend holds its largest number of topics (`HubLimitError`); an
 *   `Idempotency-Key` header (an sf-string, `"…"`, or a bare value of 1 to
 *   256 printable ASCII characters, else `400`) makes a retry within the
 *   backend's window answer the first message's id and publish nothing;
 * - `GET` with `Accept: text/event-stream` (or `?transport=sse`): Server-Sent
 *   Events, resuming after `Last-Event-ID` (or `?lastEventId=`); each
 *   message goes out as the cached bytes of `hubMessageToSse`, the
 *   same `Uint8Array` for every stream, with its id; a gap is an event
 *   `serverpush-reset`.
 *
 * Subscriptions are checked by `authorizeSubscribe` (default: allowed),
 * publishes by `authorizePublish` (default: denied, `403`); WebSocket
 * upgrades and `POST`s also by the `origins` policy. Every stream reads
 * from the hub's bounded subscriber queue: a client that stops reading is
 * cut off when it fills (with the hub's `"close"` policy), not buffered.
 *
 * Errors: a `Host` not in `allowedHosts` gets `421` (on every route), an
 * unknown `transport`, an invalid topic or a topic path that is not written
 * literally gets `400`, no topic
 * `404`, another method `405` with `Allow`, a `GET` that asks for none of
 * the transports `406`, a closed hub or an aborted `signal` `503`.
 *
 * @param source The topics to serve, for example a `Hub`.
 * @param options Routing, authorization, limits and transport options.
 * @returns The handler.
 * @throws {RangeError} If a limit is out of range.
 * @throws {TypeError} If `prefix` does not start with `/`, or an entry of
 * `allowedHosts` is not a host name.
 *
 * @example Publishing is refused unless authorized
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const publish = () =>
 *   new Request("http://localhost/news?event=story", { method: "POST", body: "hi" });
 *
 * strictEqual((await createHubHandler(hub)(publish())).status, 403);
 *
 * const handler = createHubHandler(hub, { authorizePublish: () => true });
 * const response = await handler(publish());
 * strictEqual(response.status, 201);
 * const { id } = await response.json();
 * const { messages } = await hub.history("news");
 * deepStrictEqual(messages, [{ kind: "message", topic: "news", id, event: "story", data: "hi" }]);
 * await hub.close();
 * ```
 *
 * @example Read a topic as Server-Sent Events
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, { prefix: "/hub" });
 * const response = await handler(
 *   new Request("http://localhost/hub/news", { headers: { accept: "text/event-stream" } }),
 * );
 * const reader = response.body!.getReader();
 * const decoder = new TextDecoder();
 * // The stream opens with an empty comment, then carries each message.
 * strictEqual(decoder.decode((await reader.read()).value), ": \n\n");
 * const id = await hub.publish("news", { data: "hello" });
 * const { value } = await reader.read();
 * strictEqual(decoder.decode(value), `id: ${id}\ndata: hello\n\n`);
 * await reader.cancel();
 * await hub.close();
 * ```
 */
export function createHubHandler(
  source: MessageSource,
  options: HubHandlerOptions = {},
): HubHandler {
  return buildHubHandler(source, options);
}
