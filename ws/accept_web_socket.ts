// Copyright 2026 the serverpush authors. MIT license.
// Accepting a WebSocket inside a request handler: on the upgrade that the
// server registered for the request (`serve` on Node and Bun, see
// `upgrade_provider.ts`), else on `Deno.upgradeWebSocket`, the only place
// of the native engine that names Deno.

import type { WsCodec, WsConnection } from "./connection.ts";
import type { AuthorizeUpgrade } from "./admit_upgrade.ts";
import type { AllowedHosts } from "./check_host.ts";
import type { OriginPolicy } from "./check_origin.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import { acceptPrepared, prepareAccept } from "./_accept.ts";
import { type TypedWsConnection, withCodec } from "./typed_connection.ts";

/**
 * The shape of `Deno.upgradeWebSocket`, so a test can pass a fake to
 * {@linkcode AcceptWebSocketOptions.upgrade}. {@linkcode acceptWebSocket}
 * passes only `idleTimeout` (seconds, `0` for none; the heartbeat), and sets
 * `Sec-WebSocket-Protocol` on the returned response itself.
 *
 * @example A fake that records what it was asked
 * ```ts
 * import type { UpgradeWebSocket } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const calls: { idleTimeout?: number }[] = [];
 * const upgrade: UpgradeWebSocket = (_request, options) => {
 *   calls.push(options);
 *   return {
 *     response: new Response(null, { status: 200 }),
 *     socket: new EventTarget() as WebSocket,
 *   };
 * };
 * upgrade(new Request("http://localhost/"), { idleTimeout: 60 });
 * strictEqual(calls[0]?.idleTimeout, 60);
 * ```
 */
export type UpgradeWebSocket = (
  request: Request,
  options: { idleTimeout?: number },
) => { response: Response; socket: WebSocket };

