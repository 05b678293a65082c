// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a hub WebSocket for one topic, in plain JSON frames.

import type { MessageOpenOptions } from "../message/source.ts";
import type { WsConnection } from "../ws/connection.ts";
import { hubMessageToJson } from "../message/message_to_json.ts";
import { type ClientError, isClientError } from "./_client_publish.ts";
import { Feed, type FeedEnd } from "./_feed.ts";
import { type Handled, parseObject, Session } from "./_session.ts";
import {
  GOING_AWAY,
  HUB_CLOSED,
  IDENTIFY_REFUSED,
  INTERNAL_ERROR,
  POLICY_VIOLATION,
  type SessionContext,
  type SessionRequest,
  TOO_SLOW,
  UNSUPPORTED_DATA,
} from "./_session_context.ts";
import { clientPublish } from "./_session_publish.ts";
import { openOptions } from "./_identify.ts";
import { truncate } from "../_internal/truncate.ts";
import type { PresenceIdentity } from "../message/source.ts";
import type { Peer } from "./_connection_record.ts";

/**
 * One topic over a WebSocket: every message after `since` as
 * `hubMessageToJson` text, and, when allowed, publishes from
 * `{ "event"?, "data", "encoding"? }` frames. Refusals go to the client as
 * `{ "error": code, "message": text }`.
 */
class TopicSession extends Session {
  #topic: string;
  #feed: Feed | undefined;

  constructor(
    connection: WsConnection,
    request: SessionRequest | undefined,
    topic: string,
    context: SessionContext,
  ) {
    super(connection, request, context);
    this.#topic = topic;
  }

  // On the prototype rather than a field of every session.
  get transport(): string {
    return "websocket";
  }

  start(
    since: string | undefined,
    start: MessageOpenOptions | undefined,
    presence: boolean,
  ): void {
    // First: opening the feed may send at once (the joins of the members
    // present, when the topic's presence is already watched here), and a
    // send counts in the connection's record.
    this.listen();
    try {
      this.#feed = new Feed(
        this,
        this.#topic,
        since,
        hubMessageToJson,
        openOptions(start, presence, this.identity),
      );
    } catch (error) {
      // A closed hub, or an identity whose info the hub refuses (the
      // topic and the presence option were checked).
      this.context.onError?.(error);
      if (error instanceof RangeError || error instanceof TypeError) {
        void this.connection.close(INTERNAL_ERROR, IDENTIFY_REFUSED);
      } else void this.connection.close(GOING_AWAY, HUB_CLOSED);
      return;
    }
    this.watchCredentials();
  }

  handle(data: string | Uint8Array): Handled | Promise<Handled> {
    if (typeof data !== "string") {
      void this.connection.close(
        UNSUPPORTED_DATA,
        "Cannot accept message: only text messages are accepted",
      );
      return "stop";
    }
    const value = parseObject(data);
    if (isClientError(value)) {
      this.fail(value);
      return;
    }
    return this.#publish(value);
  }

  async #publish(value: Record<string, unknown>): Promise<Handled> {
    const result = await clientPublish(
      this.request,
      this.#topic,
      value,
      this.context,
      this.connection,
      this.identity?.clientId,
    );
    if (result === undefined) return "stop";
    if (typeof result === "string") this.ok();
    else this.fail(result);
  }

  release(): void {
    this.#feed?.cancel();
  }

  errorMessage(error: ClientError): string {
    return JSON.stringify({ error: error.code, message: error.message });
  }

  feeds(): Iterable<Feed> {
    return this.#feed === undefined ? [] : [this.#feed];
  }

  feedEnded(_feed: Feed, end: FeedEnd): void {
    if (typeof end === "object") {
      // The reason of a close frame holds at most 123 bytes.
      void this.connection.close(POLICY_VIOLATION, truncate(end.refused, 100));
      return;
    }
    if (end === "overflow") this.cutSlow(this.#topic);
    void this.connection.close(
      end === "done" ? GOING_AWAY : POLICY_VIOLATION,
      end === "done" ? HUB_CLOSED : TOO_SLOW,
    );
  }
}

/**
 * Serves one topic over an accepted WebSocket (see {@linkcode TopicSession}).
 */
export function runTopicSession(
  connection: WsConnection,
  request: SessionRequest | undefined,
  topic: string,
  since: string | undefined,
  context: SessionContext,
  peer?: Peer,
  start?: MessageOpenOptions,
  presence: boolean = false,
  identity?: PresenceIdentity,
): void {
  const session = new TopicSession(connection, request, topic, context);
  session.peer = peer;
  session.identity = identity;
  session.start(since, start, presence);
}
