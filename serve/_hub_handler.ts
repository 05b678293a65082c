// Copyright 2026 the serverpush authors. MIT license.
// Adapter, private: the implementation of the hub handler (see handler.ts).
// WebSocket upgrades go through acceptWebSocket, which calls
// Deno.upgradeWebSocket; everything else here uses web APIs only.

import { createHostCheck } from "../ws/check_host.ts";
import { checkOrigin } from "../ws/check_origin.ts";
import { acceptWebSocket } from "../ws/accept_web_socket.ts";
import { lastEventId } from "../sse/last_event_id.ts";
import { iframeStream } from "../polling/iframe_stream.ts";
import { longPoll } from "../polling/long_poll.ts";
import { poll } from "../polling/poll.ts";
import { hubSource } from "../polling/source.ts";
import type {
  HubAuthorize,
  HubHandler,
  HubHandlerOptions,
} from "./hub_handler_options.ts";
import type { MessageSource } from "../message/source.ts";
import { readPublishRequest } from "./_publish_request.ts";
import {
  createKeepAliveSweeper,
  createSseEncoder,
  type HubSseBody,
  hubSseBody,
} from "./_sse_body.ts";
import {
  MULTIPLEX_PROTOCOL,
  runMultiplexSession,
  runTopicSession,
  type SessionContext,
  type SessionRequest,
} from "./_ws_session.ts";
import { checkTopic } from "../message/topic.ts";
import { isTooManyTopics } from "../_internal/too_many_topics.ts";
import { quote } from "../_internal/quote.ts";
/**
 * Bytes a WebSocket may buffer before the next message waits for it to
 * drain (`maxBufferedBytes` of `acceptWebSocket`).
 */
const MAX_BUFFERED_BYTES = 1_048_576;

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

/** The path of an absolute URL string as written, before normalization. */
function rawPath(href: string): string {
  const start = href.indexOf("/", href.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = href.length;
  const query = href.indexOf("?", start);
  if (query >= 0) end = query;
  const fragment = href.indexOf("#", start);
  if (fragment >= 0 && fragment < end) end = fragment;
  return href.slice(start, end);
}

function offersProtocol(request: Request, protocol: string): boolean {
  const header = request.headers.get("sec-websocket-protocol");
  return header !== null &&
    header.split(",").some((token) => token.trim() === protocol);
}

/**
 * What a WebSocket session's hooks get as the request: a copy of its URL
 * and headers, built on first use.
 */
function snapshotRequest(request: Request): SessionRequest {
  const url = request.url;
  const pairs = [...request.headers];
  let copy: Request | undefined;
  return (): Request => copy ??= new Request(url, { headers: pairs });
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

/** Builds the handler of {@linkcode createHubHandler}. */
export function buildHubHandler(
  source: MessageSource,
  options: HubHandlerOptions,
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
  const hostAllowed = options.allowedHosts === undefined
    ? undefined
    : createHostCheck(options.allowedHosts);
  const authorizeSubscribe = options.authorizeSubscribe ?? allow;
  const customSubscribe = options.authorizeSubscribe !== undefined;
  const allowPublish = options.allowPublish ?? false;
  const authorizePublish = options.authorizePublish ?? deny;
  const sessions = new Set<{ end(): void }>();
  const context: SessionContext = {
    source,
    open: (topic, since, sink) => source.open(topic, since, sink),
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    authorizeSubscribe: customSubscribe ? authorizeSubscribe : undefined,
    authorizePublish,
    allowPublish,
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
  const encode = createSseEncoder();

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
      // The topic is the path as sent, never an alias of it: a proxy rule
      // on a path prefix sees the same topic as the hub.
      if (rawPath(request.url) !== path) {
        return text(
          400,
          "Cannot serve topic: the path has dot segments or characters that URL parsing rewrites",
        );
      }
      topic = path.slice(prefix.length + 1);
      if (topic.includes("%")) {
        return text(
          400,
          `Cannot serve topic ${
            quote(topic)
          }: the path is percent-encoded, and topic names need no encoding`,
        );
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
    const since = id === undefined || id === "" ? undefined : id;
    const session = {
      end(): void {
        sse.end();
      },
    };
    let sse: HubSseBody;
    try {
      sse = hubSseBody({
        open: (sink) => source.open(topic, since, sink),
        encode,
        retry,
        sweeper,
        onEnd: () => sessions.delete(session),
      });
    } catch (error) {
      // Only a closed hub throws here: the topic was checked.
      return text(503, (error as Error).message);
    }
    sessions.add(session);
    return new Response(sse.body, { headers: SSE_HEADERS });
  }

  async function serveWebSocket(
    original: Request,
    url: URL,
    topic: string | undefined,
  ): Promise<Response> {
    const multiplex = offersProtocol(original, MULTIPLEX_PROTOCOL);
    if (!multiplex && topic === undefined) {
      return text(404, "Cannot serve topic: the path names no topic");
    }
    // Deno's request can no longer be read once upgraded: keep what the
    // session's hooks may need (a Request copy costs kilobytes each).
    const hooked = multiplex ? customSubscribe || allowPublish : allowPublish;
    const request = hooked ? snapshotRequest(original) : undefined;
    const since = url.searchParams.get("since") ?? lastEventId(original);
    const { response, connection } = await acceptWebSocket(original, {
      protocols: [MULTIPLEX_PROTOCOL],
      maxMessageBytes,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
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
      runMultiplexSession(connection, request, context);
      return response;
    }
    runTopicSession(
      connection,
      request,
      topic!,
      since === undefined || since === "" ? undefined : since,
      context,
    );
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
    if (source.publish === undefined) {
      return text(
        405,
        `Cannot publish to topic ${quote(topic)}: the source is read-only`,
        { allow: "GET" },
      );
    }
    let id: string;
    try {
      id = await source.publish(topic, message);
    } catch (error) {
      if (isTooManyTopics(error)) return text(429, (error as Error).message);
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
    const topicSource = hubSource(source, topic);
    if (transport === "poll") {
      return await poll(request, topicSource, options.poll);
    }
    if (transport === "longpoll") {
      const joined = joinSignal(options.longPoll?.signal);
      return await longPoll(request, topicSource, {
        ...options.longPoll,
        ...(joined === undefined ? {} : { signal: joined }),
      });
    }
    const joined = joinSignal(options.iframe?.signal);
    return iframeStream(request, topicSource, {
      ...options.iframe,
      ...(joined === undefined ? {} : { signal: joined }),
    });
  }

  return async function handle(request: Request): Promise<Response> {
    if (signal?.aborted) {
      return text(503, "Cannot serve topic: the server is shutting down");
    }
    if (hostAllowed !== undefined && !hostAllowed(request)) {
      return text(
        421,
        `Cannot serve topic: Host ${
          quote(request.headers.get("host") ?? new URL(request.url).host)
        } is not in allowedHosts`,
      );
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
