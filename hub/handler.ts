// Copyright 2026 the serverpush authors. MIT license.
// Adapter: serves hub topics over HTTP. WebSocket upgrades go through
// acceptWebSocket, which calls Deno.upgradeWebSocket; everything else here
// uses web APIs only.

import { checkOrigin, type OriginPolicy } from "../ws/check_origin.ts";
import type { HeartbeatOptions } from "../ws/heartbeat.ts";
import { acceptWebSocket } from "../ws/accept_web_socket.ts";
import { lastEventId } from "../sse/last_event_id.ts";
import {
  iframeStream,
  type IframeStreamOptions,
} from "../polling/iframe_stream.ts";
import { longPoll, type LongPollOptions } from "../polling/long_poll.ts";
import { poll, type PollOptions } from "../polling/poll.ts";
import { hubSource } from "../polling/source.ts";
import type { Hub } from "./hub.ts";
import { readPublishRequest } from "./_publish_request.ts";
import { createKeepAliveSweeper, hubSseBody } from "./_sse_body.ts";
import {
  MULTIPLEX_PROTOCOL,
  runMultiplexSession,
  runTopicSession,
  type SessionContext,
} from "./_ws_session.ts";
import { checkTopic, quote } from "./_validate.ts";

/**
 * Decides whether a request may subscribe to (or publish to) a topic:
 * `true` allows; `false` refuses with `403`; a `Response` is sent instead
 * (for example a `401` with `WWW-Authenticate`). On a WebSocket, where no
 * response can be sent any more, anything but `true` refuses.
 *
 * @example Allow only requests with a token
 * ```ts
 * import type { HubAuthorize } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const authorize: HubAuthorize = (request) =>
 *   request.headers.get("authorization") === "Bearer secret";
 * strictEqual(await authorize(new Request("http://localhost/"), "t"), false);
 * ```
 */
export type HubAuthorize = (
  request: Request,
  topic: string,
) => boolean | Response | Promise<boolean | Response>;

/**
 * A request handler for `Deno.serve`, from {@linkcode createHubHandler} or
 * {@linkcode Hub.handler}.
 *
 * @example Serve a hub
 * ```ts ignore
 * import { Hub, type HubHandler } from "@serverpush/serverpush/hub";
 *
 * const hub = new Hub();
 * const handler: HubHandler = hub.handler();
 * Deno.serve(handler);
 * ```
 */
export type HubHandler = (request: Request) => Promise<Response>;

/**
 * Options for {@linkcode createHubHandler} and {@linkcode Hub.handler}.
 *
 * @example Serve topics under `/hub/`, let signed-in users publish
 * ```ts
 * import { Hub, type HubHandlerOptions } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: HubHandlerOptions = {
 *   prefix: "/hub",
 *   authorizePublish: (request) => request.headers.has("authorization"),
 *   keepAlive: 20_000,
 * };
 * const hub = new Hub();
 * const handler = hub.handler(options);
 * const response = await handler(
 *   new Request("http://localhost/hub/news", {
 *     method: "POST",
 *     headers: { authorization: "Bearer token" },
 *     body: "hello",
 *   }),
 * );
 * strictEqual(response.status, 201);
 * await hub.close();
 * ```
 */
