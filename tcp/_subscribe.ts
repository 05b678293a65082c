// Copyright 2026 the serverpush authors. MIT license.
// A connection's subscription to a topic of the relay's source: opened by
// the `subscribe` command, it writes each message of the topic to the
// connection until the client unsubscribes or goes.

import { encodedOnce } from "../message/encoded_once.ts";
import type { HubMessage } from "../message/message.ts";
import type { MessageSource } from "../message/source.ts";
import { quote } from "../_internal/quote.ts";
import type { Connection } from "./_connection.ts";
import { errorMessage, type RelayFrames } from "./_relay_frames.ts";

/** What a subscription needs from its relay. */
export interface SubscribeContext extends RelayFrames {
  /** Where topics come from; without it, `subscribe` fails. */
  readonly source: MessageSource | undefined;
  /** Topics one connection may subscribe to at once. */
  readonly maxSubscriptions: number;
  /** Keeps `task` until it settles, so that shutting down waits for it. */
  track(task: Promise<void>): void;
}

/**
 * Subscribes `connection` to `topic`, from after `since` if given; a
 * subscription that fails closes the connection after an error message.
 */
export function subscribe(
  connection: Connection,
  topic: string,
  since: string | undefined,
  context: SubscribeContext,
): void {
  if (connection.subscriptions.has(topic)) return;
  const { source } = context;
  const fail = (state: string): void =>
    connection.closeAfter(
      context.notice(`Cannot subscribe to topic ${quote(topic)}: ${state}`),
    );
  if (source === undefined) return fail("the relay has no hub");
  if (connection.subscriptions.size >= context.maxSubscriptions) {
    return fail(
      `the connection has ${connection.subscriptions.size} subscriptions, the maxSubscriptions limit`,
    );
  }
  const controller = new AbortController();
  let stream: ReadableStream<HubMessage>;
  try {
    stream = source.subscribe(
      topic,
      since === undefined
        ? { signal: controller.signal }
        : { since, signal: controller.signal },
    );
  } catch (error) {
    // The source's message already reads "Cannot subscribe to topic ...".
    connection.closeAfter(context.notice(errorMessage(error)));
    return;
  }
  connection.subscriptions.set(topic, controller);
  context.track(pump(connection, topic, stream, controller, context));
}

/** Writes each message of `stream` to `connection`. */
async function pump(
  connection: Connection,
  topic: string,
  stream: ReadableStream<HubMessage>,
  controller: AbortController,
  context: SubscribeContext,
): Promise<void> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      const frame = encodedOnce(value, context.encodeHubMessage);
      if (frame instanceof Error) {
        connection.closeAfter(context.notice(frame.message));
        return;
      }
      if (!connection.enqueue(frame)) return;
    }
  } catch (error) {
    connection.closeAfter(
      context.notice(
        `Cannot push topic ${quote(topic)}: ${errorMessage(error)}`,
      ),
    );
  } finally {
    if (connection.subscriptions.get(topic) === controller) {
      connection.subscriptions.delete(topic);
    }
    controller.abort();
    reader.releaseLock();
  }
}
