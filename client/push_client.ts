// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { PollingEvent, PollingReset } from "../polling/connect_polling.ts";
import type { PushTransport } from "./push_transport.ts";

/**
 * A message of a typed client (see the typed form of {@linkcode connect}):
 * for each event name `K` of `Events`, `{ kind: "message", id, event: K,
 * data: Events[K] }`; the name `"message"` stands for messages published
 * without an event type, whose `event` is absent (over SSE it always is).
 * With an index signature (`Record<string, T>`), `event` is any string or
 * absent and `data` is `T`.
 *
 * @typeParam Events The data type of each event name.
 *
 * @example Narrow by event name
 * ```ts
 * import type { TypedPushMessage } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * type Events = { quote: { price: number }; chat: string };
 * function show(message: TypedPushMessage<Events>): string {
 *   return message.event === "quote"
 *     ? message.data.price.toFixed(2) // data is { price: number } here
 *     : message.data; // and a string here
 * }
 * strictEqual(show({ kind: "message", id: "1", event: "quote", data: { price: 2 } }), "2.00");
 * ```
 */
export type TypedPushMessage<Events extends object> = string extends
  keyof Events ? {
    kind: "message";
    id: string;
    event?: string;
    data: Events[keyof Events];
  }
  : {
    [K in keyof Events & string]: K extends "message" ? {
        kind: "message";
        id: string;
        event?: K;
        data: Events[K];
      }
      : { kind: "message"; id: string; event: K; data: Events[K] };
  }[keyof Events & string];

/**
 * What a {@linkcode PushClient} yields: a message (`kind: "message"`, with
 * `id`, `event` when the publisher gave one, and `data`) or a reset notice
 * (`kind: "reset"`: messages were lost, because the server's replay window
 * no longer reaches back to the client's last id), and with the `presence`
 * option a {@linkcode PushPresenceEvent} (`kind: "join"` or `"leave"`).
 * Messages and resets are the union of `connectPolling` (`PollingEvent`).
 * Given a map of event names to data types, the messages are
 * {@linkcode TypedPushMessage}s.
 *
 * @typeParam Events The data type of each event name, or `undefined` for
 * untyped messages (a string, or bytes published over a WebSocket).
 *
 * @example Handle every kind
 * ```ts
 * import type { PushEvent } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * function show(event: PushEvent): string {
 *   if (event.kind === "message") return String(event.data);
 *   if (event.kind === "reset") return `lost some: ${event.reason}`;
 *   return `${event.clientId} ${event.kind}s`;
 * }
 * strictEqual(show({ kind: "message", id: "1", data: "hi" }), "hi");
 * ```
 */
export type PushEvent<Events extends object | undefined = undefined> =
  | (Events extends object ? TypedPushMessage<Events> | PollingReset
    : PollingEvent)
  | PushPresenceEvent;

/**
 * A presence event of {@linkcode connect} with the `presence` option: a
 * client joined the topic or left it (see `Hub.presence` and the
 * handler's `identify` hook). The first events after a (re)connection are
 * a `join` per client present then.
 *
 * @example Keep a list of who is online
 * ```ts
 * import type { PushPresenceEvent } from "@serverpush/serverpush/client";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const online = new Map<string, unknown>();
 * function apply(event: PushPresenceEvent): void {
 *   if (event.kind === "join") online.set(event.clientId, event.info);
 *   else online.delete(event.clientId);
 * }
 * apply({ kind: "join", clientId: "ada", info: { name: "Ada" }, since: 1 });
 * apply({ kind: "join", clientId: "bob", info: null, since: 2 });
 * apply({ kind: "leave", clientId: "bob", info: null, since: 2 });
 * deepStrictEqual([...online.keys()], ["ada"]);
 * ```
 */
export interface PushPresenceEvent {
  /** Discriminant: `"join"` or `"leave"`. */
  kind: "join" | "leave";
  /** The client's id, as the server's `identify` hook gave it. */
  clientId: string;
  /** Its public info, `null` when it has none. */
  info: unknown;
  /** When it joined, epoch milliseconds. */
  since: number;
}

/**
 * Options for {@linkcode PushClient.send}.
 *
 * @example Send a typed event
 * ```ts
 * import type { PushSendOptions } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: PushSendOptions = { event: "chat", idempotencyKey: "line-7" };
 * strictEqual(options.event, "chat");
 * ```
 */
export interface PushSendOptions {
  /**
   * Event type of the message.
   *
   * @default {undefined}
   */
  event?: string;
  /**
   * Names this message so that the server stores it once however often it
   * is sent: the `Idempotency-Key` header of the `POST` (as an sf-string),
   * or the `idempotencyKey` field over a WebSocket. 1 to 256 printable
   * ASCII characters. By default each `send` draws a new one
   * (`crypto.randomUUID()`) and reuses it for its own retries; pass your
   * own to make your retries (for example after a reload) safe too.
   *
   * @default {crypto.randomUUID()}
   */
  idempotencyKey?: string;
  /**
   * Times a `POST` is sent again, with the same idempotency key, after
   * the request failed (the network) or the server answered `502`, `503`
   * or `504`, waiting from 250 ms (doubling, up to 2 s, with jitter) in
   * between. The server stores the message once.
   *
   * @default {2}
   */
  retries?: number;
}

/**
 * A connection to one topic over the first transport that works, from
 * {@linkcode connect}: iterate it for messages, {@linkcode PushClient.send}
 * to publish, {@linkcode PushClient.close} to stop.
 *
 * @typeParam Events The data type of each event name (see
 * {@linkcode TypedPushMessage}), or `undefined` for untyped messages.
 *
 * @example Read a topic until a "bye" event
 * ```ts ignore
 * import { connect } from "@serverpush/serverpush/client";
 *
 * const client = connect("/hub/chat");
 * for await (const event of client) {
 *   if (event.kind === "message" && event.event === "bye") break;
 * }
 * ```
 */
export interface PushClient<Events extends object | undefined = undefined>
  extends AsyncIterable<PushEvent<Events>, undefined> {
  /** The transport in use, or being tried. */
  readonly transport: PushTransport;
  /** The id of the last message delivered, to resume from later. */
  readonly lastEventId: string | undefined;
  /** Whether {@linkcode PushClient.close} was called (or `signal` aborted). */
  readonly closed: boolean;
  /**
   * Publishes a message to the topic: over the WebSocket when one is open
   * and `publishOverWebSocket` is set, else with a `POST` to the topic URL
   * (`?event=` for the event type; a string goes as `text/plain`, bytes as
   * `application/octet-stream`), with an idempotency key (see
   * {@linkcode PushSendOptions.idempotencyKey}) so that a `POST` retried
   * after a failure or a `503` is stored once.
   *
   * @param data The payload.
   * @param options The event type, idempotency key and retries.
   * @returns Resolves when the server accepted the `POST`, or when the
   * message was handed to the WebSocket.
   * @throws {Error} (as a rejection) If the client is closed, the server
   * refuses the `POST` (its status and text are in the message), or the
   * request fails.
   * @throws {TypeError} (as a rejection) If `data` is not a string or a
   * `Uint8Array`.
   */
  send(data: string | Uint8Array, options?: PushSendOptions): Promise<void>;
  /**
   * Stops every connection, timer and pending `send`, and ends the
   * iteration.
   *
   * @returns Resolves once everything has stopped.
   */
  close(): Promise<void>;
  /**
   * The events, in order. Only one iterator is allowed; leaving a
   * `for await` loop closes the client.
   *
   * @returns The iterator.
   * @throws {TypeError} If the client already has an iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<PushEvent<Events>, undefined>;
}