export interface HubHandlerOptions {
  /**
   * Path under which topics are served: the topic is the rest of the path
   * after `prefix` and a slash (`/hub/news` → `news`; `/hub/a/b` → `a/b`).
   * Requests outside it get a `404`.
   *
   * @default {""}
   */
  prefix?: string;
  /**
   * Picks the topic of a request instead of the path. `undefined` means
   * none (`404`).
   *
   * @default {undefined}
   */
  topic?: (request: Request) => string | undefined;
  /**
   * Checks every subscription, on every transport: an SSE or polling
   * request, a WebSocket upgrade for one topic, and each `subscribe` of a
   * `serverpush.v1` connection.
   *
   * @default {() => true}
   */
  authorizeSubscribe?: HubAuthorize;
  /**
   * Checks every publish by a client: a `POST` and, when `allowPublish` is
   * set, each publish over a WebSocket.
   *
   * @default {() => false}
   */
  authorizePublish?: HubAuthorize;
  /**
   * Whether WebSocket clients may send messages to publish at all. Each
   * one is still checked by `authorizePublish`.
   *
   * @default {false}
   */
  allowPublish?: boolean;
  /**
   * Largest payload a client may publish, in bytes (UTF-8 for text). A
   * larger `POST` body gets `413`; over a WebSocket, an error message
   * `too-large`. WebSocket messages longer than `2 × maxPublishBytes + 4096`
   * bytes close the connection with 1009.
   *
   * @default {65536}
   */
  maxPublishBytes?: number;
  /**
   * Origin policy of WebSocket upgrades and of `POST` publishes (see
   * `checkOrigin` in `@serverpush/serverpush/ws`): by default a request
   * whose `Origin` is not the origin of its `Host` gets `403`; requests
   * without `Origin` pass.
   *
   * @default {"same-origin"}
   */
  origins?: OriginPolicy;
  /** WebSocket heartbeat, as for `acceptWebSocket`. @default {30000} */
  heartbeat?: HeartbeatOptions | number | false;
  /**
   * Milliseconds between keep-alive sweeps of the SSE streams: a stream
   * that sent nothing during a whole sweep period gets a comment line (so a
   * silent stream sends one every `keepAlive` to `2 × keepAlive` ms).
   * `false` sends none.
   *
   * @default {15000}
   */
  keepAlive?: number | false;
  /**
   * Reconnection delay sent first on SSE streams as `retry:`, in
   * milliseconds.
   *
   * @default {undefined}
   */
  retry?: number;
  /**
   * Topics one `serverpush.v1` connection may subscribe to at once.
   *
   * @default {100}
   */
  maxSubscriptions?: number;
  /**
   * Consecutive invalid or refused messages after which a WebSocket is
   * closed with 1008; any accepted message resets the count.
   *
   * @default {10}
   */
  maxClientErrors?: number;
  /** Options of `?transport=longpoll` (its `signal` joins ours). */
  longPoll?: LongPollOptions;
  /** Options of `?transport=poll`. */
  poll?: PollOptions;
  /** Options of `?transport=iframe` (its `signal` joins ours). */
  iframe?: IframeStreamOptions;
  /**
   * Ends every open stream and connection when aborted (SSE and iframe
   * streams end, held long polls answer, WebSockets close with 1001), and
   * answers later requests with `503`. Use it before `server.shutdown()`,
   * which otherwise waits for the streams.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Receives errors that have no response to go to: an `authorize` hook
   * that throws during a WebSocket session (the connection is then closed
   * with 1011), or a hub that fails there.
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
}

const TRANSPORTS: ReadonlySet<string> = new Set([
  "sse",
  "websocket",
  "longpoll",
  "poll",
  "iframe",
]);
const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
});
const EVENT_STREAM_REGEXP = /(?:^|,)\s*text\/event-stream\s*(?:;|,|$)/i;
const WEBSOCKET_TOKEN_REGEXP = /(?:^|,)\s*websocket\s*(?:,|$)/i;

function text(status: number, body: string, headers?: HeadersInit): Response {
  const all = new Headers(headers);
  all.set("content-type", "text/plain; charset=utf-8");
  return new Response(body, { status, headers: all });
}

function checkCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot create hub handler: ${name} is ${value}, expected a positive integer`,
    );
  }
  return value;
}

function checkPrefix(prefix: string): string {
  if (
    typeof prefix !== "string" || (prefix !== "" && !prefix.startsWith("/"))
  ) {
    throw new TypeError(
      `Cannot create hub handler: prefix ${
        quote(prefix)
      } does not start with "/"`,
    );
  }
  return prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
}

function offersProtocol(request: Request, protocol: string): boolean {
  const header = request.headers.get("sec-websocket-protocol");
  return header !== null &&
    header.split(",").some((token) => token.trim() === protocol);
}

function allow(): boolean {
  return true;
}

function deny(): boolean {
  return false;
}

/** `true`, or the response to send when `authorize` does not allow. */
async function authorized(
  authorize: HubAuthorize,
  request: Request,
  topic: string,
  action: string,
): Promise<true | Response> {
  const verdict = await authorize(request, topic);
  if (verdict === true) return true;
  if (verdict instanceof Response) return verdict;
  return text(403, `Cannot ${action} topic ${quote(topic)}: not authorized`);
}

/**
 * Makes a request handler that serves the topics of `hub` over every
 * transport; {@linkcode Hub.handler} calls it.
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
 *   frames of {@linkcode hubMessageToJson} (`{"id","event","data"}`, or
 *   `{"reset":reason}`), resuming after `?since=` or `Last-Event-ID`; with
 *   `allowPublish`, frames `{"event"?,"data","encoding"?}` publish;
 * - `POST`: publishes the body (text for textual content types, bytes
 *   otherwise) with the event type from `?event=` or `X-Event`, answering
 *   `201` with `{"id":…}`;
 * - `GET` with `Accept: text/event-stream` (or `?transport=sse`): Server-Sent
 *   Events, resuming after `Last-Event-ID` (or `?lastEventId=`); each
 *   message goes out as the cached bytes of {@linkcode hubMessageToSse}, the
 *   same `Uint8Array` for every stream, with its id; a gap is an event
 *   `serverpush-reset`.
 *
 * Subscriptions are checked by `authorizeSubscribe` (default: allowed),
 * publishes by `authorizePublish` (default: denied, `403`); WebSocket
 * upgrades and `POST`s also by the `origins` policy. Every stream reads
 * from the hub's bounded subscriber queue: a client that stops reading is
 * cut off when it fills (with the hub's `"close"` policy), not buffered.
 *
 * Errors: an unknown `transport` or an invalid topic gets `400`, no topic
 * `404`, another method `405` with `Allow`, a `GET` that asks for none of
 * the transports `406`, a closed hub or an aborted `signal` `503`.
 *
 * @param hub The hub whose topics to serve.
 * @param options Routing, authorization, limits and transport options.
 * @returns The handler.
 * @throws {RangeError} If a limit is out of range.
 * @throws {TypeError} If `prefix` does not start with `/`.
 *
 * @example Publishing is refused unless authorized
 * ```ts
 * import { createHubHandler, Hub } from "@serverpush/serverpush/hub";
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
 * import { createHubHandler, Hub } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, { prefix: "/hub" });
 * const response = await handler(
 *   new Request("http://localhost/hub/news", { headers: { accept: "text/event-stream" } }),
 * );
 * const reader = response.body!.getReader();
 * const id = await hub.publish("news", { data: "hello" });
 * const { value } = await reader.read();
 * strictEqual(new TextDecoder().decode(value), `id: ${id}\ndata: hello\n\n`);
 * await reader.cancel();
 * await hub.close();
 * ```
 */
export function createHubHandler(
  hub: Hub,
  options: HubHandlerOptions = {},
): HubHandler {
  const prefix = checkPrefix(options.prefix ?? "");
  const maxPublishBytes = checkCount(
    "maxPublishBytes",
    options.maxPublishBytes ?? 65_536,
  );
  const keepAlive = options.keepAlive ?? 15_000;
  if (
    keepAlive !== false &&
    (typeof keepAlive !== "number" || !Number.isFinite(keepAlive) ||
      keepAlive < 0)
  ) {
    throw new RangeError(
      `Cannot create hub handler: keepAlive is ${keepAlive}, expected a finite number of milliseconds or false`,
    );
  }
  const { retry, signal, origins } = options;
  if (retry !== undefined && (!Number.isSafeInteger(retry) || retry < 0)) {
    throw new RangeError(
      `Cannot create hub handler: retry is ${retry}, expected a non-negative integer`,
    );
  }
  const authorizeSubscribe = options.authorizeSubscribe ?? allow;
  const authorizePublish = options.authorizePublish ?? deny;
  const sessions = new Set<{ end(): void }>();
  const context: SessionContext = {
    hub,
    authorizeSubscribe,
    authorizePublish,
    allowPublish: options.allowPublish ?? false,
    maxPublishBytes,
    maxSubscriptions: checkCount(
      "maxSubscriptions",
      options.maxSubscriptions ?? 100,
    ),
    maxClientErrors: checkCount(
      "maxClientErrors",
      options.maxClientErrors ?? 10,
    ),
    onError: options.onError,
    sessions,
  };
  const sweeper = keepAlive === false || keepAlive === 0
    ? undefined
    : createKeepAliveSweeper(keepAlive);
  const maxMessageBytes = maxPublishBytes * 2 + 4096;

  signal?.addEventListener("abort", () => {
    for (const session of [...sessions]) session.end();
  }, { once: true });

  function joinSignal(own: AbortSignal | undefined): AbortSignal | undefined {
    if (own === undefined) return signal;
    if (signal === undefined) return own;
    return AbortSignal.any([own, signal]);
  }

  /** The topic of a request, `undefined` for none, or a `400`. */
  function topicOf(request: Request, url: URL): string | undefined | Response {
    let topic: string | undefined;
    if (options.topic !== undefined) {
      topic = options.topic(request);
    } else {
      const path = url.pathname;
      if (path === prefix || path === `${prefix}/`) return undefined;
      if (!path.startsWith(`${prefix}/`)) return undefined;
      try {
        topic = decodeURIComponent(path.slice(prefix.length + 1));
      } catch {
        return text(400, "Cannot serve topic: the path is not valid UTF-8");
      }
    }
    if (topic === undefined) return undefined;
    try {
      checkTopic("serve", topic);
    } catch (error) {
      return text(400, (error as TypeError).message);
    }
    return topic;
  }

  /** Whether the request's path is under `prefix` at all. */
  function underPrefix(url: URL): boolean {
    return options.topic !== undefined || prefix === "" ||
      url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  }

  function serveSse(request: Request, topic: string): Response {
    const id = lastEventId(request);
    let subscription: ReadableStream;
    try {
      subscription = hub.subscribe(
        topic,
        id === undefined || id === "" ? {} : { since: id },
      );
    } catch (error) {
      return text(503, (error as Error).message);
    }
    const session = {
      end(): void {
        sse.end();
      },
    };
    const sse = hubSseBody(subscription, {
      retry,
      sweeper,
      onEnd: () => sessions.delete(session),
    });
    sessions.add(session);
    return new Response(sse.body, { headers: SSE_HEADERS });
  }

  async function serveWebSocket(
    request: Request,
    url: URL,
    topic: string | undefined,
  ): Promise<Response> {
    const multiplex = offersProtocol(request, MULTIPLEX_PROTOCOL);
    if (!multiplex && topic === undefined) {
      return text(404, "Cannot serve topic: the path names no topic");
    }
    // Deno's request can no longer be read once upgraded: the session, and
    // the hooks it calls, get a copy of its URL and headers.
    const copy = new Request(request.url, {
      headers: new Headers(request.headers),
    });
    const since = url.searchParams.get("since") ?? lastEventId(request);
    const { response, connection } = await acceptWebSocket(request, {
      protocols: [MULTIPLEX_PROTOCOL],
      maxMessageBytes,
      ...(origins === undefined ? {} : { origins }),
      ...(options.heartbeat === undefined
        ? {}
        : { heartbeat: options.heartbeat }),
      ...(multiplex || topic === undefined
        ? {}
        : { authorize: (r: Request) => authorizeSubscribe(r, topic) }),
    });
    if (connection === undefined) return response;
    if (multiplex) {
      runMultiplexSession(connection, copy, context);
      return response;
    }
    let subscription: ReadableStream;
    try {
      subscription = hub.subscribe(
        topic!,
        since === undefined || since === "" ? {} : { since },
      );
    } catch (error) {
      options.onError?.(error);
      void connection.close(1001, "Cannot deliver messages: the hub is closed");
      return response;
    }
    runTopicSession(connection, copy, topic!, subscription, context);
    return response;
  }

  async function servePublish(
    request: Request,
    topic: string,
  ): Promise<Response> {
    try {
      checkOrigin(request, origins);
    } catch {
      return text(
        403,
        `Cannot publish to topic ${quote(topic)}: Origin ${
          quote(request.headers.get("origin"))
        } is not allowed`,
      );
    }
    const verdict = await authorized(
      authorizePublish,
      request,
      topic,
      "publish to",
    );
    if (verdict !== true) return verdict;
    const message = await readPublishRequest(request, topic, maxPublishBytes);
    if ("status" in message) return text(message.status, message.message);
    let id: string;
    try {
      id = await hub.publish(topic, message);
    } catch (error) {
      if (error instanceof RangeError) return text(413, error.message);
      if (error instanceof TypeError) return text(400, error.message);
      return text(503, (error as Error).message);
    }
    return new Response(JSON.stringify({ id }), {
      status: 201,
      headers: { "content-type": "application/json" },
    });
  }

  async function servePolling(
    request: Request,
    topic: string,
    transport: string,
  ): Promise<Response> {
    const source = hubSource(hub, topic);
    if (transport === "poll") return await poll(request, source, options.poll);
    if (transport === "longpoll") {
      const joined = joinSignal(options.longPoll?.signal);
      return await longPoll(request, source, {
        ...options.longPoll,
        ...(joined === undefined ? {} : { signal: joined }),
      });
    }
    const joined = joinSignal(options.iframe?.signal);
    return iframeStream(request, source, {
      ...options.iframe,
      ...(joined === undefined ? {} : { signal: joined }),
    });
  }

  return async function handle(request: Request): Promise<Response> {
    if (signal?.aborted) {
      return text(503, "Cannot serve topic: the server is shutting down");
    }
    const url = new URL(request.url);
    if (!underPrefix(url)) {
      return text(404, "Cannot serve topic: the path is outside the hub");
    }
    const transport = url.searchParams.get("transport");
    if (transport !== null && !TRANSPORTS.has(transport)) {
      return text(
        400,
        `Cannot serve topic: transport ${
          quote(transport)
        } is not sse, websocket, longpoll, poll or iframe`,
      );
    }
    const upgrade = WEBSOCKET_TOKEN_REGEXP.test(
      request.headers.get("upgrade") ?? "",
    );
    const found = topicOf(request, url);
    if (found instanceof Response) return found;
    const topic = found;

    if (
      transport === "websocket" || (transport === null && upgrade)
    ) {
      return await serveWebSocket(request, url, topic);
    }
    if (topic === undefined) {
      return text(404, "Cannot serve topic: the path names no topic");
    }
    if (transport === null && request.method === "POST") {
      return await servePublish(request, topic);
    }
    if (request.method !== "GET") {
      return text(
        405,
        `Cannot serve topic ${quote(topic)}: method ${
          quote(request.method)
        } is not GET or POST`,
        { allow: transport === null ? "GET, POST" : "GET" },
      );
    }
    if (
      transport === null &&
      !EVENT_STREAM_REGEXP.test(request.headers.get("accept") ?? "")
    ) {
      return text(
        406,
        `Cannot serve topic ${
          quote(topic)
        }: ask for text/event-stream, upgrade to a WebSocket, or choose a ?transport=`,
      );
    }
    const verdict = await authorized(
      authorizeSubscribe,
      request,
      topic,
      "subscribe to",
    );
    if (verdict !== true) return verdict;
    if (transport === null || transport === "sse") {
      return serveSse(request, topic);
    }
    return await servePolling(request, topic, transport);
  };
}
