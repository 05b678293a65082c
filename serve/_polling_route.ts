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
import { scheduleExpiry, whenBodyEnds } from "./_expiry.ts";
import { withMembers } from "./_presence_polling.ts";

/** Serves a topic over one of the polling transports. */
export type PollingRoute = (
  request: Request,
  topic: string,
  transport: string,
  expiresAt: number | undefined,
  presence?: boolean,
) => Promise<Response>;

/**
 * Makes the polling route; the handler's `signal`, and the expiry of the
 * credentials, join those of the long-poll and iframe options.
 */
export function createPollingRoute(
  source: MessageSource,
  options: HubHandlerOptions,
): PollingRoute {
  const { signal } = options;

  function joinSignal(
    own: AbortSignal | undefined,
    expiry: AbortSignal | undefined,
  ): AbortSignal | undefined {
    const signals = [own, signal, expiry].filter((one) => one !== undefined);
    return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
  }

  return async function servePolling(
    request: Request,
    topic: string,
    transport: string,
    expiresAt: number | undefined,
    presence = false,
  ): Promise<Response> {
    const topicSource = hubSource(source, topic);
    if (transport === "poll") {
      const response = await poll(request, topicSource, options.poll);
      return presence ? await withMembers(response, source, topic) : response;
    }
    // A held long poll answers, and an iframe stream ends, when the
    // credentials expire.
    const expiry = expiresAt === undefined ? undefined : new AbortController();
    const cancelExpiry = expiry === undefined
      ? undefined
      : scheduleExpiry(expiresAt!, () => expiry.abort());
    if (transport === "longpoll") {
      const joined = joinSignal(options.longPoll?.signal, expiry?.signal);
      try {
        const response = await longPoll(request, topicSource, {
          ...options.longPoll,
          ...(joined === undefined ? {} : { signal: joined }),
        });
        return presence ? await withMembers(response, source, topic) : response;
      } finally {
        cancelExpiry?.();
      }
    }
    const joined = joinSignal(options.iframe?.signal, expiry?.signal);
    const response = iframeStream(request, topicSource, {
      ...options.iframe,
      ...(joined === undefined ? {} : { signal: joined }),
    });
    return cancelExpiry === undefined
      ? response
      : whenBodyEnds(response, cancelExpiry);
  };
}
