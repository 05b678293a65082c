// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: one subscription of a hub WebSocket session.

import type { HubMessage } from "../message/message.ts";
import type {
  MessageFeed,
  MessageOpenOptions,
  MessageSink,
} from "../message/source.ts";
import type { SessionContext } from "./_session_context.ts";

/**
 * How a subscription ended by itself: the hub closed, the queue overflowed,
 * or the hub refused to make the client a member (`maxPresencePerTopic`).
 */
export type FeedEnd = "done" | "overflow" | { refused: string };

/** Whether `error` is the hub's refusal of one more member of a topic. */
export function isMemberLimit(error: unknown): error is RangeError {
  return error instanceof RangeError &&
    (error as { code?: unknown }).code === "too-many-members";
}

/** What a {@linkcode Feed} needs from its session. */
export interface FeedOwner {
  readonly context: SessionContext;
  /**
   * Sends `text` now and returns `true`, or holds it and returns `false`:
   * the feed is then pulled once it went out.
   */
  transmit(text: string, owner: Feed): boolean;
  /** A subscription ended by itself: its queue overflowed, or the hub closed. */
  feedEnded(feed: Feed, end: FeedEnd): void;
}

/**
 * A subscription whose messages go to a connection through its session
 * (see {@linkcode Session.transmit}), each as `encode(message)`: the next
 * one is asked for once this one went out, so a feed holds at most one
 * message while the client does not read, and the subscriber's bounded
 * queue takes the rest. When the subscription ends by itself,
 * `session.feedEnded` hears how.
 */
export class Feed implements MessageSink {
  readonly subscriber: MessageFeed;
  readonly topic: string;
  /** Set by {@linkcode Feed.cancel}: a held message is dropped. */
  cancelled = false;
  #session: FeedOwner;
  #encode: (message: HubMessage) => string;

  /** Subscribes; throws what `open` throws (a closed hub). */
  constructor(
    session: FeedOwner,
    topic: string,
    since: string | undefined,
    encode: (message: HubMessage) => string,
    start?: MessageOpenOptions,
  ) {
    this.#session = session;
    this.topic = topic;
    this.#encode = encode;
    this.subscriber = session.context.open(topic, since, this, start);
    this.subscriber.pull();
  }

  deliver(message: HubMessage): void {
    // When the message waits in the session, the session pulls once it
    // went out.
    if (this.#session.transmit(this.#encode(message), this)) {
      this.subscriber.pull();
    }
  }

  /** Ends the subscription (the client unsubscribed or left). */
  cancel(): void {
    this.cancelled = true;
    this.subscriber.cancel();
  }

  error(error: unknown): void {
    this.#session.feedEnded(
      this,
      isMemberLimit(error) ? { refused: error.message } : "overflow",
    );
  }

  close(): void {
    this.#session.feedEnded(this, "done");
  }
}
