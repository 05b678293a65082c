// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: `connect`'s options, checked once and with their defaults.

import type { ClientWebSocketClass } from "./client_web_socket.ts";
import { checkDuration, checkPositiveInteger } from "../_internal/check.ts";
import { checkHistoryOption } from "../_internal/history_param.ts";
import { truncate } from "../_internal/truncate.ts";
import type { PollingFetch } from "../polling/connect_polling.ts";
import type { ConnectOptions } from "./connect_options.ts";
import type { PushTransport, PushTransportChange } from "./push_transport.ts";

/** {@linkcode ConnectOptions} with defaults, checked. */
export interface ConnectSettings {
  /** The topic URL, `http:` or `https:`, without a fragment. */
  readonly url: URL;
  readonly transports: readonly PushTransport[];
  readonly since: string | undefined;
  /** The newest messages to ask for while there is no id to resume after. */
  readonly history: number | undefined;
  /** Parse each message's data as JSON. */
  readonly json: boolean;
  readonly firstByteTimeout: number;
  readonly retry: number;
  readonly maxRetry: number;
  readonly minRetry: number;
  readonly pollInterval: number;
  readonly requestTimeout: number;
  readonly maxMessageBytes: number;
  readonly maxQueuedEvents: number;
  readonly publishOverWebSocket: boolean;
  readonly presence: boolean;
  readonly onTransportChange:
    | ((change: PushTransportChange) => void)
    | undefined;
  readonly onError: ((error: Error) => void) | undefined;
  readonly headers: HeadersInit | undefined;
  readonly fetch: PollingFetch;
  /** The WebSocket class, or `undefined` where the runtime has none. */
  readonly WebSocket: ClientWebSocketClass | undefined;
}

const DEFAULT_TRANSPORTS: readonly PushTransport[] = Object.freeze([
  "websocket",
  "sse",
  "longpoll",
]);
const ALL_TRANSPORTS: ReadonlySet<string> = new Set([
  "websocket",
  "sse",
  "longpoll",
  "poll",
]);

export function resolveUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let resolved: URL;
  try {
    resolved = new URL(url, base);
  } catch (cause) {
    throw new TypeError(
      `Cannot connect: ${
        JSON.stringify(truncate(String(url), 40))
      } is not a URL`,
      { cause },
    );
  }
  if (resolved.protocol === "ws:") resolved.protocol = "http:";
  else if (resolved.protocol === "wss:") resolved.protocol = "https:";
  if (resolved.protocol !== "http:" && resolved.protocol !== "https:") {
    throw new TypeError(
      `Cannot connect: protocol ${
        JSON.stringify(resolved.protocol)
      } is not http, https, ws or wss`,
    );
  }
  resolved.hash = "";
  return resolved;
}

function checkTransports(
  transports: readonly PushTransport[],
): readonly PushTransport[] {
  if (!Array.isArray(transports) || transports.length === 0) {
    throw new TypeError("Cannot connect: transports is not a non-empty array");
  }
  const seen = new Set<string>();
  for (const transport of transports) {
    if (!ALL_TRANSPORTS.has(transport)) {
      throw new TypeError(
        `Cannot connect: transport ${
          JSON.stringify(truncate(String(transport), 20))
        } is not websocket, sse, longpoll or poll`,
      );
    }
    if (seen.has(transport)) {
      throw new TypeError(
        `Cannot connect: transport "${transport}" is listed twice`,
      );
    }
    seen.add(transport);
  }
  return [...transports];
}

/**
 * Checks `url` and `options` and fills in the defaults.
 *
 * @throws {TypeError} If `url` is not an HTTP or WebSocket URL, `transports`
 * is empty, has an unknown name or a repeat, or `since` is not a string.
 * @throws {RangeError} If a duration, a limit or `history` is out of range.
 */
export function resolveConnectSettings(
  url: string | URL,
  options: ConnectOptions,
): ConnectSettings {
  const resolved = resolveUrl(url);
  const transports = checkTransports(
    options.transports ?? DEFAULT_TRANSPORTS,
  );
  const {
    firstByteTimeout = 5000,
    retry = 1000,
    maxRetry = 30_000,
    minRetry = 1000,
    pollInterval = 1000,
    requestTimeout = 60_000,
    maxMessageBytes = 16_777_216,
    maxQueuedEvents = 1000,
    publishOverWebSocket = false,
    presence = false,
    onTransportChange,
    onError,
    headers,
    since,
    history,
    json = false,
    state,
  } = options;
  checkDuration("connect", "firstByteTimeout", firstByteTimeout);
  checkDuration("connect", "retry", retry);
  checkDuration("connect", "maxRetry", maxRetry);
  checkDuration("connect", "minRetry", minRetry);
  checkDuration("connect", "pollInterval", pollInterval);
  checkDuration("connect", "requestTimeout", requestTimeout);
  checkPositiveInteger("connect", "maxMessageBytes", maxMessageBytes);
  checkPositiveInteger("connect", "maxQueuedEvents", maxQueuedEvents);
  if (since !== undefined && typeof since !== "string") {
    throw new TypeError("Cannot connect: since is not a string");
  }
  checkHistoryOption("connect", history);
  if (state !== undefined && typeof state !== "boolean") {
    throw new TypeError("Cannot connect: state is not a boolean");
  }
  if (state === true) resolved.searchParams.set("state", "1");
  if (typeof presence !== "boolean") {
    throw new TypeError("Cannot connect: presence is not a boolean");
  }
  return {
    url: resolved,
    transports,
    since,
    history,
    json: json === true,
    firstByteTimeout,
    retry,
    maxRetry,
    minRetry,
    pollInterval,
    requestTimeout,
    maxMessageBytes,
    maxQueuedEvents,
    publishOverWebSocket,
    presence,
    onTransportChange,
    onError,
    headers,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    WebSocket: options.WebSocket ?? globalThis.WebSocket,
  };
}
