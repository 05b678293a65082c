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

/** What a session needs from its handler. */
export interface SessionContext {
  hub: Hub;
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

/** Where a pump stopped. */
type PumpEnd = "done" | "overflow" | "closed";

/** Sends every message of `reader` as `encode(message)`, one at a time. */
async function pump(
  reader: ReadableStreamDefaultReader<HubMessage>,
  encode: (message: HubMessage) => string,
  connection: WsConnection,
): Promise<PumpEnd> {
  for (;;) {
    let result: ReadableStreamReadResult<HubMessage>;
    try {
      result = await reader.read();
    } catch {
      // The subscriber's queue overflowed (the "close" queue policy).
      return "overflow";
    }
    if (result.done) return "done";
    try {
      await connection.send(encode(result.value));
    } catch {
      // The connection is closing or closed: its own end says how.
      return "closed";
    }
  }
}

/**
 * A subscription that failed on its own (a queue overflow) rejects the
 * cancel with that failure, which the pump has already handled.
 */
function ignoreEndedSubscription(): void {}

/** Asks a hook; a thrown error is reported and counts as a refusal. */
async function allowed(
  authorize: SessionAuthorize,
  request: Request,
  topic: string,
  context: SessionContext,
  connection: WsConnection,
): Promise<boolean> {
  try {
    return (await authorize(request, topic)) === true;
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
  request: Request,
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
 * Serves one topic over an accepted WebSocket: every message of
 * `subscription` as `hubMessageToJson` text, and, when allowed, publishes
 * from `{ "event"?, "data", "encoding"? }` frames. Refusals go to the client
 * as `{ "error": code, "message": text }`.
 */
export function runTopicSession(
  connection: WsConnection,
  request: Request,
  topic: string,
  subscription: ReadableStream<HubMessage>,
  context: SessionContext,
): void {
  const reader = subscription.getReader();
  const session = {
    end(): void {
      void connection.close(GOING_AWAY, SHUTTING_DOWN);
      reader.cancel().catch(ignoreEndedSubscription);
    },
  };
  context.sessions.add(session);
  const errors = createErrorCounter(
    connection,
    context.maxClientErrors,
    (error) => JSON.stringify({ error: error.code, message: error.message }),
  );

  void pump(reader, hubMessageToJson, connection).then((end) => {
    if (end === "done") {
      void connection.close(GOING_AWAY, HUB_CLOSED);
    } else if (end === "overflow") {
      void connection.close(POLICY_VIOLATION, TOO_SLOW);
    }
  });

  void (async () => {
    try {
      for await (const data of connection.readable) {
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
      reader.cancel().catch(ignoreEndedSubscription);
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
  request: Request,
  context: SessionContext,
): void {
  const subscriptions = new Map<
    string,
    ReadableStreamDefaultReader<HubMessage>
  >();
  let ended = false;

  function cancelAll(): void {
    for (const reader of subscriptions.values()) {
      reader.cancel().catch(ignoreEndedSubscription);
    }
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
    let reader: ReadableStreamDefaultReader<HubMessage>;
    try {
      reader = context.hub.subscribe(
        topic,
        since === undefined || since === "" ? {} : { since },
      ).getReader();
    } catch (error) {
      // Only a closed hub throws here: the topic was checked.
      context.onError?.(error);
      void connection.close(GOING_AWAY, HUB_CLOSED);
      return "stop";
    }
    subscriptions.set(topic, reader);
    send({ type: "subscribed", topic });
    void pump(reader, multiplexJson, connection).then((end) => {
      if (end === "done" && subscriptions.get(topic) === reader) {
        void connection.close(GOING_AWAY, HUB_CLOSED);
      } else if (end === "overflow") {
        void connection.close(POLICY_VIOLATION, TOO_SLOW);
      }
    });
    return "ok";
  }

  function unsubscribe(value: Record<string, unknown>): ClientError | "ok" {
    const topic = readTopic("unsubscribe from", value);
    if (isClientError(topic)) return topic;
    const reader = subscriptions.get(topic);
    if (reader === undefined) {
      return {
        code: "not-subscribed",
        message: `Cannot unsubscribe from topic ${
          quote(topic)
        }: this connection is not subscribed to it`,
      };
    }
    subscriptions.delete(topic);
    reader.cancel().catch(ignoreEndedSubscription);
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
      for await (const data of connection.readable) {
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
