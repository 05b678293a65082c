// Copyright 2026 the serverpush authors. MIT license.

import type { AllowedHosts } from "../ws/check_host.ts";
import type { OriginPolicy } from "../ws/check_origin.ts";
import type { HeartbeatOptions } from "../ws/heartbeat.ts";
import type { IframeStreamOptions } from "../polling/iframe_stream.ts";
import type { LongPollOptions } from "../polling/long_poll.ts";
import type { PollOptions } from "../polling/poll.ts";
import type { PresenceIdentity } from "../message/source.ts";

/**
 * Tells who sent a request, for presence and for stamping messages with
 * their sender (`stampFrom`): the client's id and public info (from a
 * verified token, a cookie, a header), or `undefined` for an anonymous
 * request, or a `Response` to refuse it (for example a `401`). A hook that
 * throws, or returns something else, fails the request with `500` (on a
 * WebSocket upgrade, before the upgrade); the error goes to `onError`.
 *
 * @example Identify by a header
 * ```ts
 * import type { HubIdentify } from "@serverpush/serverpush/serve";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const identify: HubIdentify = (request) => {
 *   const name = request.headers.get("x-user");
 *   return name === null ? undefined : { clientId: name, info: { name } };
 * };
 * const request = new Request("http://localhost/", { headers: { "x-user": "ada" } });
 * deepStrictEqual(await identify(request), { clientId: "ada", info: { name: "ada" } });
 * ```
 */
export type HubIdentify = (
  request: Request,
) =>
  | PresenceIdentity
  | undefined
  | Response
  | Promise<PresenceIdentity | undefined | Response>;

/**
 * Decides whether a request may subscribe to (or publish to) a topic:
 * `true` allows; `false` refuses with `403`; a `Response` is sent instead
 * (for example a `401` with `WWW-Authenticate`). On a WebSocket, where no
 * response can be sent any more, anything but `true` refuses.
 *
 * @example Allow only requests with a token
 * ```ts
 * import type { HubAuthorize } from "@serverpush/serverpush/serve";
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
 * What the server knows of a request besides the request itself: the
 * second argument of a `Deno.serve` handler (`Deno.ServeHandlerInfo`) fits.
 * The hub handler reports the peer's address to the inspector.
 *
 * @example Pass the server's info on
 * ```ts
 * import type { HubRequestInfo } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const info: HubRequestInfo = { remoteAddr: { hostname: "127.0.0.1", port: 50000 } };
 * strictEqual(info.remoteAddr?.port, 50000);
 * ```
 */
export interface HubRequestInfo {
  /**
   * The peer's address, as `Deno.serve` gives it (a Unix socket's has no
   * host name: the peer then shows no address).
   */
  readonly remoteAddr?: {
    readonly transport?: string;
    readonly hostname?: string;
    readonly port?: number;
  };
}

/**
 * A request handler for `Deno.serve`, from {@linkcode createHubHandler}.
 * The optional second argument (what `Deno.serve` passes) tells the
 * inspector who is connected.
 *
 * @example Serve a hub
 * ```ts ignore
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler, type HubHandler } from "@serverpush/serverpush/serve";
 *
 * const hub = new Hub();
 * const handler: HubHandler = createHubHandler(hub);
 * Deno.serve(handler);
 * ```
 */
export type HubHandler = (
  request: Request,
  info?: HubRequestInfo,
) => Promise<Response>;

/**
 * CORS settings of the hub handler (see {@linkcode HubHandlerOptions.cors}).
 *
 * @example Pages on app.example may subscribe and publish
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, {
 *   origins: ["https://app.example"],
 *   cors: { maxAge: 3600 },
 *   authorizePublish: () => true,
 * });
 * const preflight = await handler(
 *   new Request("https://hub.example/news", {
 *     method: "OPTIONS",
 *     headers: {
 *       origin: "https://app.example",
 *       "access-control-request-method": "POST",
 *       "access-control-request-headers": "idempotency-key",
 *     },
 *   }),
 * );
 * strictEqual(preflight.status, 204);
 * strictEqual(
 *   preflight.headers.get("access-control-allow-origin"),
 *   "https://app.example",
 * );
 * await hub.close();
 * ```
 */
export interface HubCorsOptions {
  /**
   * Seconds a browser may cache a preflight's answer
   * (`Access-Control-Max-Age`; browsers cap it, Chromium at 7200).
   *
   * @default {600}
   */
  maxAge?: number;
  /**
   * Request headers a page may send besides `Authorization`,
   * `Cache-Control`, `Content-Type`, `Idempotency-Key`, `Last-Event-ID` and
   * `X-Event`
   * (for example the header an `authorizeSubscribe` hook reads).
   *
   * @default {[]}
   */
  allowHeaders?: readonly string[];
}

