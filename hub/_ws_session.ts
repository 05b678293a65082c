// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what the hub handler does on an accepted WebSocket, in its two
// modes: one topic (plain JSON frames) and serverpush.v1 (several topics).

import type { WsConnection } from "../ws/connection.ts";
import type { Hub } from "./hub.ts";
import { encodedOnce } from "./encoded_once.ts";
import type { HubMessage } from "./message.ts";
import { hubMessageToJson } from "./message_to_json.ts";
import {
  type ClientError,
  isClientError,
  readClientPublish,
} from "./_client_publish.ts";
import type { Subscriber, SubscriberSink } from "./_subscriber.ts";
import { checkTopic, quote } from "./_validate.ts";

/** The subprotocol name of the multiplexing protocol. */
export const MULTIPLEX_PROTOCOL = "serverpush.v1";

/** Longest `since` a client may send, in UTF-16 code units. */
const MAX_SINCE_LENGTH = 1024;

/** Decides whether a request may do something with a topic. */
export type SessionAuthorize = (
  request: Request,
  topic: string,
) => boolean | Response | Promise<boolean | Response>;

/** Subscribes a sink to a topic, as `Hub.subscribe` does for a stream. */
export type OpenSubscriber = (
  topic: string,
  since: string | undefined,
  sink: SubscriberSink,
) => Subscriber;

/** What a session needs from its handler. */
export interface SessionContext {
  hub: Hub;
  open: OpenSubscriber;
  /** `send()` waits while more than this many bytes are buffered. */
  maxBufferedBytes: number;
  authorizeSubscribe: SessionAuthorize;
  authorizePublish: SessionAuthorize;
  allowPublish: boolean;
  maxPublishBytes: number;
  maxSubscriptions: number;
  maxClientErrors: number;
  onError: ((error: unknown) => void) | undefined;
  /** Open sessions, ended together when the handler's signal aborts. */
  sessions: Set<{ end(): void }>;
}

/** Close codes and reasons the sessions use. */
const GOING_AWAY = 1001;
const UNSUPPORTED_DATA = 1003;
const POLICY_VIOLATION = 1008;
const INTERNAL_ERROR = 1011;
const TOO_SLOW = "Cannot deliver messages: the client reads too slowly";
const HUB_CLOSED = "Cannot deliver messages: the hub is closed";
const SHUTTING_DOWN = "Cannot deliver messages: the server is shutting down";
const TOO_MANY_ERRORS = "Cannot continue: too many invalid messages";
const AUTHORIZE_FAILED = "Cannot authorize request: the check failed";

/** How a feed stopped: the subscription ended, or its queue overflowed. */
type FeedEnd = "done" | "overflow";

/** A subscription whose messages go straight to a connection. */
interface Feed {
  readonly subscriber: Subscriber;
  /** Settles once the subscription ends by itself. */
  readonly ended: Promise<FeedEnd>;
}

/**
 * Subscribes and sends every message as `encode(message)`: the next one is
 * asked for at once while the connection buffers at most
 * `maxBufferedBytes`, else once `send()` says the buffer drained. So a
 * client that stops reading fills its subscriber's bounded queue, not
 * memory.
 */
function feed(
  context: SessionContext,
  topic: string,
  since: string | undefined,
  encode: (message: HubMessage) => string,
  connection: WsConnection,
): Feed {
  const ended = Promise.withResolvers<FeedEnd>();
  const next = (): void => subscriber.pull();
  const sink: SubscriberSink = {
    deliver(message: HubMessage): void {
      const sent = connection.send(encode(message));
      if (connection.bufferedAmount <= context.maxBufferedBytes) {
        subscriber.pull();
      } else {
        sent.then(next, ignoreClosing);
      }
    },
    error(): void {
      ended.resolve("overflow");
    },
    close(): void {
      ended.resolve("done");
    },
  };
  const subscriber = context.open(topic, since, sink);
  subscriber.pull();
  return { subscriber, ended: ended.promise };
}

/**
 * A send that fails means the connection is closing; the session's end
 * (the incoming messages end) releases the subscription.
 */
function ignoreClosing(): void {}

/**
 * The upgrade request as the session's hooks see it: Deno's own can no
 * longer be read once upgraded, so this is a copy of its URL and headers,
 * made when first needed.
 */
export type SessionRequest = () => Request;

/** Asks a hook; a thrown error is reported and counts as a refusal. */
async function allowed(
  authorize: SessionAuthorize,
  request: SessionRequest,
  topic: string,
  context: SessionContext,
  connection: WsConnection,
): Promise<boolean> {
  try {
    return (await authorize(request(), topic)) === true;
  } catch (error) {
    context.onError?.(error);
    void connection.close(INTERNAL_ERROR, AUTHORIZE_FAILED);
    return false;
  }
}

/**
 * Counts consecutive client errors; the one that reaches the limit closes
 * the connection with 1008 after the error message is sent.
 */
