// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the hub handler's Server-Sent Events.

import { lastEventId } from "../sse/last_event_id.ts";
import type { MessageSource } from "../message/source.ts";
import {
  createKeepAliveSweeper,
  createSseEncoder,
  type HubSseBody,
  hubSseBody,
} from "./_sse_body.ts";
import { textResponse } from "./_text_response.ts";

/** Serves a topic as an event stream. */
export type SseRoute = (request: Request, topic: string) => Response;

const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
});

/**
 * Makes the SSE route: each stream resumes after `Last-Event-ID` and joins
 * `sessions` (ended together when the handler's signal aborts).
 */
export function createSseRoute(
  source: MessageSource,
  keepAlive: number | false,
  retry: number | undefined,
  sessions: Set<{ end(): void }>,
): SseRoute {
  const sweeper = keepAlive === false || keepAlive === 0
    ? undefined
    : createKeepAliveSweeper(keepAlive);
  const encode = createSseEncoder();
  return function serveSse(request: Request, topic: string): Response {
    const id = lastEventId(request);
    const since = id === undefined || id === "" ? undefined : id;
    const session = {
      end(): void {
        sse.end();
      },
    };
    let sse: HubSseBody;
    try {
      sse = hubSseBody({
        open: (sink) => source.open(topic, since, sink),
        encode,
        retry,
        sweeper,
        onEnd: () => sessions.delete(session),
      });
    } catch (error) {
      // Only a closed hub throws here: the topic was checked.
      return textResponse(503, (error as Error).message);
    }
    sessions.add(session);
    return new Response(sse.body, { headers: SSE_HEADERS });
  };
}