/** Options for {@linkcode acceptWebSocket}. */
export interface AcceptWebSocketOptions {
  /**
   * Which `Origin` values may connect, against cross-site WebSocket
   * hijacking. By default a request whose `Origin` is present and not the
   * same origin as its `Host` gets 403; requests without `Origin`
   * (non-browser clients) pass. An allow-list of origin strings and
   * matchers (`URLPattern`, `RegExp`), `"any"`, or a function widens it.
   *
   * @default {"same-origin"}
   */
  origins?: OriginPolicy;
  /**
   * The host names (with or without a port) this server answers to, against
   * DNS rebinding: a request whose `Host` is not on the list gets 421
   * before the Origin policy runs (see `checkHost`). List the server's own
   * names; on loopback, `["127.0.0.1:8000", "localhost:8000",
   * "[::1]:8000"]`. `undefined` checks no `Host`.
   *
   * @default {undefined}
   */
  allowedHosts?: AllowedHosts;
  /**
   * Runs before any upgrade: `false` answers 403, a `Response` is sent as
   * it is. See {@linkcode AuthorizeUpgrade} for where browsers can put a
   * token.
   *
   * @default {undefined}
   */
  authorize?: AuthorizeUpgrade;
  /**
   * Subprotocols this server speaks, most preferred first; the first one
   * the client offered is chosen, answered in `Sec-WebSocket-Protocol` and
   * reported as `connection.protocol`. None is answered when none matches
   * (a browser then fails the connection if it offered any).
   *
   * @default {[]}
   */
  protocols?: readonly string[];
  /**
   * Largest message accepted, in bytes (UTF-8 bytes for text); a bigger one
   * closes the connection with 1009.
   *
   * Deno's native socket has no limit option of its own below 64 MiB (a
   * message over 64 MiB fails the connection, code 1006): it receives and
   * assembles the whole message before this check runs, so up to
   * `min(64 MiB, what arrives)` bytes are held in memory briefly whatever
   * this says. For a hard bound on memory use the codec engine.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * Bound on the bytes queued for the client: `send()` resolves only once
   * the socket's `bufferedAmount` is at or below this many bytes. A
   * `send()` made while more are queued (its caller did not wait for the
   * last one) is refused: it rejects with an `InvalidStateError` and the
   * connection closes with 1008, so at most this plus one message is ever
   * queued for a client that does not read. Deno has no "drained" event,
   * so a waiting `send()` polls `bufferedAmount` on a timer that backs off
   * from 1 ms to 64 ms.
   *
   * @default {1048576}
   */
  maxBufferedBytes?: number;
  /**
   * Bound on received messages that the application has not read yet (each
   * counts its size plus 64 bytes). Deno's socket cannot pause reading, so
   * going past it closes with 1008. One message always fits an empty queue.
   *
   * @default {16777216}
   */
  maxUnreadBytes?: number;
  /**
   * Ping a quiet client and close with 1001 if it does not answer:
   * `{ interval, timeout }` in milliseconds, a number (the interval), or
   * `false` for none.
   *
   * This engine uses `Deno.upgradeWebSocket`'s `idleTimeout`, set to
   * `interval + timeout`: Deno pings after half of it without receiving a
   * frame, and closes with 1001 ("No response from ping frame.") when
   * nothing arrives in the other half. `closed` then reports 1001 with
   * `wasClean: false`; a live peer that reads sees a 1001 close frame. So
   * the split is exact when `timeout` equals `interval` (the default);
   * otherwise both halves are their mean.
   *
   * @default {{ interval: 30000, timeout: 30000 }}
   */
  heartbeat?: HeartbeatOptions | number | false;
  /**
   * Milliseconds `close()` waits for the client's close frame before
   * `closed` resolves with 1006; the connection then holds nothing of its
   * own any more.
   *
   * Deno's socket itself (its descriptor, and the bytes already handed to
   * it: at most `maxBufferedBytes` plus one message) stays open until the
   * client answers the close or the TCP connection ends: Deno offers no
   * way to abort one server-side WebSocket once it is closing (its
   * heartbeat does not apply then either). Shutting the `Deno.serve`
   * server down releases them all. The codec engine (`serveWebSocket`) has
   * no such limit.
   *
   * @default {5000}
   */
  closeTimeout?: number;
  /**
   * The client's address to report as `connection.remoteAddr`, such as
   * `info.remoteAddr` from the `Deno.serve` handler.
   *
   * @default {undefined}
   */
  remoteAddr?: { hostname: string; port: number };
  /**
   * Stand-in for `Deno.upgradeWebSocket`; unit tests pass a fake.
   *
   * @default {Deno.upgradeWebSocket}
   */
  upgrade?: UpgradeWebSocket;
}

/**
 * Options for {@linkcode acceptWebSocket} with a codec: the connection then
 * yields and takes application values.
 *
 * @typeParam T The application's message type.
 */
export interface AcceptTypedWebSocketOptions<T> extends AcceptWebSocketOptions {
  /**
   * Encodes and decodes messages (see {@linkcode withCodec}); a message it
   * cannot decode closes with 1007, or 1003 for the wrong frame type.
   */
  codec: WsCodec<T>;
}

/**
 * What {@linkcode acceptWebSocket} produced: always a response to return
 * from the handler, and the connection when the upgrade was accepted.
 *
 * @typeParam C The connection type.
 */
export interface AcceptWebSocketResult<C> {
  /** The `101` response, or the refusal (403, 426, 400...) to return. */
  response: Response;
  /** The connection, or `undefined` when the request was refused. */
  connection: C | undefined;
}

