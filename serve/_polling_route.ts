// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the hub handler's polling transports (`?transport=poll`,
// `longpoll`, `iframe`).

import { iframeStream } from "../polling/iframe_stream.ts";
import { longPoll } from "../polling/long_poll.ts";
import { poll } from "../polling/poll.ts";
import { hubSource } from "../polling/source.ts";
import type { MessageSource } from "../message/source.ts";
import type { HubHandlerOptions } from "./hub_handler_options.ts";

/** Serves a topic over one of the polling transports. */
export type PollingRoute = (
  request: Request,
  topic: string,
  transport: string,
) => Promise<Response>;

/**
 * Makes the polling route; the handler's `signal` joins those of the
 * long-poll and iframe options.
 */
export function createPollingRoute(
  source: MessageSource,
  options: HubHandlerOptions,
): PollingRoute {
  const { signal } = options;

  function joinSignal(own: AbortSignal | undefined): AbortSignal | undefined {
    if (own === undefined) return signal;
    if (signal === undefined) return own;
    return AbortSignal.any([own, signal]);
  }

  return async function servePolling(
    request: Request,
    topic: string,
    transport: string,
  ): Promise<Response> {
    const topicSource = hubSource(source, topic);
    if (transport === "poll") {
      return await poll(request, topicSource, options.poll);
    }
    if (transport === "longpoll") {
      const joined = joinSignal(options.longPoll?.signal);
      return await longPoll(request, topicSource, {
        ...options.longPoll,
        ...(joined === undefined ? {} : { signal: joined }),
      });
    }
    const joined = joinSignal(options.iframe?.signal);
    return iframeStream(request, topicSource, {
      ...options.iframe,
      ...(joined === undefined ? {} : { signal: joined }),
    });
  };
}
