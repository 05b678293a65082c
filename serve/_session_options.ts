// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the WebSocket session options of the hub handler, checked, with
// their defaults, as the context every session of a handler shares.

import type { MessageSource } from "../message/source.ts";
import type { HubHandlerOptions } from "./hub_handler_options.ts";
import type { SessionContext } from "./_session_context.ts";
import { allow, deny } from "./_authorize.ts";
import { checkPositiveInteger } from "../_internal/check.ts";
import { countersOf } from "./_connection_record.ts";

/**
 * Bytes a WebSocket may buffer before the next message waits for it to
 * drain (`maxBufferedBytes` of `acceptWebSocket`).
 */
export const MAX_BUFFERED_BYTES = 1_048_576;

/** The options a WebSocket session reads. */
export type SessionOptions = Pick<
  HubHandlerOptions,
  | "authorizeSubscribe"
  | "authorizePublish"
  | "allowPublish"
  | "maxPublishBytes"
  | "maxSubscriptions"
  | "maxClientErrors"
  | "onError"
  | "expiresAt"
  | "stampFrom"
>;

/** A checked option that must be a positive integer, or its default. */
export function positiveOption(
  what: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  const resolved = value ?? fallback;
  checkPositiveInteger(what, name, resolved);
  return resolved;
}

/**
 * Checks the session options and makes the context of a handler's
 * sessions.
 *
 * @param what The caller, for error messages (`"create hub handler"`).
 * @throws {RangeError} If a limit is not a positive integer.
 */
export function createSessionContext(
  what: string,
  source: MessageSource,
  options: SessionOptions,
): SessionContext {
  return {
    source,
    open: (topic, since, sink, options) =>
      source.open(topic, since, sink, options),
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    authorizeSubscribe: options.authorizeSubscribe,
    authorizePublish: options.authorizePublish ?? deny,
    allowPublish: options.allowPublish ?? false,
    maxPublishBytes: positiveOption(
      what,
      "maxPublishBytes",
      options.maxPublishBytes,
      65_536,
    ),
    maxSubscriptions: positiveOption(
      what,
      "maxSubscriptions",
      options.maxSubscriptions,
      100,
    ),
    maxClientErrors: positiveOption(
      what,
      "maxClientErrors",
      options.maxClientErrors,
      10,
    ),
    onError: options.onError,
    expiresAt: options.expiresAt,
    counters: countersOf(source),
    sessions: new Set(),
    stampFrom: options.stampFrom ?? false,
  };
}

/** `authorizeSubscribe`, or the default that allows everything. */
export function subscribeHook(
  context: SessionContext,
): NonNullable<SessionContext["authorizeSubscribe"]> {
  return context.authorizeSubscribe ?? allow;
}