/**
 * Options for {@linkcode createHubHandler}.
 *
 * @example Serve topics under `/hub/`, let signed-in users publish
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler, type HubHandlerOptions } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: HubHandlerOptions = {
 *   prefix: "/hub",
 *   authorizePublish: (request) => request.headers.has("authorization"),
 *   keepAlive: 20_000,
 * };
 * const hub = new Hub();
 * const handler = createHubHandler(hub, options);
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
   * Requests outside it get a `404`. The path is taken as sent, so that a
   * proxy rule on a path prefix sees the same topic as the hub: a path with
   * percent-encoding in the topic (`/hub/a%2Fb`, `%2E`, `%252F`; topic
   * names need none), dot segments (`.`, `..`, `%2e%2e`) or a backslash
   * gets a `400` instead of being read as another topic.
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
   * When the credentials of a request expire, in milliseconds since the
   * epoch (`Date.now()`); `undefined` for never, `false` for credentials
   * that are not valid. Asked once per SSE stream, long poll, iframe
   * stream and WebSocket, after it was authorized, and on each `refresh`
   * of a `serverpush.v1` connection. At that time the connection ends: a
   * WebSocket is closed with 1008, an SSE or iframe stream ends (the
   * client reconnects and is authorized anew), a held long poll answers.
   * A request whose credentials have expired already gets `401` (a
   * WebSocket: 1008 once open).
   *
   * A `serverpush.v1` client keeps its connection by sending
   * `{"type":"refresh","token":"…"}` before then: the hooks see the
   * upgrade request with its `Authorization` header set to `Bearer <token>`
   * from then on; the connection is closed with 1008 unless `expiresAt`
   * finds the new credentials valid and `authorizeSubscribe` allows every
   * topic the connection is subscribed to. It answers
   * `{"type":"refreshed"}`. Without `expiresAt`, `refresh` is an unknown
   * type. `authorizeWithJwt` of `@serverpush/serverpush/auth` makes one
   * that reads a token's `exp`.
   *
   * @default {undefined}
   */
  expiresAt?: (
    request: Request,
  ) => number | false | undefined | Promise<number | false | undefined>;
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
  /**
   * Lets pages on other origins use the hub from a browser: the handler
   * answers CORS preflights (`OPTIONS`, `204`, cached for `maxAge`
   * seconds) and adds `Access-Control-Allow-Origin` to its answers, for the
   * origins that `origins` allows and no others (a preflight from another
   * gets `403`). So list the pages' origins in `origins`: with
   * `"same-origin"` no foreign page is allowed, and with `"any"` every page
   * may read and publish but without the user's cookies
   * (`Access-Control-Allow-Origin: *`); a list or a function allows
   * credentials (`EventSource`'s `withCredentials`, `fetch`'s
   * `credentials: "include"`). A page may send `Authorization`,
   * `Cache-Control` (which `connect` and `SseClient` send), `Content-Type`,
   * `Idempotency-Key` (which `connect` sends with every publish),
   * `Last-Event-ID` and `X-Event`, plus `allowHeaders`.
   * `false` answers `OPTIONS` with `405` and adds no CORS header, so a
   * browser lets no other origin read the answers.
   *
   * @default {false}
   */
  cors?: boolean | HubCorsOptions;
  /**
   * The host names (with or without a port) this server answers to, against
   * DNS rebinding (see `checkHost` in `@serverpush/serverpush/ws`): when
   * set, every request of the handler, on every route (SSE, polling,
   * iframe, `POST` publish and WebSocket upgrades), whose `Host` is not on
   * the list gets `421 Misdirected Request` before anything else is done.
   * A rebound page sends its own name in both `Host` and `Origin`, so the
   * Origin policy alone lets it read streams and publish. On loopback, list
   * the loopback names: `["127.0.0.1:8000", "localhost:8000",
   * "[::1]:8000"]`. `undefined` checks no `Host`.
   *
   * @default {undefined}
   */
  allowedHosts?: AllowedHosts;
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
   * Invalid or refused messages after which a WebSocket is closed with
   * 1008; only an accepted publish resets the count (an accepted
   * `subscribe` or `unsubscribe` does not, so alternating them with bad
   * messages cannot dodge the limit). A client's messages are handled one
   * at a time, in order; those that wait behind a slow hook are bounded at
   * 16 MiB, and those that wait behind an answer the client does not read
   * (the socket buffers over 1 MiB) at 1 MiB; past either the WebSocket is
   * closed with 1008 too. Everything sent to a WebSocket (messages,
   * answers, errors, replays) waits while its socket buffers over 1 MiB,
   * so a client that does not read costs about 1 MiB plus one message.
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
  /**
   * Names the client of an SSE stream or WebSocket session, for the
   * inspector (for example from a verified token's subject). At most 128
   * characters are kept.
   *
   * @default {undefined}
   */
  clientId?: (request: Request) => string | undefined;
  /**
   * Identifies the client of a request (see {@linkcode HubIdentify}): an
   * identified SSE stream, one-topic WebSocket or `serverpush.v1`
   * subscription to a topic with presence (the hub's `presence` option)
   * makes the client a member of it while it lasts, and with `stampFrom`
   * its publishes carry its id. Asked once per request (per WebSocket, at
   * the upgrade).
   *
   * @default {undefined}
   */
  identify?: HubIdentify;
  /**
   * Stamp every message an identified client publishes (`POST`, one-topic
   * WebSocket, `serverpush.v1` publish) with its client id as `from`, which
   * subscribers receive in the JSON formats (`serverpush.v1`, one-topic
   * WebSocket, polling). A client cannot set `from` itself.
   *
   * @default {false}
   */
  stampFrom?: boolean;
}
