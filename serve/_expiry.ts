// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the expiry of a connection's credentials (`expiresAt`): asked
// over HTTP, and a timer that ends the connection then.

import type { HubHandlerOptions } from "./hub_handler_options.ts";
import { textResponse } from "./_text_response.ts";
import { quote } from "../_internal/quote.ts";

/** The `expiresAt` hook. */
export type ExpiresAt = NonNullable<HubHandlerOptions["expiresAt"]>;

/** Longest delay `setTimeout` takes, in milliseconds. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Whether `time` (an answer of `expiresAt`) says the credentials are still
 * valid now.
 */
export function stillValid(time: number | false | undefined): boolean {
  return time === undefined || (typeof time === "number" && time > Date.now());
}

/**
 * Calls `expire` once `Date.now()` reaches `time` (even past the longest
 * delay of a timer); returns a function that cancels it.
 */
export function scheduleExpiry(time: number, expire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  function arm(): void {
    const delay = time - Date.now();
    if (delay <= 0) {
      timer = undefined;
      expire();
      return;
    }
    timer = setTimeout(arm, Math.min(delay, MAX_DELAY));
  }
  arm();
  return () => clearTimeout(timer);
}

/**
 * Asks `expiresAt` about an authorized HTTP request: the time its
 * credentials expire (`undefined`: never, or no hook), or a `401` when
 * they have expired or are not valid. What the hook throws, rejects.
 */
export async function expiryOf(
  expiresAt: ExpiresAt | undefined,
  request: Request,
  topic: string,
): Promise<number | undefined | Response> {
  if (expiresAt === undefined) return undefined;
  const time = await expiresAt(request);
  if (!stillValid(time)) {
    return textResponse(
      401,
      `Cannot subscribe to topic ${quote(topic)}: the credentials expired`,
    );
  }
  return time === false ? undefined : time;
}

/**
 * A response whose body calls `done` once it ended, errored or was
 * cancelled (and at once when it has none).
 */
export function whenBodyEnds(response: Response, done: () => void): Response {
  const body = response.body;
  if (body === null) {
    done();
    return response;
  }
  const reader = body.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        done();
        throw error;
      }
      if (chunk.done) {
        done();
        controller.close();
      } else {
        controller.enqueue(chunk.value);
      }
    },
    cancel(reason): Promise<void> {
      done();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(stream, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
