// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: what a hub WebSocket session needs from its handler, the close
// codes and reasons the sessions use, and how they ask a hook.

import type { WsConnection } from "../ws/connection.ts";
import type { ExpiresAt } from "./_expiry.ts";
import { DEFAULT_MAX_UNREAD_BYTES } from "../ws/_socket_connection.ts";
import type {
  MessageFeed,
  MessageOpenOptions,
  MessageSink,
  MessageSource,
} from "../message/source.ts";
import type { HubCounters } from "../hub/counters.ts";

/** Longest `since` a client may send, in UTF-16 code units. */
export const MAX_SINCE_LENGTH = 1024;

/** Decides whether a request may do something with a topic. */
export type SessionAuthorize = (
  request: Request,
  topic: string,
) => boolean | Response | Promise<boolean | Response>;

/** Subscribes a sink to a topic ({@linkcode MessageSource.open}). */
export type OpenSubscriber = (
  topic: string,
  since: string | undefined,
  sink: MessageSink,
  options?: MessageOpenOptions,
) => MessageFeed;

/** What a session needs from its handler. */
export interface SessionContext {
  source: MessageSource;
  open: OpenSubscriber;
  /**
   * Bound on the bytes queued for the client: the session sends nothing
   * more while they are over it (its connection's `maxBufferedBytes`).
   */
  maxBufferedBytes: number;
  /** `undefined` when every subscription is allowed (the default). */
  authorizeSubscribe: SessionAuthorize | undefined;
  authorizePublish: SessionAuthorize;
  allowPublish: boolean;
  maxPublishBytes: number;
  maxSubscriptions: number;
  maxClientErrors: number;
  onError: ((error: unknown) => void) | undefined;
  /** When a request's credentials expire; `undefined`: never. */
  expiresAt: ExpiresAt | undefined;
  /** Where connections and what they send are counted (the hub's). */
  counters: HubCounters;
  /** Open sessions, ended together when the handler's signal aborts. */
  sessions: Set<{ end(): void }>;
  /** Stamp publishes of identified clients with `from`. */
  stampFrom: boolean;
}

/** Close codes and reasons the sessions use. */
export const GOING_AWAY = 1001;
export const UNSUPPORTED_DATA = 1003;
export const POLICY_VIOLATION = 1008;
export const INTERNAL_ERROR = 1011;
export const TOO_SLOW = "Cannot deliver messages: the client reads too slowly";
export const HUB_CLOSED = "Cannot deliver messages: the hub is closed";
export const SHUTTING_DOWN =
  "Cannot deliver messages: the server is shutting down";
export const TOO_MANY_ERRORS = "Cannot continue: too many invalid messages";
export const AUTHORIZE_FAILED = "Cannot authorize request: the check failed";
export const CREDENTIALS_EXPIRED = "Cannot continue: the credentials expired";
export const IDENTIFY_REFUSED =
  "Cannot join topic: the hub refused the identity (see onError)";
/**
 * Most bytes of client messages waiting while one is handled (each counts
 * its length plus a fixed overhead), as a connection's default
 * `maxUnreadBytes`; past it the connection closes with 1008.
 */
export const MAX_PENDING = DEFAULT_MAX_UNREAD_BYTES;
export const TOO_MANY_PENDING =
  `Cannot queue message: unread messages exceed maxUnreadBytes of ${MAX_PENDING}`;
export const ANSWERS_UNREAD =
  "Cannot queue message: the client does not read the answers";

/**
 * The upgrade request as the session's hooks see it: Deno's own can no
 * longer be read once upgraded, so this is a copy of its URL and headers,
 * made when first needed.
 */
export type SessionRequest = () => Request;

/**
 * Asks a hook; a thrown error is reported and counts as a refusal. Without
 * a request (the handler passes none when only default hooks that allow
 * everything can be asked), allows.
 */
export async function allowed(
  authorize: SessionAuthorize,
  request: SessionRequest | undefined,
  topic: string,
  context: SessionContext,
  connection: WsConnection,
): Promise<boolean> {
  if (request === undefined) return true;
  try {
    return (await authorize(request(), topic)) === true;
  } catch (error) {
    context.onError?.(error);
    void connection.close(INTERNAL_ERROR, AUTHORIZE_FAILED);
    return false;
  }
}
