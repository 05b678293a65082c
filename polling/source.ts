// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubHistory, HubState, MessageSource } from "../message/source.ts";
import type { HubMessage } from "../message/message.ts";

/**
 * Where a polling transport reads one topic: its replay window and its live
 * messages. {@linkcode hubSource} makes one from a topic of any
 * {@linkcode MessageSource}, such as a `Hub`;
 * anything else that keeps ordered, replayable messages can implement it.
 *
 * @example A source over a hub topic, written out by hand
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { poll, type PollingSource } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source: PollingSource = {
 *   history: (since, limit, last) =>
 *     hub.history("news", since !== undefined ? { since, limit } : { last, limit }),
 *   subscribe: (since, signal, history) =>
 *     hub.subscribe("news", since !== undefined ? { since, signal } : { history, signal }),
 * };
 * await hub.publish("news", { data: "hello" });
 * const response = await poll(new Request("http://localhost/?history=1"), source);
 * strictEqual((await response.json()).messages[0].data, "hello");
 * await hub.close();
 * ```
 */
export interface PollingSource {
  /**
   * Reads retained messages after `since`, oldest first, as
   * {@linkcode MessageSource.history} does: without `since`, from the oldest retained
   * message; when messages after `since` cannot be returned, `reset` says why
   * and `messages` starts at the oldest retained message.
   *
   * @param since The last id the client has, if any.
   * @param limit The largest number of messages to return.
   * @param last Without `since`: return the newest `last` messages instead
   * of the oldest (a client starting with `?history=N`, or `1` to learn the
   * newest id). A source that ignores it serves such clients from the
   * window's start.
   * @returns The messages and, if some are missing, why.
   */
  history(
    since: string | undefined,
    limit: number,
    last?: number,
  ): Promise<HubHistory>;
  /**
   * Subscribes as {@linkcode MessageSource.subscribe} does: with `since`, the messages
   * after it (or a reset and the whole window), then live messages; without
   * it, live messages only. Aborting `signal` or cancelling the stream must
   * release the subscription.
   *
   * @param since The last id the client has, if any.
   * @param signal Ends the subscription when aborted.
   * @param history Without `since`: the newest this many messages first,
   * then live ones (as `history` of {@linkcode MessageSource.subscribe}).
   * @returns The subscription stream.
   */
  subscribe(
    since: string | undefined,
    signal: AbortSignal,
    history?: number,
  ): ReadableStream<HubMessage>;
  /**
   * Reads the topic's state (a keyed topic), for requests with `?state=1`:
   * they get the state as their first batch, and after a reset. A source
   * without it answers such requests with an error.
   */
  state?(): Promise<HubState>;
}

/**
 * Makes a {@linkcode PollingSource} that serves one topic of a
 * {@linkcode MessageSource} (a `Hub`, for example).
 *
 * @param source The source, for example a `Hub`.
 * @param topic The topic name (checked by the source on every call).
 * @returns The source.
 *
 * @example Serve a topic by short polling
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { hubSource, poll } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const id = await hub.publish("news", { data: "hello" });
 * const request = new Request("http://localhost/?history=1");
 * const response = await poll(request, hubSource(hub, "news"));
 * deepStrictEqual(await response.json(), {
 *   cursor: id,
 *   messages: [{ id, data: "hello" }],
 * });
 * await hub.close();
 * ```
 */
export function hubSource(
  source: MessageSource,
  topic: string,
): PollingSource {
  return {
    history(
      since: string | undefined,
      limit: number,
      last?: number,
    ): Promise<HubHistory> {
      return source.history(
        topic,
        since !== undefined
          ? { since, limit }
          : last === undefined
          ? { limit }
          : { last, limit },
      );
    },
    subscribe(
      since: string | undefined,
      signal: AbortSignal,
      history?: number,
    ): ReadableStream<HubMessage> {
      return source.subscribe(
        topic,
        since !== undefined
          ? { since, signal }
          : history === undefined
          ? { signal }
          : { history, signal },
      );
    },
    ...(source.state === undefined ? {} : {
      state: (): Promise<HubState> => source.state!(topic),
    }),
  };
}
