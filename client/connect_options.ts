// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { PollingFetch } from "../polling/connect_polling.ts";
import type { ClientWebSocketClass } from "./client_web_socket.ts";
import type { PushTransport, PushTransportChange } from "./push_transport.ts";

/**
 * Options for {@linkcode connect}.
 *
 * @example Resume after a known id, over SSE or long polling only
 * ```ts
 * import type { ConnectOptions } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const saved: string | undefined = "42";
 * const options: ConnectOptions = {
 *   transports: ["sse", "longpoll"],
 *   since: saved,
 *   firstByteTimeout: 3000,
 * };
 * strictEqual(options.transports?.length, 2);
 * ```
 */
export interface ConnectOptions {
  /**
   * The transports to try, in order, without repeats. The client falls
   * back to the next one when one cannot be used, and stays there.
   *
   * @default {["websocket", "sse", "longpoll"]}
   */
  transports?: readonly PushTransport[];
  /**
   * Milliseconds within which a stream must show that it works: a
   * WebSocket must open, and then neither close abnormally before its
   * first message nor within this time; an SSE response must deliver its
   * first bytes. Otherwise the client falls back.
   *
   * @default {5000}
   */
  firstByteTimeout?: number;
  /**
   * Start after this message id, for example the last one a previous
   * client delivered (see {@linkcode PushClient.lastEventId}). Without it,
   * a stream starts with the messages published once it is connected, and
   * polling with the oldest message the server retains.
   *
   * @default {undefined}
   */
  since?: string | undefined;
  /**
   * Without `since`: ask for the newest this many retained messages first,
   * then live ones (`?history=N` on every transport), an integer from 0 to
   * 10000. It applies only while the client has no id to resume after:
   * once a message arrived, every reconnection and transport change
   * resumes after the last id instead, so history is never delivered
   * twice. With `since` it is ignored.
   *
   * @default {undefined}
   */
  history?: number | undefined;
  /**
   * Parses each message's data as JSON (bytes are read as UTF-8 first), so
   * that `event.data` is the parsed value; see the typed form of
   * {@linkcode connect}. A message that is not JSON ends the iteration
   * with a `SyntaxError` and closes the client.
   *
   * @default {false}
   */
  json?: boolean;
  /**
   * Start with the topic's state (a keyed topic: the latest message of
   * every key), then live messages: `connect` adds `state=1` to the URL of
   * every transport. After a reconnect that the server's replay window
   * cannot cover, the reset is followed by the state again.
   *
   * @default {false}
   */
  state?: boolean | undefined;
  /**
   * Sends {@linkcode PushClient.send} messages over the WebSocket while
   * one is open, instead of a `POST`. Set it only when the server accepts
   * them (the hub handler's `allowPublish`); its refusals then go to
   * `onError`.
   *
   * @default {false}
   */
  publishOverWebSocket?: boolean;
  /**
   * Ask for the topic's presence events: the WebSocket and SSE requests
   * carry `?presence=1`, and the iteration yields a
   * {@linkcode PushPresenceEvent} when a client joins or leaves (first, on
   * each connection, a `join` per client present). The topic must have
   * presence on the server (the hub's `presence` option), else the server
   * answers `400`. Over long and short polling, each answer lists the
   * members, and the client yields the differences as joins and leaves;
   * a polling client is no member itself (it holds no connection).
   *
   * @default {false}
   */
  presence?: boolean;
  /**
   * Called each time the client falls back to another transport.
   *
   * @default {undefined}
   */
  onTransportChange?: (change: PushTransportChange) => void;
  /**
   * Receives the server's refusals of messages sent over the WebSocket
   * (see `publishOverWebSocket`), as an `Error` with the server's text and
   * its code as `cause`. Without it they are dropped.
   *
   * @default {undefined}
   */
  onError?: (error: Error) => void;
  /**
   * Closes the client when aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The WebSocket class of the WebSocket transport. Where the runtime has
   * none (Node 20), pass `CodecWebSocket` from `@serverpush/serverpush/ws`
   * (serverpush's codec engine over `node:net`; it is not built in, so a
   * browser bundle of this entry stays small). Without any, the WebSocket
   * transport fails at once and the client falls back to the next one.
   *
   * @default {globalThis.WebSocket}
   */
  WebSocket?: ClientWebSocketClass;
  /**
   * The `fetch` for SSE, polling and `POST` requests, for instance one
   * that adds authentication.
   *
   * @default {globalThis.fetch}
   */
  fetch?: PollingFetch;
  /**
   * Extra headers for SSE, polling and `POST` requests (a browser's
   * WebSocket cannot send any).
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /**
   * Milliseconds before reconnecting a stream that worked and then ended;
   * the server's SSE `retry:` replaces it. It doubles, with jitter, after
   * each connection that delivered nothing, up to `maxRetry`. The same
   * delays space the retries of the last transport when it fails, and of
   * polling requests that fail.
   *
   * @default {1000}
   */
  retry?: number;
  /**
   * Longest delay between reconnections, in milliseconds.
   *
   * @default {30000}
   */
  maxRetry?: number;
  /**
   * Floor, in milliseconds, of the delay after a connection that delivered
   * nothing (or failed): such reconnections wait at least this (or the
   * reconnection time, if larger), doubling with each consecutive one, with
   * jitter, up to `maxRetry`. A server that sends `retry: 0` and ends its
   * streams empty thus cannot make the client reconnect in a tight loop.
   *
   * @default {1000}
   */
  minRetry?: number;
  /**
   * Milliseconds between requests of short polling (`"poll"`).
   *
   * @default {1000}
   */
  pollInterval?: number;
  /**
   * Milliseconds after which a polling request is abandoned and sent
   * again. Keep it above the server's long-polling timeout.
   *
   * @default {60000}
   */
  requestTimeout?: number;
  /**
   * Largest SSE event, and largest polling response body, in bytes; a
   * larger one ends the iteration with a `RangeError`.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * Most events held for a consumer that has not asked for them yet. SSE
   * and polling stop reading when it is reached; a WebSocket, which
   * cannot be paused, ends the iteration with a `RangeError`.
   *
   * @default {1000}
   */
  maxQueuedEvents?: number;
}