function createErrorCounter(
  connection: WsConnection,
  limit: number,
  send: (error: ClientError & { topic?: string }) => string,
): { fail(error: ClientError & { topic?: string }): void; ok(): void } {
  let count = 0;
  return {
    fail(error): void {
      count++;
      void connection.send(send(error));
      if (count >= limit) {
        void connection.close(POLICY_VIOLATION, TOO_MANY_ERRORS);
      }
    },
    ok(): void {
      count = 0;
    },
  };
}

/** Parses a text frame as a JSON object, or says why it is not one. */
function parseObject(
  data: string,
): Record<string, unknown> | ClientError {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return {
      code: "invalid-json",
      message: "Cannot parse message: it is not valid JSON",
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      code: "invalid-message",
      message: "Cannot read message: it is not a JSON object",
    };
  }
  return value as Record<string, unknown>;
}

/** Publishes what a client sent, after the handler's checks. */
async function clientPublish(
  request: SessionRequest,
  topic: string,
  value: Record<string, unknown>,
  context: SessionContext,
  connection: WsConnection,
): Promise<string | ClientError | undefined> {
  if (!context.allowPublish) {
    return {
      code: "publish-disabled",
      message: `Cannot publish to topic ${
        quote(topic)
      }: publishing over WebSocket is not enabled`,
    };
  }
  const message = readClientPublish(topic, value, context.maxPublishBytes);
  if (isClientError(message)) return message;
  if (
    !await allowed(
      context.authorizePublish,
      request,
      topic,
      context,
      connection,
    )
  ) {
    return {
      code: "unauthorized",
      message: `Cannot publish to topic ${quote(topic)}: not authorized`,
    };
  }
  try {
    return await context.hub.publish(topic, message);
  } catch (error) {
    if (error instanceof RangeError) {
      return { code: "too-large", message: error.message };
    }
    if (error instanceof TypeError) {
      return { code: "invalid-message", message: error.message };
    }
    // The hub is closed, or its backend failed.
    context.onError?.(error);
    void connection.close(GOING_AWAY, HUB_CLOSED);
    return undefined;
  }
}

/**
 * Serves one topic over an accepted WebSocket: every message after `since`
 * as `hubMessageToJson` text, and, when allowed, publishes from
 * `{ "event"?, "data", "encoding"? }` frames. Refusals go to the client as
 * `{ "error": code, "message": text }`.
 */
export function runTopicSession(
  connection: WsConnection,
  request: SessionRequest,
  topic: string,
  since: string | undefined,
  context: SessionContext,
): void {
  let subscription: Feed;
  try {
    subscription = feed(context, topic, since, hubMessageToJson, connection);
  } catch (error) {
    // Only a closed hub throws here: the topic was checked.
    context.onError?.(error);
    void connection.close(GOING_AWAY, HUB_CLOSED);
    return;
  }
  const { subscriber } = subscription;
  const session = {
    end(): void {
      void connection.close(GOING_AWAY, SHUTTING_DOWN);
      subscriber.cancel();
    },
  };
  context.sessions.add(session);
  const errors = createErrorCounter(
    connection,
    context.maxClientErrors,
    (error) => JSON.stringify({ error: error.code, message: error.message }),
  );

  void subscription.ended.then((end) => {
    void connection.close(
      end === "done" ? GOING_AWAY : POLICY_VIOLATION,
      end === "done" ? HUB_CLOSED : TOO_SLOW,
    );
  });

  void (async () => {
    try {
      for await (const data of connection) {
        if (typeof data !== "string") {
          await connection.close(
            UNSUPPORTED_DATA,
            "Cannot accept message: only text messages are accepted",
          );
          break;
        }
        const value = parseObject(data);
        if (isClientError(value)) {
          errors.fail(value);
          continue;
        }
        const result = await clientPublish(
          request,
          topic,
          value,
          context,
          connection,
        );
        if (result === undefined) break;
        if (typeof result === "string") errors.ok();
        else errors.fail(result);
      }
    } finally {
      context.sessions.delete(session);
      subscriber.cancel();
    }
  })();
}

/** `{"type":"message","topic":…,"id":…,…}`, from the cached JSON form. */
function toMultiplexJson(message: HubMessage): string {
  if (message.kind === "reset") {
    return JSON.stringify({
      type: "reset",
      topic: message.topic,
      reason: message.reason,
    });
  }
  return `{"type":"message","topic":${JSON.stringify(message.topic)},${
    hubMessageToJson(message).slice(1)
  }`;
}

function multiplexJson(message: HubMessage): string {
  return encodedOnce(message, toMultiplexJson);
}

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

/**
 * Serves the serverpush.v1 subprotocol over an accepted WebSocket: the
 * client subscribes to, unsubscribes from and publishes to topics by name;
 * every server message carries a `type` and, but for some errors, a
 * `topic`.
 */
