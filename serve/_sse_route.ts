// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the hub handler's Server-Sent Events: a subscriber's messages,
// as the encoded-once bytes of hubMessageToSse, through sseResponse.

import type { MessageOpenOptions } from "../message/source.ts";
import { encodeSse } from "../sse/encode.ts";
import { lastEventId } from "../sse/last_event_id.ts";
import {
  type SseByteSink,
  type SseByteSource,
  sseResponse,
} from "../sse/response.ts";
import type { HubMessage } from "../message/message.ts";
import { hubMessageToSse } from "../message/message_to_sse.ts";
import type {
  MessageFeed,
  MessageSink,
  MessageSource,
  PresenceIdentity,
} from "../message/source.ts";
import { textResponse } from "./_text_response.ts";
import { IDENTIFY_FAILED, openOptions } from "./_identify.ts";
import { isMemberLimit } from "./_feed.ts";
import { scheduleExpiry } from "./_expiry.ts";
import type { HubCounters } from "../hub/counters.ts";
import {
  ConnectionRecord,
  type Peer,
  queuedIn,
  type RecordOwner,
} from "./_connection_record.ts";

/** Serves a topic as an event stream. */
export type SseRoute = (
  request: Request,
  topic: string,
  expiresAt: number | undefined,
  peer?: Peer,
  start?: MessageOpenOptions,
  presence?: boolean,
  identity?: PresenceIdentity,
) => Response;

/**
 * What a stream opens with when no `retry:` goes first, so clients (and
 * `connect`'s fallback) can tell an open stream from one a proxy buffers.
 */
const OPENER: Uint8Array = new TextEncoder().encode(
  encodeSse({ comment: "" }),
);

/**
 * `hubMessageToSse`, remembering the last message it was asked for: a
 * broadcast asks for the same message once per subscriber, in a row.
 */
function createSseEncoder(): (message: HubMessage) => Uint8Array {
  let last: HubMessage | undefined;
  let bytes: Uint8Array | undefined;
  return (message: HubMessage): Uint8Array => {
    if (message !== last) {
      bytes = hubMessageToSse(message);
      last = message;
    }
    return bytes!;
  };
}

/**
 * The bytes of one SSE stream, fed straight by a subscriber: each pull of
 * the response asks the subscriber for one message, which goes out as
 * {@linkcode hubMessageToSse}'s cached `Uint8Array` (the same object for
 * every stream, so a broadcast is encoded once). Messages wait in the
 * subscriber's bounded queue, not in the response (high water mark 0). A
 * queue overflow errors the response, which drops the connection; a
 * cancelled response releases the subscriber. One object per stream: the
 * response's source, the subscriber's sink and the stream's entry in the
 * handler's open sessions.
 */
class HubSseFeed implements SseByteSource, MessageSink, RecordOwner {
  subscriber: MessageFeed | undefined;
  record: ConnectionRecord | undefined;
  readonly #topic: string;
  #sink!: SseByteSink;
  #finished = false;
  /** Cancels the end at the credentials' expiry, when one is scheduled. */
  cancelExpiry: (() => void) | undefined;
  readonly #encode: (message: HubMessage) => Uint8Array;
  readonly #opener: boolean;
  readonly #sessions: Set<{ end(): void }>;

  constructor(
    topic: string,
    encode: (message: HubMessage) => Uint8Array,
    opener: boolean,
    sessions: Set<{ end(): void }>,
  ) {
    this.#topic = topic;
    this.#encode = encode;
    this.#opener = opener;
    this.#sessions = sessions;
  }

  #finish(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.cancelExpiry?.();
    this.#sessions.delete(this);
    this.record?.close();
    return true;
  }

  topicNames(): string[] {
    return [this.#topic];
  }

  queuedBytes(): number {
    return queuedIn(this.subscriber);
  }

  start(sink: SseByteSink): void {
    this.#sink = sink;
    if (this.#opener) sink.enqueue(OPENER);
  }

  pull(): void {
    if (!this.#finished) this.subscriber?.pull();
  }

  cancel(): void {
    if (this.#finish()) this.subscriber?.cancel();
  }

  deliver(message: HubMessage): void {
    const bytes = this.#encode(message);
    this.#sink.enqueue(bytes);
    this.record?.sent(bytes.byteLength);
  }

  error(error: unknown): void {
    if (error instanceof RangeError && !isMemberLimit(error)) {
      this.record?.cut("slow", `reads topic "${this.#topic}" too slowly`);
    }
    if (this.#finish()) this.#sink.error(error);
  }

  close(): void {
    if (this.#finish()) this.#sink.close();
  }

  /** Closes the stream after what it holds and releases the subscription. */
  end(): void {
    if (!this.#finish()) return;
    this.subscriber?.cancel();
    this.#sink.close();
  }
}

/**
 * Makes the SSE route: each stream resumes after `Last-Event-ID`, opens
 * with `retry:` (when given) or an empty comment, gets keep-alive comments
 * from `sseResponse` (one shared timer per period), and joins `sessions`
 * (ended together when the handler's signal aborts); a stream ends when
 * its credentials expire (`expiresAt`).
 */
export function createSseRoute(
  source: MessageSource,
  keepAlive: number | false,
  retry: number | undefined,
  sessions: Set<{ end(): void }>,
  counters: HubCounters,
  onError?: (error: unknown) => void,
): SseRoute {
  const encode = createSseEncoder();
  const options = retry === undefined ? { keepAlive } : { keepAlive, retry };
  return function serveSse(
    request: Request,
    topic: string,
    expiresAt: number | undefined,
    peer?: Peer,
    start?: MessageOpenOptions,
    presence = false,
    identity?: PresenceIdentity,
  ): Response {
    const id = lastEventId(request);
    const since = id === undefined || id === "" ? undefined : id;
    const feed = new HubSseFeed(topic, encode, retry === undefined, sessions);
    const response = sseResponse(feed, options);
    try {
      feed.subscriber = source.open(
        topic,
        since,
        feed,
        openOptions(start, presence, identity),
      );
    } catch (error) {
      void response.body!.cancel();
      // A closed hub (503), a state subscription its backend cannot serve
      // (400), or an identity whose info the hub refuses (500; the topic and
      // the presence option were checked).
      if (error instanceof TypeError && start?.state === true) {
        return textResponse(400, error.message);
      }
      if (error instanceof RangeError || error instanceof TypeError) {
        onError?.(error);
        return textResponse(500, IDENTIFY_FAILED);
      }
      return textResponse(503, (error as Error).message);
    }
    feed.record = new ConnectionRecord(counters, "sse", peer, feed);
    sessions.add(feed);
    if (expiresAt !== undefined) {
      feed.cancelExpiry = scheduleExpiry(expiresAt, () => feed.end());
    }
    return response;
  };
}
