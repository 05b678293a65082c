// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the `text/event-stream` body the hub handler sends, built from a
// subscription with the encoded-once bytes of each message.

import { encodeSse } from "../sse/encode.ts";
import type { HubMessage } from "./message.ts";
import { hubMessageToSse } from "./message_to_sse.ts";

const encoder = new TextEncoder();
const KEEP_ALIVE: Uint8Array = encoder.encode(encodeSse({ comment: "" }));

/**
 * A subscription that failed on its own (a queue overflow) rejects the
 * cancel with that failure, which already ended the body: nothing is lost.
 */
function ignoreEndedSubscription(): void {}

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

/** Options for {@linkcode hubSseBody}. */
export interface HubSseBodyOptions {
  /** Written first as `retry:`, when given. */
  retry: number | undefined;
  /** Sends keep-alive comments, when given. */
  sweeper: KeepAliveSweeper | undefined;
  /** Called once when the body ends, however it ends. */
  onEnd: () => void;
}

/** An SSE body and a way to end it from the server side. */
export interface HubSseBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Closes the body after what it holds and cancels the subscription. */
  end(): void;
}

/**
 * Turns a subscription into `text/event-stream` bytes: each message goes out
 * as {@linkcode hubMessageToSse}'s cached `Uint8Array`, the same object for
 * every body, so a broadcast is encoded once. The body pulls one message per
 * read (high water mark 0): messages wait in the subscriber's bounded queue,
 * not here. A subscription that errors (a queue overflow) errors the body,
 * which drops the connection; cancelling the body cancels the subscription.
 */
export function hubSseBody(
  subscription: ReadableStream<HubMessage>,
  options: HubSseBodyOptions,
): HubSseBody {
  const { retry, sweeper, onEnd } = options;
  const reader = subscription.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let finished = false;
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

  const body = new ReadableStream<Uint8Array>({
    start(c): void {
      controller = c;
      if (retry !== undefined) {
        c.enqueue(encoder.encode(encodeSse({ retry })));
      }
      sweeper?.add(entry);
    },
    async pull(c): Promise<void> {
      let result: ReadableStreamReadResult<HubMessage>;
      waiting = true;
      try {
        result = await reader.read();
      } catch (error) {
        if (finish()) c.error(error);
        return;
      } finally {
        waiting = false;
      }
      if (finished) return;
      if (result.done) {
        finish();
        c.close();
        return;
      }
      wrote = true;
      c.enqueue(hubMessageToSse(result.value));
    },
    cancel(reason): Promise<void> | undefined {
      if (!finish()) return;
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });

  return {
    body,
    end(): void {
      if (!finish()) return;
      controller.close();
      // Ending the subscription settles a pending read with done.
      reader.cancel().catch(ignoreEndedSubscription);
    },
  };
}
