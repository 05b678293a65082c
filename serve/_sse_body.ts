// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `text/event-stream` body the hub handler sends, fed by a
// subscriber with the encoded-once bytes of each message.

import { encodeSse } from "../sse/encode.ts";
import type { HubMessage } from "../message/message.ts";
import { hubMessageToSse } from "../message/message_to_sse.ts";
import type { MessageFeed, MessageSink } from "../message/source.ts";

const encoder = new TextEncoder();
const KEEP_ALIVE: Uint8Array = encoder.encode(encodeSse({ comment: "" }));

/** One open body, as the keep-alive sweep sees it. */
interface KeepAliveEntry {
  /** Writes a comment if nothing was written since the previous sweep. */
  sweep(): void;
}

/**
 * One timer for the keep-alive comments of every body of a handler, instead
 * of one timer per connection. It runs only while bodies are open.
 */
export interface KeepAliveSweeper {
  add(entry: KeepAliveEntry): void;
  delete(entry: KeepAliveEntry): void;
}

/**
 * Creates a sweeper that visits every open body each `interval`
 * milliseconds: a body that wrote nothing during a whole interval, and is
 * waiting for a message, gets a comment line.
 */
export function createKeepAliveSweeper(interval: number): KeepAliveSweeper {
  const entries = new Set<KeepAliveEntry>();
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    add(entry: KeepAliveEntry): void {
      entries.add(entry);
      timer ??= setInterval(() => {
        for (const each of entries) each.sweep();
      }, interval);
    },
    delete(entry: KeepAliveEntry): void {
      entries.delete(entry);
      if (entries.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
}

/**
 * `hubMessageToSse`, remembering the last message it was asked for: a
 * broadcast asks for the same message once per subscriber, in a row.
 */
export function createSseEncoder(): (message: HubMessage) => Uint8Array {
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

/** Options for {@linkcode hubSseBody}. */
export interface HubSseBodyOptions {
  /** Subscribes the body's sink. */
  open: (sink: MessageSink) => MessageFeed;
  /** Encodes a message (once per message, see `createSseEncoder`). */
  encode: (message: HubMessage) => Uint8Array;
  /** Written first as `retry:`, when given; otherwise an empty comment is. */
  retry: number | undefined;
  /** Sends keep-alive comments, when given. */
  sweeper: KeepAliveSweeper | undefined;
  /** Called once when the body ends, however it ends. */
  onEnd: () => void;
}

/** An SSE body and a way to end it from the server side. */
export interface HubSseBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Closes the body after what it holds and releases the subscription. */
  end(): void;
}

/**
 * A `text/event-stream` body fed straight by a subscriber: each read of
 * the body asks the subscriber for one message, which it enqueues as
 * {@linkcode hubMessageToSse}'s cached `Uint8Array` (the same object for
 * every body, so a broadcast is encoded once). Messages wait in the
 * subscriber's bounded queue, not in the body (high water mark 0). A queue
 * overflow errors the body, which drops the connection; cancelling the body
 * releases the subscriber.
 */
export function hubSseBody(options: HubSseBodyOptions): HubSseBody {
  const { open, encode, retry, sweeper, onEnd } = options;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let finished = false;
  /** A read of the body waits for a message. */
  let waiting = false;
  let wrote = false;

  const entry: KeepAliveEntry = {
    sweep(): void {
      // desiredSize is 0 while a read waits; below that, the socket is not
      // draining and the connection holds data anyway.
      if (!wrote && waiting && (controller.desiredSize ?? -1) >= 0) {
        controller.enqueue(KEEP_ALIVE);
      }
      wrote = false;
    },
  };

  function finish(): boolean {
    if (finished) return false;
    finished = true;
    sweeper?.delete(entry);
    onEnd();
    return true;
  }

  const sink: MessageSink = {
    deliver(message: HubMessage): void {
      waiting = false;
      wrote = true;
      controller.enqueue(encode(message));
    },
    error(error: unknown): void {
      if (finish()) controller.error(error);
    },
    close(): void {
      if (finish()) controller.close();
    },
  };

  const body = new ReadableStream<Uint8Array>({
    start(c): void {
      controller = c;
      // Something goes out at once, so clients (and `connect`'s fallback)
      // can tell an open stream from one a proxy is buffering.
      c.enqueue(
        encoder.encode(
          encodeSse(retry === undefined ? { comment: "" } : { retry }),
        ),
      );
    },
    pull(): void {
      if (finished) return;
      waiting = true;
      subscriber.pull();
    },
    cancel(): void {
      if (finish()) subscriber.cancel();
    },
  }, { highWaterMark: 0 });
  const subscriber = open(sink);
  sweeper?.add(entry);

  return {
    body,
    end(): void {
      if (!finish()) return;
      subscriber.cancel();
      controller.close();
    },
  };
}
