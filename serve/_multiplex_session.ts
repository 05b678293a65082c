// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a hub WebSocket for several topics, the serverpush.v1
// subprotocol.

import type { WsConnection } from "../ws/connection.ts";
import {
  SERVERPUSH_V1,
  serverpushV1Error,
  serverpushV1Message,
  serverpushV1Published,
  serverpushV1Subscribed,
  serverpushV1Unsubscribed,
} from "../message/serverpush_v1.ts";
import { checkTopic } from "../message/topic.ts";
import { type ClientError, isClientError } from "./_client_publish.ts";
import { Feed, type FeedEnd } from "./_feed.ts";
import { type Handled, parseObject, Session } from "./_session.ts";
import {
  allowed,
  GOING_AWAY,
  HUB_CLOSED,
  IDENTIFY_REFUSED,
  INTERNAL_ERROR,
  MAX_SINCE_LENGTH,
  POLICY_VIOLATION,
  type SessionContext,
  type SessionRequest,
  TOO_SLOW,
  UNSUPPORTED_DATA,
} from "./_session_context.ts";
import { clientPublish } from "./_session_publish.ts";
import { openOptions } from "./_identify.ts";
import type { PresenceIdentity } from "../message/source.ts";
import type { Peer } from "./_connection_record.ts";
import { MAX_HISTORY } from "../_internal/history_param.ts";
import { quote } from "../_internal/quote.ts";

/** A bearer token as RFC 6750 section 2.1 writes it (`b64token`). */
const BEARER_TOKEN_REGEXP = /^[A-Za-z0-9._~+/-]+=*$/;
const REFRESHED = '{"type":"refreshed"}';
const REFRESH_REFUSED =
  "Cannot refresh credentials: they are not valid or expired";

/** Reads and checks the `topic` of a serverpush.v1 request. */
function readTopic(
  action: string,
  value: Record<string, unknown>,
): string | ClientError {
  const { topic } = value;
  try {
    checkTopic(action, topic);
  } catch (error) {
    return { code: "invalid-topic", message: (error as TypeError).message };
  }
  return topic as string;
}

/** What handling one serverpush.v1 request came to. */
type Outcome = ClientError | "ok" | "stop";

/**
 * The serverpush.v1 subprotocol over a WebSocket: the client subscribes to,
 * unsubscribes from and publishes to topics by name; every server message
 * carries a `type` and, but for some errors, a `topic`.
 */
class MultiplexSession extends Session {
  readonly transport = "serverpush.v1";
  /** The subscriptions by topic, made on the first. */
  #subscriptions: Map<string, Feed> | undefined;

  handle(data: string | Uint8Array): Handled | Promise<Handled> {
    if (typeof data !== "string") {
      void this.connection.close(
        UNSUPPORTED_DATA,
        `Cannot accept message: ${SERVERPUSH_V1} takes text messages only`,
      );
      return "stop";
    }
    const value = parseObject(data);
    if (isClientError(value)) {
      this.fail(value);
      return;
    }
    const outcome = this.#dispatch(value);
    if (typeof outcome === "string" || !(outcome instanceof Promise)) {
      return this.#settle(value, outcome);
    }
    return outcome.then((result) => this.#settle(value, result));
  }

  #dispatch(value: Record<string, unknown>): Outcome | Promise<Outcome> {
    switch (value.type) {
      case "subscribe":
        return this.#subscribe(value);
      case "unsubscribe":
        return this.#unsubscribe(value);
      case "publish":
        return this.#publish(value);
      case "refresh":
        if (this.context.expiresAt !== undefined) return this.#refresh(value);
        // Falls through: nothing expires, so nothing is refreshed.
      default:
        return {
          code: "unknown-type",
          message: `Cannot handle message: type ${
            quote(value.type)
          } is not subscribe, unsubscribe or publish`,
        };
    }
  }

