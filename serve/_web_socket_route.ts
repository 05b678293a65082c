// Copyright 2026 the serverpush authors. MIT license.
// Adapter, private: the hub handler's WebSocket upgrades, accepted with
// acceptWebSocket (which calls Deno.upgradeWebSocket) and run as a
// one-topic or serverpush.v1 session.

import type { HubUrl } from "./_hub_handler_url.ts";
import type { MessageOpenOptions } from "../message/source.ts";
import {
  type Accepted,
  acceptPrepared,
  prepareAccept,
  type PreparedAccept,
} from "../ws/_accept.ts";
import { SERVERPUSH_V1 } from "../message/serverpush_v1.ts";
import type { HubHandlerOptions } from "./hub_handler_options.ts";
import type { SessionContext, SessionRequest } from "./_session_context.ts";
import { MAX_BUFFERED_BYTES, subscribeHook } from "./_session_options.ts";
import { runMultiplexSession } from "./_multiplex_session.ts";
import { runTopicSession } from "./_topic_session.ts";
import { textResponse } from "./_text_response.ts";
import { sinceOf } from "./_since.ts";
import type { Peer } from "./_connection_record.ts";
import type { PresenceIdentity } from "../message/source.ts";

/** Upgrades a request of the hub handler (see {@linkcode createWebSocketRoute}). */
export type WebSocketRoute = (
  request: Request,
  url: HubUrl,
  topic: string | undefined,
  peer?: Peer,
  start?: MessageOpenOptions,
  presence?: boolean,
  identity?: PresenceIdentity,
) => Response | Promise<Response>;

/** Whether the request offers the WebSocket subprotocol `protocol`. */
export function offersProtocol(request: Request, protocol: string): boolean {
  const header = request.headers.get("sec-websocket-protocol");
  return header !== null &&
    header.split(",").some((token) => token.trim() === protocol);
}

/**
 * What a WebSocket session's hooks get as the request: a copy of its URL
 * and headers, built on first use.
 */
export function snapshotRequest(request: Request): SessionRequest {
  const url = request.url;
  const pairs = [...request.headers];
  let copy: Request | undefined;
  return (): Request => copy ??= new Request(url, { headers: pairs });
}

/**
 * Makes the hub handler's WebSocket route: an upgrade that offers
 * `serverpush.v1` runs a multiplexing session, any other one a session of
 * the path's topic (checked by `authorizeSubscribe` before the upgrade).
 */
export function createWebSocketRoute(
  options: HubHandlerOptions,
  context: SessionContext,
): WebSocketRoute {
  const { origins, heartbeat } = options;
  const authorizeSubscribe = subscribeHook(context);
  const customSubscribe = context.authorizeSubscribe !== undefined;
  const allowPublish = context.allowPublish;
  const expires = context.expiresAt !== undefined;
  const maxMessageBytes = context.maxPublishBytes * 2 + 4096;
  // Checked on the first upgrade, as acceptWebSocket would (a bad option
  // fails each upgrade, not the handler's creation), then kept.
  let prepared: PreparedAccept | undefined;
  const prepare = (): PreparedAccept =>
    prepareAccept({
      protocols: [SERVERPUSH_V1],
      maxMessageBytes,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      ...(origins === undefined ? {} : { origins }),
      ...(heartbeat === undefined ? {} : { heartbeat }),
    });

  /** Runs the session of an accepted upgrade; returns the response. */
  function started(
    { response, connection }: Accepted,
    request: SessionRequest | undefined,
    topic: string | undefined,
    since: string | undefined,
    multiplex: boolean,
    peer: Peer | undefined,
    start: MessageOpenOptions | undefined,
    presence: boolean,
    identity: PresenceIdentity | undefined,
  ): Response {
    if (connection === undefined) return response;
    if (multiplex) {
      runMultiplexSession(connection, request, context, peer, identity);
      return response;
    }
    runTopicSession(
      connection,
      request,
      topic!,
      since,
      context,
      peer,
      start,
      presence,
      identity,
    );
    return response;
  }

  return function upgradeToSession(
    original: Request,
    url: HubUrl,
    topic: string | undefined,
    peer?: Peer,
    start?: MessageOpenOptions,
    presence = false,
    identity?: PresenceIdentity,
  ): Response | Promise<Response> {
    const multiplex = offersProtocol(original, SERVERPUSH_V1);
    if (!multiplex && topic === undefined) {
      return textResponse(404, "Cannot serve topic: the path names no topic");
    }
    // Deno's request can no longer be read once upgraded: keep what the
    // session's hooks may need (a Request copy costs kilobytes each).
    const hooked = expires ||
      (multiplex ? customSubscribe || allowPublish : allowPublish);
    const request = hooked ? snapshotRequest(original) : undefined;
    const since = sinceOf(original, url);
    // The default hook allows everything: asking it would change nothing.
    // Without a hook to wait for, the native engine accepts at once, and
    // so does this (no promise per upgrade).
    const accepted = acceptPrepared(
      original,
      prepared ??= prepare(),
      multiplex || topic === undefined || !customSubscribe
        ? undefined
        : (r: Request) => authorizeSubscribe(r, topic),
    );
    const begin = (result: Accepted): Response =>
      started(
        result,
        request,
        topic,
        since,
        multiplex,
        peer,
        start,
        presence,
        identity,
      );
    return accepted instanceof Promise ? accepted.then(begin) : begin(accepted);
  };
}
