// Copyright 2026 the serverpush authors. MIT license.
// Private: the hub handler (see create_hub_handler.ts): checks the options
// and sends each request to the route of its transport.

import { createHostCheck } from "../ws/check_host.ts";
import type { MessageOpenOptions, MessageSource } from "../message/source.ts";
import type {
  HubHandler,
  HubHandlerOptions,
  HubRequestInfo,
} from "./hub_handler_options.ts";
import type { Peer } from "./_connection_record.ts";
import { authorized } from "./_authorize.ts";
import { createSessionContext, subscribeHook } from "./_session_options.ts";
import { createTopicRoute } from "./_topic_route.ts";
import { createSseRoute } from "./_sse_route.ts";
import { type HubUrl, hubUrl } from "./_hub_handler_url.ts";
import { createWebSocketRoute } from "./_web_socket_route.ts";
import { createPublishRoute } from "./_publish_route.ts";
import { createPollingRoute } from "./_polling_route.ts";
import { textResponse } from "./_text_response.ts";
import { expiryOf } from "./_expiry.ts";
import { quote } from "../_internal/quote.ts";
import { historyParam } from "../_internal/history_param.ts";
import { createCors, isPreflight } from "./_cors.ts";
import { stateParam } from "../_internal/state_param.ts";
import { identifyRequest, presenceParam } from "./_identify.ts";

const WHAT = "create hub handler";
const TRANSPORTS: ReadonlySet<string> = new Set([
  "sse",
  "websocket",
  "longpoll",
  "poll",
  "iframe",
]);
const EVENT_STREAM_REGEXP = /(?:^|,)\s*text\/event-stream\s*(?:;|,|$)/i;
const WEBSOCKET_TOKEN_REGEXP = /(?:^|,)\s*websocket\s*(?:,|$)/i;

/** Who sent a request whose address and client id are unknown. */
const NO_PEER: Peer = Object.freeze({
  remoteAddress: undefined,
  clientId: undefined,
});