/**
 * Accepts a WebSocket inside a request handler, behind the server's policy:
 * the handshake is validated, then the Origin policy and `authorize` run,
 * and only then is the request upgraded.
 *
 * The upgrade is the one the server registered for the request with
 * {@linkcode provideWebSocketUpgrade}: `serve` (from the serve entry) does
 * so on Deno, Node (serverpush's codec engine over the socket, with
 * permessage-deflate) and Bun (Bun's engine). Without one, on Deno it is
 * `Deno.upgradeWebSocket` (so a plain `Deno.serve` works); elsewhere it
 * throws a `TypeError` that says to use `serve`. The options and the
 * limits below apply on every engine; where they say "Deno's socket", the
 * same holds for Bun's.
 *
 * Always return `response` from the handler. The connection opens once
 * Deno has sent it; `send()` called before that waits. See
 * {@linkcode admitUpgrade} for the refusals (426 for a request that is not
 * an upgrade, 400 for a malformed handshake, 403 for a refused Origin or
 * `authorize`).
 *
 * It is asynchronous because the hook `authorize` may be, and because an
 * upgrade that `serve` registered needs the `Sec-WebSocket-Accept` digest,
 * which `crypto.subtle` computes only through a promise (on
 * `Deno.upgradeWebSocket`, Deno answers the handshake itself and nothing
 * else is awaited).
 *
 * @param request The request from `Deno.serve`.
 * @param options Origin policy, authorization, subprotocols, limits,
 * heartbeat.
 * @returns The response and, when accepted, the connection.
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 * @throws {TypeError} If `protocols` holds a non-token or the Origin
 * allow-list a string that is not a URL, or if the request cannot be
 * upgraded on this runtime (Node or Bun without `serve`).
 * @throws {unknown} Whatever `authorize` throws.
 *
 * @example An echo server
 * ```ts ignore
 * import { acceptWebSocket } from "@serverpush/serverpush/ws";
 *
 * Deno.serve(async (request, info) => {
 *   const { response, connection } = await acceptWebSocket(request, {
 *     remoteAddr: info.remoteAddr,
 *   });
 *   if (connection !== undefined) {
 *     (async () => {
 *       for await (const message of connection) await connection.send(message);
 *     })().catch(() => {}); // send() rejects once the client has gone
 *   }
 *   return response;
 * });
 * ```
 *
 * @example Refuse a cross-site page (with a fake upgrade)
 * ```ts
 * import { acceptWebSocket } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const request = new Request("http://chat.example/ws", {
 *   headers: {
 *     host: "chat.example",
 *     origin: "https://evil.example",
 *     upgrade: "websocket",
 *     connection: "Upgrade",
 *     "sec-websocket-version": "13",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *   },
 * });
 * const { response, connection } = await acceptWebSocket(request, {
 *   upgrade: () => {
 *     throw new Error("not reached");
 *   },
 * });
 * strictEqual(response.status, 403);
 * strictEqual(connection, undefined);
 * await response.body?.cancel();
 * ```
 */
export function acceptWebSocket(
  request: Request,
  options?: AcceptWebSocketOptions,
): Promise<AcceptWebSocketResult<WsConnection>>;
/**
 * Accepts a WebSocket on `Deno.serve` whose messages go through a codec:
 * `for await` yields values and `send(value)` takes them. Otherwise the
 * same as the overload without `codec`.
 *
 * @typeParam T The application's message type.
 * @param request The request from `Deno.serve`.
 * @param options The codec, and the options of the overload without it.
 * @returns The response and, when accepted, the typed connection.
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 * @throws {TypeError} If `protocols` holds a non-token or the Origin
 * allow-list a string that is not a URL.
 * @throws {unknown} Whatever `authorize` throws.
 *
 * @example A JSON chat endpoint
 * ```ts ignore
 * import { acceptWebSocket, jsonCodec } from "@serverpush/serverpush/ws";
 *
 * Deno.serve(async (request) => {
 *   const { response, connection } = await acceptWebSocket(request, {
 *     codec: jsonCodec(),
 *   });
 *   connection?.send({ hello: "world" });
 *   return response;
 * });
 * ```
 */
export function acceptWebSocket<T>(
  request: Request,
  options: AcceptTypedWebSocketOptions<T>,
): Promise<AcceptWebSocketResult<TypedWsConnection<T>>>;
export async function acceptWebSocket<T>(
  request: Request,
  options: AcceptWebSocketOptions & { codec?: WsCodec<T> } = {},
): Promise<AcceptWebSocketResult<WsConnection | TypedWsConnection<T>>> {
  const accepted = await acceptPrepared(
    request,
    prepareAccept(options),
    options.authorize,
  );
  const { connection } = accepted;
  if (options.codec === undefined || connection === undefined) return accepted;
  return {
    response: accepted.response,
    connection: withCodec(connection, options.codec),
  };
}
