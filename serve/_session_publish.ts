// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a publish by a WebSocket client, after the handler's checks.

import type { WsConnection } from "../ws/connection.ts";
import {
  type ClientError,
  isClientError,
  readClientPublish,
} from "./_client_publish.ts";
import {
  allowed,
  GOING_AWAY,
  HUB_CLOSED,
  type SessionContext,
  type SessionRequest,
} from "./_session_context.ts";
import {
  isTooManyKeys,
  isTooManyTopics,
} from "../_internal/too_many_topics.ts";
import { quote } from "../_internal/quote.ts";

/**
 * Publishes what a client sent, after the handler's checks, with its
 * `idempotencyKey` when it has one (the hub checks it: `invalid-message`).
 */
export async function clientPublish(
  request: SessionRequest | undefined,
  topic: string,
  value: Record<string, unknown>,
  context: SessionContext,
  connection: WsConnection,
  from?: string,
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
  if (context.stampFrom && from !== undefined) message.from = from;
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
  const publish = context.source.publish;
  if (publish === undefined) {
    return {
      code: "unauthorized",
      message: `Cannot publish to topic ${
        quote(topic)
      }: the source is read-only`,
    };
  }
  try {
    const { idempotencyKey } = value;
    return idempotencyKey === undefined
      ? await publish.call(context.source, topic, message)
      : await publish.call(context.source, topic, message, {
        idempotencyKey: idempotencyKey as string,
      });
  } catch (error) {
    if (isTooManyTopics(error)) {
      return { code: "too-many-topics", message: (error as Error).message };
    }
    if (isTooManyKeys(error)) {
      return { code: "too-many-keys", message: (error as Error).message };
    }
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
