// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: one attempt of `connect` at the Server-Sent Events transport,
// with `fetch` and the SSE parser (not `EventSource`, which cannot tell a
// buffered response from a quiet one).

import { createSseParser, type SseEvent } from "../sse/parser.ts";
import { truncate } from "../_internal/truncate.ts";
import {
  SERVERPUSH_DELETE_EVENT,
  SERVERPUSH_JOIN_EVENT,
  SERVERPUSH_LEAVE_EVENT,
  SERVERPUSH_RESET_EVENT,
} from "../message/message_to_sse.ts";
import {
  parsePresence,
  presenceEvent,
  presenceUrl,
} from "./_presence_event.ts";
import {
  type AttemptContext,
  type AttemptOutcome,
  historyUrl,
} from "./_transport_attempt.ts";

const encoder = new TextEncoder();

/** Header values are byte strings: send the id's UTF-8 bytes, one per char. */
function toByteString(value: string): string {
  let out = "";
  for (const byte of encoder.encode(value)) out += String.fromCharCode(byte);
  return out;
}

function isEventStream(contentType: string | null): boolean {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase() ===
    "text/event-stream";
}

/** Whether a refusal by status may go away when asked again later. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Runs one SSE request to the topic until it ends.
 *
 * It works when the response is a `200` `text/event-stream` whose first
 * bytes arrive within `firstByteTimeout` of the request. No response, or
 * headers but no bytes (a buffering proxy holds them back), within that
 * time means it failed; so does another status or content type, a network
 * error, or a body that ends before its first byte.
 */
export async function attemptSse(
  context: AttemptContext,
): Promise<AttemptOutcome> {
  const { signal, firstByteTimeout } = context;
  if (signal.aborted) return { kind: "closed" };
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  signal.addEventListener("abort", abort, { once: true });
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    timer = undefined;
    timedOut = true;
    controller.abort();
  }, firstByteTimeout);
  const failed = (reason: string, retryable = true): AttemptOutcome => ({
    kind: "failed",
    reason,
    retryable,
  });
  try {
    const headers = new Headers(context.headers);
    headers.set("accept", "text/event-stream");
    headers.set("cache-control", "no-store");
    if (context.since === undefined) headers.delete("last-event-id");
    else headers.set("last-event-id", toByteString(context.since));
    let response: Response;
    try {
      response = await context.fetch(
        historyUrl(presenceUrl(context), context.history),
        {
          headers,
          cache: "no-store",
          signal: controller.signal,
        },
      );
    } catch (error) {
      if (signal.aborted) return { kind: "closed" };
      return failed(
        timedOut
          ? `Cannot open SSE stream: no response within firstByteTimeout of ${firstByteTimeout} ms`
          : `Cannot open SSE stream: ${(error as Error).message}`,
      );
    }
    const contentType = response.headers.get("content-type");
    if (
      response.status !== 200 || !isEventStream(contentType) ||
      response.body === null
    ) {
      await response.body?.cancel();
      return failed(
        `Cannot open SSE stream: the server answered ${response.status} with ${
          JSON.stringify(truncate(contentType ?? "no content type", 60))
        }`,
        isRetryableStatus(response.status),
      );
    }

    const reader = response.body.getReader();
    const events: SseEvent[] = [];
    let retry: number | undefined;
    const parser = createSseParser({
      onEvent(event: SseEvent): void {
        events.push(event);
      },
      onRetry(ms: number): void {
        retry = ms;
      },
    }, {
      maxEventBytes: context.maxMessageBytes,
      lastEventId: context.since ?? "",
    });
    let first = true;
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (signal.aborted) return { kind: "closed" };
        if (!first) {
          return retry === undefined ? { kind: "dropped" } : {
            kind: "dropped",
            retry,
          };
        }
        return failed(
          timedOut
            ? `Cannot read SSE stream: no bytes within firstByteTimeout of ${firstByteTimeout} ms (a proxy may be buffering it)`
            : `Cannot read SSE stream: ${(error as Error).message}`,
        );
      }
      if (result.done) {
        if (first) {
          return failed(
            "Cannot read SSE stream: it ended before its first byte",
          );
        }
        return retry === undefined ? { kind: "dropped" } : {
          kind: "dropped",
          retry,
        };
      }
      if (first && result.value.byteLength > 0) {
        first = false;
        clearTimeout(timer);
        timer = undefined;
      }
      parser.feed(result.value);
      for (const event of events) {
        await context.room();
        if (signal.aborted) return { kind: "closed" };
        if (event.type === SERVERPUSH_RESET_EVENT) {
          context.deliver({ kind: "reset", reason: event.data });
        } else if (event.type === SERVERPUSH_DELETE_EVENT) {
          context.deliver({
            kind: "message",
            id: event.lastEventId,
            data: "",
            key: event.data,
            deleted: true,
          });
        } else if (
          context.presence &&
          (event.type === SERVERPUSH_JOIN_EVENT ||
            event.type === SERVERPUSH_LEAVE_EVENT)
        ) {
          context.deliver(presenceEvent(
            event.type === SERVERPUSH_JOIN_EVENT ? "join" : "leave",
            parsePresence(event.data, "SSE event"),
          ));
        } else if (event.type === "message") {
          context.deliver({
            kind: "message",
            id: event.lastEventId,
            data: event.data,
          });
        } else {
          context.deliver({
            kind: "message",
            id: event.lastEventId,
            event: event.type,
            data: event.data,
          });
        }
      }
      events.length = 0;
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", abort);
    // Ends the request and its body, however this attempt ended.
    controller.abort();
  }
}