export function runMultiplexSession(
  connection: WsConnection,
  request: SessionRequest,
  context: SessionContext,
): void {
  const subscriptions = new Map<string, Subscriber>();
  let ended = false;

  function cancelAll(): void {
    for (const subscriber of subscriptions.values()) subscriber.cancel();
    subscriptions.clear();
  }

  const session = {
    end(): void {
      void connection.close(GOING_AWAY, SHUTTING_DOWN);
      ended = true;
      cancelAll();
    },
  };
  context.sessions.add(session);
  const errors = createErrorCounter(
    connection,
    context.maxClientErrors,
    (error) =>
      JSON.stringify(
        error.topic === undefined
          ? { type: "error", code: error.code, message: error.message }
          : {
            type: "error",
            code: error.code,
            message: error.message,
            topic: error.topic,
          },
      ),
  );

  function send(value: Record<string, string>): void {
    void connection.send(JSON.stringify(value));
  }

  async function subscribe(
    value: Record<string, unknown>,
  ): Promise<ClientError | "ok" | "stop"> {
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
    if (subscriptions.has(topic)) {
      return {
        code: "already-subscribed",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: this connection is subscribed to it already`,
      };
    }
    if (subscriptions.size >= context.maxSubscriptions) {
      return {
        code: "too-many-subscriptions",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: this connection has ${subscriptions.size} subscriptions, the most allowed`,
      };
    }
    if (
      !await allowed(
        context.authorizeSubscribe,
        request,
        topic,
        context,
        connection,
      )
    ) {
      return {
        code: "unauthorized",
        message: `Cannot subscribe to topic ${quote(topic)}: not authorized`,
      };
    }
    // The hook may have taken a while: check again.
    if (ended) return "stop";
    if (subscriptions.has(topic)) {
      return {
        code: "already-subscribed",
        message: `Cannot subscribe to topic ${
          quote(topic)
        }: this connection is subscribed to it already`,
      };
    }
    // "subscribed" goes out before any message of the topic.
    send({ type: "subscribed", topic });
    let subscription: Feed;
    try {
      subscription = feed(
        context,
        topic,
        since === undefined || since === "" ? undefined : since,
        multiplexJson,
        connection,
      );
    } catch (error) {
      // Only a closed hub throws here: the topic was checked.
      context.onError?.(error);
      void connection.close(GOING_AWAY, HUB_CLOSED);
      return "stop";
    }
    const { subscriber } = subscription;
    subscriptions.set(topic, subscriber);
    void subscription.ended.then((end) => {
      if (end === "overflow") {
        void connection.close(POLICY_VIOLATION, TOO_SLOW);
      } else if (subscriptions.get(topic) === subscriber) {
        void connection.close(GOING_AWAY, HUB_CLOSED);
      }
    });
    return "ok";
  }

  function unsubscribe(value: Record<string, unknown>): ClientError | "ok" {
    const topic = readTopic("unsubscribe from", value);
    if (isClientError(topic)) return topic;
    const subscriber = subscriptions.get(topic);
    if (subscriber === undefined) {
      return {
        code: "not-subscribed",
        message: `Cannot unsubscribe from topic ${
          quote(topic)
        }: this connection is not subscribed to it`,
      };
    }
    subscriptions.delete(topic);
    subscriber.cancel();
    send({ type: "unsubscribed", topic });
    return "ok";
  }

  async function publish(
    value: Record<string, unknown>,
  ): Promise<ClientError | "ok" | "stop"> {
    const topic = readTopic("publish to", value);
    if (isClientError(topic)) return topic;
    const result = await clientPublish(
      request,
      topic,
      value,
      context,
      connection,
    );
    if (result === undefined) return "stop";
    if (typeof result !== "string") return result;
    send({ type: "published", topic, id: result });
    return "ok";
  }

  async function handle(
    value: Record<string, unknown>,
  ): Promise<ClientError | "ok" | "stop"> {
    switch (value.type) {
      case "subscribe":
        return await subscribe(value);
      case "unsubscribe":
        return unsubscribe(value);
      case "publish":
        return await publish(value);
      default:
        return {
          code: "unknown-type",
          message: `Cannot handle message: type ${
            quote(value.type)
          } is not subscribe, unsubscribe or publish`,
        };
    }
  }

  void (async () => {
    try {
      for await (const data of connection) {
        if (typeof data !== "string") {
          await connection.close(
            UNSUPPORTED_DATA,
            `Cannot accept message: ${MULTIPLEX_PROTOCOL} takes text messages only`,
          );
          break;
        }
        const value = parseObject(data);
        if (isClientError(value)) {
          errors.fail(value);
          continue;
        }
        const result = await handle(value);
        if (result === "stop") break;
        if (result === "ok") {
          errors.ok();
        } else {
          const topic = typeof value.topic === "string" &&
              result.code !== "invalid-topic"
            ? value.topic
            : undefined;
          errors.fail(topic === undefined ? result : { ...result, topic });
        }
      }
    } finally {
      ended = true;
      context.sessions.delete(session);
      cancelAll();
    }
  })();
}
