// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { checkDuration, checkPositiveInteger } from "../_internal/check.ts";
import { checkHistoryOption } from "../_internal/history_param.ts";
import { truncate } from "../_internal/truncate.ts";
import { checkTopic } from "../message/topic.ts";
import { resolveUrl } from "./_connect_settings.ts";
import { MultiplexConnection, Subscription } from "./_multiplex_client.ts";
import { readSendOptions } from "./_send_options.ts";
import type { MultiplexWebSocketClass } from "./client_web_socket.ts";
import type { PushEvent, PushSendOptions } from "./push_client.ts";

/**
 * Options for {@linkcode connectMultiplex}.
 *
 * @example Reconnect sooner, with at most 100 events held per topic
 * ```ts
 * import type { ConnectMultiplexOptions } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: ConnectMultiplexOptions = { retry: 250, maxQueuedEvents: 100 };
 * strictEqual(options.retry, 250);
 * ```
 */
export interface ConnectMultiplexOptions {
  /**
   * The WebSocket class. Where the runtime has none (Node 20), pass
   * `CodecWebSocket` from `@serverpush/serverpush/ws`.
   *
   * @default {globalThis.WebSocket}
   */
  WebSocket?: MultiplexWebSocketClass;
  /**
   * Milliseconds before reopening a connection that closed; it doubles,
   * with jitter, after each connection on which the server answered
   * nothing, up to `maxRetry`.
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
   * Most events held per subscription for a consumer that has not asked
   * for them yet; past it, that subscription's iteration ends with a
   * `RangeError` (a WebSocket cannot be paused for one topic).
   *
   * @default {1000}
   */
  maxQueuedEvents?: number;
  /**
   * Receives the server's errors that answer nothing the client sent.
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
}

/**
 * Options for {@linkcode MultiplexClient.subscribe}.
 *
 * @example Start with the newest ten messages
 * ```ts
 * import type { MultiplexSubscribeOptions } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: MultiplexSubscribeOptions = { history: 10, json: true };
 * strictEqual(options.history, 10);
 * ```
 */
export interface MultiplexSubscribeOptions {
  /**
   * Start after this message id (`"since"` in the `subscribe` request).
   *
   * @default {undefined}
   */
  since?: string | undefined;
  /**
   * Without `since`: the newest this many retained messages first, then
   * live ones (`"history"` in the `subscribe` request), an integer from 0
   * to 10000. Only while the subscription has no id to resume after: once
   * a message arrived, a reconnection subscribes after the last id instead.
   *
   * @default {undefined}
   */
  history?: number | undefined;
  /**
   * Start with the topic's state (a keyed topic: the latest message of
   * every key; `"state": true` in the `subscribe` request), then live
   * messages. After a reconnection that the server's replay window cannot
   * cover, the reset is followed by the state again.
   *
   * @default {false}
   */
  state?: boolean | undefined;
  /**
   * Deliver the topic's presence events (`"presence": true` in the
   * `subscribe` request): a `PushPresenceEvent` `join` for every
   * client present, then a `join` or `leave` as clients come and go; after
   * a reconnection, the joins of the clients present then. The topic must
   * have presence on (the server's hub option `presence`), else the
   * server refuses the subscription (`no-presence`).
   *
   * @default {false}
   */
  presence?: boolean | undefined;
  /**
   * Parses each message's data as JSON (bytes are read as UTF-8 first); a
   * message that is not JSON ends the iteration with a `SyntaxError`.
   *
   * @default {false}
   */
  json?: boolean;
}

/**
 * One topic of a {@linkcode MultiplexClient}: iterate it for its messages
 * and resets; leaving the loop, or {@linkcode MultiplexSubscription.close},
 * unsubscribes. A refused `subscribe` ends the iteration with an `Error`
 * whose message is the server's and whose `cause` is its code (such as
 * `"unauthorized"`).
 *
 * @typeParam Events The data type of each event name (see
 * `TypedPushMessage`), or `undefined` for untyped messages.
 *
 * @example Read until a "bye" event
 * ```ts ignore
 * import { connectMultiplex } from "@serverpush/serverpush/client";
 *
 * const client = connectMultiplex("/hub/");
 * for await (const event of client.subscribe("chat")) {
 *   if (event.kind === "message" && event.event === "bye") break;
 * }
 * await client.close();
 * ```
 */
export interface MultiplexSubscription<
  Events extends object | undefined = undefined,
> extends AsyncIterable<PushEvent<Events>, undefined> {
  /** The topic. */
  readonly topic: string;
  /** The id of the last message delivered, to resume from later. */
  readonly lastEventId: string | undefined;
  /**
   * Unsubscribes and ends the iteration once the events already queued
   * are read.
   */
  close(): void;
  /**
   * The events, in order. Only one iterator is allowed.
   *
   * @returns The iterator.
   * @throws {TypeError} If the subscription already has an iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<PushEvent<Events>, undefined>;
}

/**
 * A client of the `serverpush.v1` WebSocket subprotocol from
 * {@linkcode connectMultiplex}: several topics over one connection.
 *
 * @example Subscribe and publish
 * ```ts ignore
 * import { connectMultiplex } from "@serverpush/serverpush/client";
 *
 * const client = connectMultiplex("/hub/");
 * const chat = client.subscribe("chat", { history: 20 });
 * await client.publish("chat", "hello");
 * ```
 */
export interface MultiplexClient {
  /** Whether the WebSocket is open now. */
  readonly connected: boolean;
  /** Whether {@linkcode MultiplexClient.close} was called (or `signal` aborted). */
  readonly closed: boolean;
  /**
   * Subscribes to a topic with its data parsed as JSON and typed by event
   * name: `subscribe<{ quote: Quote }>("desk", { json: true })`.
   *
   * @typeParam Events The data type of each event name.
   * @param topic The topic.
   * @param options `since` or `history`, and `json: true`.
   * @returns The subscription, subscribing (again after every reconnection).
   * @throws {TypeError} If `topic` is not a valid topic name, or the client
   * is subscribed to it already.
   * @throws {RangeError} If `history` is not an integer from 0 to 10000.
   */
  subscribe<Events extends object = Record<string, unknown>>(
    topic: string,
    options: MultiplexSubscribeOptions & { json: true },
  ): MultiplexSubscription<Events>;
  /**
   * Subscribes to a topic.
   *
   * @param topic The topic.
   * @param options `since` or `history`.
   * @returns The subscription, subscribing (again after every reconnection).
   * @throws {TypeError} If `topic` is not a valid topic name, or the client
   * is subscribed to it already.
   * @throws {RangeError} If `history` is not an integer from 0 to 10000.
   */
  subscribe(
    topic: string,
    options?: MultiplexSubscribeOptions,
  ): MultiplexSubscription;
  /**
   * Subscribes to a topic of text messages typed by event name.
   *
   * @typeParam Events The data type (a string or bytes) of each event name.
   * @param topic The topic.
   * @param options `since` or `history`.
   * @returns The subscription, subscribing (again after every reconnection).
   * @throws {TypeError} If `topic` is not a valid topic name, or the client
   * is subscribed to it already.
   * @throws {RangeError} If `history` is not an integer from 0 to 10000.
   */
  subscribe<Events extends { [K in keyof Events]: string | Uint8Array }>(
    topic: string,
    options?: MultiplexSubscribeOptions & { json?: false },
  ): MultiplexSubscription<Events>;
  /**
   * Publishes a message to a topic (the server must allow it: the hub
   * handler's `allowPublish`), with an idempotency key: by default a new
   * one per call (`crypto.randomUUID()`). When the connection closes before
   * the server answered, the message is sent again with the same key on
   * the next connection, up to `retries` times, and the server stores it
   * once. While the client is not connected, the message waits for the
   * connection.
   *
   * @param topic The topic.
   * @param data The payload; bytes go as base64.
   * @param options The event type, idempotency key and retries.
   * @returns The message's id (for a key the server has seen already, the
   * first message's id).
   * @throws {Error} (as a rejection) If the server refuses it (its message,
   * with its code as `cause`), the connection closed before an answer more
   * than `retries` times, or the client is closed.
   * @throws {TypeError} (as a rejection) If `data` is not a string or a
   * `Uint8Array`, or an option is not valid.
   */
  publish(
    topic: string,
    data: string | Uint8Array,
    options?: PushSendOptions,
  ): Promise<string>;
  /**
   * Closes the connection, ends every subscription and rejects the
   * publishes not answered yet.
   *
   * @returns Resolves once the connection is closed.
   */
  close(): Promise<void>;
}

/**
 * Connects to the hub handler's `serverpush.v1` WebSocket endpoint (the
 * hub URL, for instance `/hub/`) to subscribe to and publish to several
 * topics over one connection. Only web APIs (`WebSocket`); runs in
 * browsers too.
 *
 * The connection is opened at once and reopened after it closes, with
 * backoff (`retry`, doubling up to `maxRetry`, with jitter). On every
 * connection each subscription subscribes again after the id of its last
 * message (`"since"`), so nothing is lost or repeated as far as the
 * server's replay window reaches (else a reset comes first); `history` is
 * asked for only while a subscription has no id. Publishes carry an
 * idempotency key, generated unless given, and are sent again with it
 * when a connection closes before the server answered.
 *
 * @param url The hub's URL, `ws(s):` or `http(s):`, relative to the
 * document in a browser.
 * @param options The WebSocket class, backoff, limits and `signal`.
 * @returns The client, already connecting.
 * @throws {TypeError} If `url` is not an HTTP or WebSocket URL.
 * @throws {RangeError} If a duration or a limit is out of range.
 *
 * @example Two topics over one WebSocket, one with history
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { connectMultiplex } from "@serverpush/serverpush/client";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   createHubHandler(hub, { prefix: "/hub", allowPublish: true, authorizePublish: () => true }),
 * );
 * await hub.publish("quotes", { data: '{"price":1}' });
 * await hub.publish("quotes", { data: '{"price":2}' });
 * const client = connectMultiplex(`ws://127.0.0.1:${server.addr.port}/hub/`);
 * const quotes = client.subscribe<{ message: { price: number } }>("quotes", {
 *   history: 1,
 *   json: true,
 * });
 * const chat = client.subscribe("chat");
 * const id = await client.publish("chat", "hello", { event: "line" });
 * for await (const event of chat) {
 *   deepStrictEqual(event, { kind: "message", id, event: "line", data: "hello" });
 *   break;
 * }
 * for await (const event of quotes) {
 *   strictEqual(event.kind === "message" && event.data.price, 2);
 *   break;
 * }
 * await client.close();
 * await hub.close();
 * await server.shutdown();
 * ```
 */
export function connectMultiplex(
  url: string | URL,
  options: ConnectMultiplexOptions = {},
): MultiplexClient {
  const {
    retry = 1000,
    maxRetry = 30_000,
    maxQueuedEvents = 1000,
    signal,
  } = options;
  checkDuration("connect", "retry", retry);
  checkDuration("connect", "maxRetry", maxRetry);
  checkPositiveInteger("connect", "maxQueuedEvents", maxQueuedEvents);
  const connection = new MultiplexConnection({
    url: resolveUrl(url),
    WebSocket: options.WebSocket ?? globalThis.WebSocket,
    retry,
    maxRetry,
    maxQueuedEvents,
    onError: options.onError,
  });
  const onAbort = (): void => void close();
  function close(): Promise<void> {
    signal?.removeEventListener("abort", onAbort);
    return connection.close();
  }
  if (signal?.aborted) void close();
  else signal?.addEventListener("abort", onAbort, { once: true });

  function subscribe<Events extends object | undefined>(
    topic: string,
    subscribeOptions: MultiplexSubscribeOptions = {},
  ): MultiplexSubscription<Events> {
    checkTopic("subscribe to", topic);
    const { since, history, state, presence, json = false } = subscribeOptions;
    for (const [name, value] of [["state", state], ["presence", presence]]) {
      if (value !== undefined && typeof value !== "boolean") {
        throw new TypeError(
          `Cannot subscribe to topic ${
            JSON.stringify(truncate(topic, 40))
          }: ${name} is not a boolean`,
        );
      }
    }
    if (since !== undefined && typeof since !== "string") {
      throw new TypeError(
        `Cannot subscribe to topic ${
          JSON.stringify(truncate(topic, 40))
        }: since is not a string`,
      );
    }
    checkHistoryOption(
      `subscribe to topic ${JSON.stringify(truncate(topic, 40))}`,
      history,
    );
    if (connection.subscriptions.has(topic)) {
      throw new TypeError(
        `Cannot subscribe to topic ${
          JSON.stringify(truncate(topic, 40))
        }: the client is subscribed to it already`,
      );
    }
    const subscription = new Subscription(connection, topic, {
      since,
      history,
      state: state === true,
      presence: presence === true,
      json: json === true,
    });
    if (connection.stopped.signal.aborted) subscription.queue.end(null);
    else connection.subscribe(subscription);
    const view: MultiplexSubscription = {
      topic,
      get lastEventId(): string | undefined {
        return subscription.queue.lastEventId;
      },
      close(): void {
        subscription.end();
      },
      [Symbol.asyncIterator](): AsyncIterator<PushEvent, undefined> {
        return subscription.iterator();
      },
    };
    // The typed signatures differ only in the type of `data`.
    return view as unknown as MultiplexSubscription<Events>;
  }

  return {
    get connected(): boolean {
      return connection.connected;
    },
    get closed(): boolean {
      return connection.stopped.signal.aborted;
    },
    subscribe,
    publish(
      topic: string,
      data: string | Uint8Array,
      publishOptions: PushSendOptions = {},
    ): Promise<string> {
      try {
        checkTopic("publish to", topic);
        return connection.publish(
          topic,
          data,
          readSendOptions("publish", data, publishOptions),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close,
  };
}