/** Builds the handler of {@linkcode createHubHandler}. */
export function buildHubHandler(
  source: MessageSource,
  options: HubHandlerOptions,
): HubHandler {
  const route = createTopicRoute(WHAT, options);
  const context = createSessionContext(WHAT, source, options);
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
  const { retry, signal } = options;
  if (retry !== undefined && (!Number.isSafeInteger(retry) || retry < 0)) {
    throw new RangeError(
      `Cannot create hub handler: retry is ${retry}, expected a non-negative integer`,
    );
  }
  const hostAllowed = options.allowedHosts === undefined
    ? undefined
    : createHostCheck(options.allowedHosts);
  const authorizeSubscribe = subscribeHook(context);
  const { sessions } = context;
  const { counters } = context;
  const serveSse = createSseRoute(
    source,
    keepAlive,
    retry,
    sessions,
    counters,
    options.onError,
  );
  const upgradeToSession = createWebSocketRoute(options, context);
  const servePublish = createPublishRoute(
    source,
    options.origins,
    context.authorizePublish,
    context.maxPublishBytes,
    options.stampFrom === true
      ? (request) => identifyRequest(identify, request, options.onError)
      : undefined,
  );
  const servePolling = createPollingRoute(source, options);
  const cors = options.cors === undefined || options.cors === false
    ? undefined
    : createCors(WHAT, options.cors, options.origins);

  signal?.addEventListener("abort", () => {
    for (const session of [...sessions]) session.end();
  }, { once: true });

  const clientIdOf = options.clientId;
  const { identify } = options;
  if (identify !== undefined && typeof identify !== "function") {
    throw new TypeError(
      "Cannot create hub handler: identify is not a function",
    );
  }

  /** Who sent the request, for the inspector. */
  function peerOf(request: Request, info: HubRequestInfo | undefined): Peer {
    const host = info?.remoteAddr?.hostname;
    const port = info?.remoteAddr?.port;
    const clientId = clientIdOf?.(request);
    if (host === undefined && typeof clientId !== "string") return NO_PEER;
    return {
      remoteAddress: host === undefined
        ? undefined
        : host.includes(":")
        ? `[${host}]:${port}`
        : `${host}:${port}`,
      clientId: typeof clientId === "string"
        ? clientId.slice(0, 128)
        : undefined,
    };
  }

  // Not async: an upgrade that waits for nothing is answered without an
  // await (fewer objects made per upgrade); errors still reject.
  return function handle(
    request: Request,
    info?: HubRequestInfo,
  ): Promise<Response> {
    try {
      const response = cors !== undefined && isPreflight(request) &&
          (hostAllowed === undefined || hostAllowed(request))
        ? cors.preflight(request)
        : serveRequest(request, info);
      return response instanceof Promise
        ? response.then((served) => finish(request, info, served))
        : Promise.resolve(finish(request, info, response));
    } catch (error) {
      return Promise.reject(error);
    }
  };

  /** Counts a refusal, and adds the CORS headers. */
  function finish(
    request: Request,
    info: HubRequestInfo | undefined,
    response: Response,
  ): Response {
    if (response.status >= 400) {
      const { pathname } = new URL(request.url);
      counters.refuse(
        response.status,
        `${request.method} ${pathname.slice(0, 100)} from ${
          peerOf(request, info).remoteAddress ?? "unknown"
        }`,
      );
    }
    return cors === undefined ? response : cors.mark(request, response);
  }

  function serveRequest(
    request: Request,
    info: HubRequestInfo | undefined,
  ): Response | Promise<Response> {
    if (signal?.aborted) {
      return textResponse(
        503,
        "Cannot serve topic: the server is shutting down",
      );
    }
    if (hostAllowed !== undefined && !hostAllowed(request)) {
      return textResponse(
        421,
        `Cannot serve topic: Host ${
          quote(request.headers.get("host") ?? new URL(request.url).host)
        } is not in allowedHosts`,
      );
    }
    const url = hubUrl(request.url);
    if (!route.underPrefix(url)) {
      return textResponse(
        404,
        "Cannot serve topic: the path is outside the hub",
      );
    }
    const transport = url.searchParams.get("transport");
    if (transport !== null && !TRANSPORTS.has(transport)) {
      return textResponse(
        400,
        `Cannot serve topic: transport ${
          quote(transport)
        } is not sse, websocket, longpoll, poll or iframe`,
      );
    }
    const upgrade = WEBSOCKET_TOKEN_REGEXP.test(
      request.headers.get("upgrade") ?? "",
    );
    const found = route.topicOf(request, url);
    if (found instanceof Response) return found;
    const topic = found;
    const history = historyParam(url);
    if (typeof history === "object") {
      return textResponse(
        400,
        `Cannot serve topic ${quote(topic ?? "")}: ${history.error}`,
      );
    }
    const state = stateParam(url);
    if (typeof state === "object") {
      return textResponse(
        400,
        `Cannot serve topic ${quote(topic ?? "")}: ${state.error}`,
      );
    }
    const start = history === undefined && !state ? undefined : {
      ...(history === undefined ? {} : { history }),
      ...(state ? { state } : {}),
    };

    const presence = presenceParam(url);
    if (typeof presence === "object") {
      return textResponse(
        400,
        `Cannot serve topic ${quote(topic ?? "")}: ${presence.error}`,
      );
    }
    if (
      presence && topic !== undefined &&
      source.presenceEnabled?.(topic) !== true
    ) {
      return textResponse(
        400,
        `Cannot serve topic ${
          quote(topic)
        } with presence: the topic has no presence`,
      );
    }

    if (transport === "websocket" || (transport === null && upgrade)) {
      if (identify === undefined) {
        return upgradeToSession(
          request,
          url,
          topic,
          peerOf(request, info),
          start,
          presence,
        );
      }
      return identifyAndUpgrade(request, info, url, topic, start, presence);
    }
    return serveTopic(request, info, topic, transport, start, presence);
  }

  async function identifyAndUpgrade(
    request: Request,
    info: HubRequestInfo | undefined,
    url: HubUrl,
    topic: string | undefined,
    start: MessageOpenOptions | undefined,
    presence: boolean,
  ): Promise<Response> {
    const identity = await identifyRequest(identify, request, options.onError);
    if (identity instanceof Response) return identity;
    return await upgradeToSession(
      request,
      url,
      topic,
      peerOf(request, info),
      start,
      presence,
      identity,
    );
  }

  /** The transports other than WebSocket, and publishing. */
  async function serveTopic(
    request: Request,
    info: HubRequestInfo | undefined,
    topic: string | undefined,
    transport: string | null,
    start: MessageOpenOptions | undefined,
    presence: boolean,
  ): Promise<Response> {
    if (topic === undefined) {
      return textResponse(404, "Cannot serve topic: the path names no topic");
    }
    if (transport === null && request.method === "POST") {
      return await servePublish(request, topic);
    }
    if (request.method !== "GET") {
      return textResponse(
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
      return textResponse(
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
    const expiry = await expiryOf(options.expiresAt, request, topic);
    if (expiry instanceof Response) return expiry;
    if (transport === null || transport === "sse") {
      const identity = await identifyRequest(
        identify,
        request,
        options.onError,
      );
      if (identity instanceof Response) return identity;
      return serveSse(
        request,
        topic,
        expiry,
        peerOf(request, info),
        start,
        presence,
        identity,
      );
    }
    if (presence && transport === "iframe") {
      return textResponse(
        400,
        `Cannot serve topic ${
          quote(topic)
        } with presence: the iframe transport carries no presence (use SSE, a WebSocket or long polling)`,
      );
    }
    counters.opened[transport]!++;
    return await servePolling(request, topic, transport, expiry, presence);
  }
}