  #settle(value: Record<string, unknown>, outcome: Outcome): Handled {
    if (outcome === "stop") return "stop";
    if (outcome === "ok") return;
    const topic = typeof value.topic === "string" &&
        outcome.code !== "invalid-topic"
      ? value.topic
      : undefined;
    this.fail(topic === undefined ? outcome : { ...outcome, topic });
  }

  async #subscribe(value: Record<string, unknown>): Promise<Outcome> {
    const topic = readTopic("subscribe to", value);
    if (isClientError(topic)) return topic;
    const { since } = value;
    if (
      since !== undefined &&
      (typeof since !== "string" || since.length > MAX_SINCE_LENGTH)
    ) {
      return {
        code: "invalid-message",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: since is not a string of at most ${MAX_SINCE_LENGTH} characters`,
      };
    }
    const { history, presence = false } = value;
    if (typeof presence !== "boolean") {
      return {
        code: "invalid-message",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: presence is not a boolean`,
      };
    }
    if (presence && this.context.source.presenceEnabled?.(topic) !== true) {
      return {
        code: "no-presence",
        message: `Cannot subscribe to topic ${
          quote(topic)
        } with presence: the topic has no presence`,
      };
    }
    if (
      history !== undefined &&
      !(Number.isSafeInteger(history) && (history as number) >= 0 &&
        (history as number) <= MAX_HISTORY)
    ) {
      return {
        code: "invalid-message",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: history is not an integer from 0 to ${MAX_HISTORY}`,
      };
    }
    const { state } = value;
    if (state !== undefined && typeof state !== "boolean") {
      return {
        code: "invalid-message",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: state is not a boolean`,
      };
    }
    const already = this.#alreadySubscribed(topic);
    if (already !== undefined) return already;
    const count = this.#subscriptions?.size ?? 0;
    if (count >= this.context.maxSubscriptions) {
      return {
        code: "too-many-subscriptions",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: this connection has ${count} subscriptions, the most allowed`,
      };
    }
    const authorize = this.context.authorizeSubscribe;
    if (
      authorize !== undefined &&
      !await allowed(
        authorize,
        this.request,
        topic,
        this.context,
        this.connection,
      )
    ) {
      return {
        code: "unauthorized",
        message: `Cannot subscribe to topic ${quote(topic)}: not authorized`,
      };
    }
    // The hook may have taken a while: check again.
    if (this.stopped) return "stop";
    const again = this.#alreadySubscribed(topic);
    if (again !== undefined) return again;
    // "subscribed" goes out before any message of the topic.
    this.answer(serverpushV1Subscribed(topic));
    let feed: Feed;
    try {
      feed = new Feed(
        this,
        topic,
        since === undefined || since === "" ? undefined : since,
        serverpushV1Message,
        openOptions(
          history === undefined && state !== true ? undefined : {
            ...(history === undefined ? {} : { history: history as number }),
            ...(state === true ? { state } : {}),
          },
          presence,
          this.identity,
        ),
      );
    } catch (error) {
      // A closed hub, or an identity whose info the hub refuses (the
      // topic and the presence option were checked).
      this.context.onError?.(error);
      if (error instanceof RangeError || error instanceof TypeError) {
        void this.connection.close(INTERNAL_ERROR, IDENTIFY_REFUSED);
      } else void this.connection.close(GOING_AWAY, HUB_CLOSED);
      return "stop";
    }
    (this.#subscriptions ??= new Map()).set(topic, feed);
    return "ok";
  }

  #alreadySubscribed(topic: string): ClientError | undefined {
    if (this.#subscriptions?.has(topic) !== true) return undefined;
    return {
      code: "already-subscribed",
      message: `Cannot subscribe to topic ${
        quote(topic)
      }: this connection is subscribed to it already`,
    };
  }

  #unsubscribe(value: Record<string, unknown>): Outcome {
    const topic = readTopic("unsubscribe from", value);
    if (isClientError(topic)) return topic;
    const feed = this.#subscriptions?.get(topic);
    if (feed === undefined) {
      return {
        code: "not-subscribed",
        message: `Cannot unsubscribe from topic ${
          quote(topic)
        }: this connection is not subscribed to it`,
      };
    }
    this.#subscriptions!.delete(topic);
    feed.cancel();
    this.answer(serverpushV1Unsubscribed(topic));
    return "ok";
  }

  async #publish(value: Record<string, unknown>): Promise<Outcome> {
    const topic = readTopic("publish to", value);
    if (isClientError(topic)) return topic;
    const result = await clientPublish(
      this.request,
      topic,
      value,
      this.context,
      this.connection,
      this.identity?.clientId,
    );
    if (result === undefined) return "stop";
    if (typeof result !== "string") return result;
    this.ok();
    this.answer(serverpushV1Published(topic, result));
    return "ok";
  }

  /**
   * New credentials: the hooks see the upgrade request with
   * `Authorization: Bearer <token>` from now on, if `expiresAt` finds them
   * valid and they allow every current subscription; else the connection
   * is closed with 1008.
   */
  async #refresh(value: Record<string, unknown>): Promise<Outcome> {
    const { token } = value;
    if (typeof token !== "string" || !BEARER_TOKEN_REGEXP.test(token)) {
      return {
        code: "invalid-message",
        message:
          "Cannot refresh credentials: token is not a bearer token (RFC 6750 b64token)",
      };
    }
    const previous = this.request!();
    const headers = new Headers(previous.headers);
    headers.set("authorization", `Bearer ${token}`);
    const request = new Request(previous.url, { headers });
    const valid = await this.checkCredentials(request);
    if (valid === undefined) return "stop";
    if (!valid) {
      void this.connection.close(POLICY_VIOLATION, REFRESH_REFUSED);
      return "stop";
    }
    const authorize = this.context.authorizeSubscribe;
    const refreshed = (): Request => request;
    for (const topic of this.#subscriptions?.keys() ?? []) {
      if (authorize === undefined) break;
      const granted = await allowed(
        authorize,
        refreshed,
        topic,
        this.context,
        this.connection,
      );
      if (this.stopped) return "stop";
      if (!granted) {
        void this.connection.close(
          POLICY_VIOLATION,
          `Cannot refresh credentials: they do not grant topic ${quote(topic)}`,
        );
        return "stop";
      }
    }
    this.request = refreshed;
    this.answer(REFRESHED);
    return "ok";
  }

  release(): void {
    const subscriptions = this.#subscriptions;
    if (subscriptions === undefined) return;
    for (const feed of subscriptions.values()) feed.cancel();
    subscriptions.clear();
  }

  errorMessage(error: ClientError & { topic?: string }): string {
    return serverpushV1Error(error.code, error.message, error.topic);
  }

  feeds(): Iterable<Feed> {
    return this.#subscriptions?.values() ?? [];
  }

  feedEnded(feed: Feed, end: FeedEnd): void {
    if (typeof end === "object") {
      // This subscription only: the client may retry later.
      if (this.#subscriptions?.get(feed.topic) === feed) {
        this.#subscriptions.delete(feed.topic);
        this.answer(
          serverpushV1Error("too-many-members", end.refused, feed.topic),
        );
      }
      return;
    }
    if (end === "overflow") {
      this.cutSlow(feed.topic);
      void this.connection.close(POLICY_VIOLATION, TOO_SLOW);
    } else if (this.#subscriptions?.get(feed.topic) === feed) {
      void this.connection.close(GOING_AWAY, HUB_CLOSED);
    }
  }
}

/**
 * Serves the serverpush.v1 subprotocol over an accepted WebSocket (see
 * {@linkcode MultiplexSession}).
 */
export function runMultiplexSession(
  connection: WsConnection,
  request: SessionRequest | undefined,
  context: SessionContext,
  peer?: Peer,
  identity?: PresenceIdentity,
): void {
  const session = new MultiplexSession(connection, request, context);
  session.peer = peer;
  session.identity = identity;
  session.listen();
  session.watchCredentials();
}
