// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { withKeyFields } from "../_internal/key_fields.ts";
import type { HubPresenceMember } from "../message/message.ts";
import { backoffDelay } from "../_internal/backoff.ts";
import { decodeBase64 } from "../_internal/base64.ts";
import { checkDuration, checkPositiveInteger } from "../_internal/check.ts";
import { sleep } from "../_internal/sleep.ts";
import { truncate } from "../_internal/truncate.ts";
import { POLLING_TOPIC_START } from "../message/polling_envelope.ts";

/** A `fetch`-compatible function, for {@linkcode ConnectPollingOptions.fetch}. */
export type PollingFetch = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/**
 * Options for {@linkcode connectPolling}.
 *
 * @example Short polling every five seconds
 * ```ts
 * import { connectPolling, type ConnectPollingOptions } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const options: ConnectPollingOptions = {
 *   mode: "short",
 *   interval: 5000,
 *   signal: controller.signal,
 * };
 * controller.abort();
 * const events = await Array.fromAsync(connectPolling("http://localhost/poll", options));
 * strictEqual(events.length, 0);
 * ```
 */
export interface ConnectPollingOptions {
  /**
   * `"long"` sends the next request as soon as a response arrives (the
   * server holds it, see {@linkcode longPoll}); `"short"` waits `interval`
   * between requests (see {@linkcode poll}).
   *
   * @default {"long"}
   */
  mode?: "long" | "short";
  /**
   * Milliseconds to wait before the next request after a response that did
   * not say `more`. In `"long"` mode the wait only follows an empty
   * response, which guards against a server that answers at once.
   *
   * @default {1000 in "short" mode, 0 in "long" mode}
   */
  interval?: number;
  /**
   * Start after this message id, for example the last one a previous
   * connection delivered. Without it, the first request is live only (with
   * `history`, after the newest messages), and the server's answer gives
   * the cursor to go on from.
   *
   * @default {undefined}
   */
  cursor?: string;
  /**
   * Without `cursor`: ask for the newest this many retained messages first
   * (`?history=N` on the first request).
   *
   * @default {0}
   */
  history?: number;
  /**
   * Ends the iteration when aborted, also while a request is held.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The `fetch` to use, for instance one that adds authentication or a test
   * double.
   *
   * @default {globalThis.fetch}
   */
  fetch?: PollingFetch;
  /**
   * Extra request headers, sent with every request.
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /**
   * Milliseconds after which a request that has not completed is abandoned
   * and retried. Keep it above the server's long-polling timeout.
   *
   * @default {60000}
   */
  requestTimeout?: number;
  /**
   * Milliseconds before the first retry after a failed request; it doubles
   * with each consecutive failure, up to `maxRetry`, and each wait is drawn
   * at random between half and all of it (jitter).
   *
   * @default {1000}
   */
  retry?: number;
  /**
   * Longest delay in milliseconds between retries.
   *
   * @default {30000}
   */
  maxRetry?: number;
  /**
   * Largest response body accepted, in bytes; a larger one ends the
   * iteration with a `RangeError`.
   *
   * @default {16777216}
   */
  maxResponseBytes?: number;
  /**
   * Ask a serverpush hub handler for the topic's members: requests carry
   * `?presence=1`, and this is called with the members listed in each
   * response (a snapshot taken when the server answered), before its
   * messages are yielded. The topic must have presence on the server, else
   * it answers `400`.
   *
   * @default {undefined}
   */
  onPresence?: (members: HubPresenceMember[]) => void;
}

/**
 * A message delivered by {@linkcode connectPolling}.
 *
 * @example Tell text from bytes
 * ```ts
 * import type { PollingMessage } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const message: PollingMessage = { kind: "message", id: "1", data: new Uint8Array([1]) };
 * strictEqual(typeof message.data === "string" ? "text" : "bytes", "bytes");
 * ```
 */
export interface PollingMessage {
  /** Discriminant: a published message. */
  kind: "message";
  /** The message id. */
  id: string;
  /** Event type, when the publisher gave one. */
  event?: string;
  /** The payload: text, or bytes when the publisher sent bytes. */
  data: string | Uint8Array;
  /**
   * The state key of a keyed topic's message (not carried by SSE, except
   * for a delete).
   */
  key?: string;
  /** Present on a delete: `key` is no longer in the topic's state. */
  deleted?: true;
  /**
   * The sender's client id, when the server stamps messages with it (the
   * handler's `stampFrom`).
   */
  from?: string;
}

/**
 * A gap signal from {@linkcode connectPolling}: messages after the client's
 * cursor can no longer be delivered (see {@linkcode PollingEnvelope}); the
 * messages that follow start at the oldest one the server retains.
 *
 * @example Reload a snapshot on a reset
 * ```ts
 * import type { PollingReset } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * const reset: PollingReset = { kind: "reset", reason: "window-exceeded" };
 * strictEqual(reset.kind, "reset");
 * ```
 */
export interface PollingReset {
  /** Discriminant: a gap signal. */
  kind: "reset";
  /** The server's reason, for example `"unknown-id"` or `"window-exceeded"`. */
  reason: string;
}

/**
 * What {@linkcode connectPolling} yields: a message or a gap signal.
 *
 * @example Handle both kinds
 * ```ts
 * import type { PollingEvent } from "@serverpush/serverpush/polling";
 * import { strictEqual } from "node:assert/strict";
 *
 * function show(event: PollingEvent): string {
 *   return event.kind === "reset" ? `reset: ${event.reason}` : String(event.data);
 * }
 * strictEqual(show({ kind: "message", id: "1", data: "hi" }), "hi");
 * ```
 */
export type PollingEvent = PollingMessage | PollingReset;

interface Envelope {
  cursor: string | null;
  events: PollingEvent[];
  more: boolean;
  /** The members listed, when the response has them. */
  presence?: HubPresenceMember[];
}

/** A failure that retrying cannot fix. */
class Fatal {
  constructor(readonly error: Error) {}
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseEnvelope(text: string): Envelope {
  const value: unknown = JSON.parse(text);
  if (!isObject(value) || !Array.isArray(value.messages)) {
    throw new SyntaxError(
      "Cannot read polling response: it is not an envelope with messages",
    );
  }
  const { cursor } = value;
  if (cursor !== null && typeof cursor !== "string") {
    throw new SyntaxError(
      "Cannot read polling response: cursor is not a string or null",
    );
  }
  const events: PollingEvent[] = [];
  if (value.reset === true) {
    events.push({
      kind: "reset",
      reason: typeof value.reason === "string" ? value.reason : "unknown",
    });
  }
  for (const item of value.messages as unknown[]) {
    if (
      !isObject(item) || typeof item.id !== "string" ||
      typeof item.data !== "string" ||
      (item.event !== undefined && typeof item.event !== "string") ||
      (item.encoding !== undefined && item.encoding !== "base64")
    ) {
      throw new SyntaxError(
        "Cannot read polling response: a message lacks a string id or data",
      );
    }
    const data = item.encoding === "base64"
      ? decodeBase64(item.data)
      : item.data;
    const message: PollingMessage = item.event === undefined
      ? { kind: "message", id: item.id, data }
      : { kind: "message", id: item.id, event: item.event, data };
    if (typeof item.from === "string") message.from = item.from;
    events.push(withKeyFields(message, item));
  }
  const envelope: Envelope = { cursor, events, more: value.more === true };
  if (Array.isArray(value.presence)) {
    envelope.presence = value.presence.map(readMember);
  }
  return envelope;
}

function readMember(item: unknown): HubPresenceMember {
  if (
    !isObject(item) || typeof item.clientId !== "string" ||
    typeof item.since !== "number"
  ) {
    throw new SyntaxError(
      "Cannot read polling response: a presence member lacks a clientId or since",
    );
  }
  return {
    clientId: item.clientId,
    info: item.info ?? null,
    since: item.since,
  };
}

async function readText(
  response: Response,
  maxBytes: number,
): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Fatal(
        new RangeError(
          `Cannot read polling response: body exceeds maxResponseBytes of ${maxBytes}`,
        ),
      );
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

function resolveUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  return new URL(url, base);
}

/**
 * Receives a topic by long or short polling, as an async iterable of
 * messages and gap signals.
 *
 * Each request carries the cursor (`?cursor=`, replacing one in `url`) that
 * the previous response returned, so across requests, reconnects and server
 * restarts no message is lost or repeated, as far as the server's replay
 * window reaches; when it does not reach, a {@linkcode PollingReset} comes
 * first. Network errors, `5xx`, `408`, `425`, `429` and unreadable bodies
 * are retried after an exponential backoff with jitter (`retry` to
 * `maxRetry`); any other non-`2xx` status ends the iteration with an
 * error. Aborting `signal` ends the iteration, also during a held request or
 * a wait. It uses only `fetch`, so it runs in browsers too.
 *
 * @param url The polling endpoint, for example one answered by
 * {@linkcode longPoll} or {@linkcode poll}.
 * @param options Mode, intervals, cursor, `fetch`, backoff and limits.
 * @returns The messages, in order.
 * @throws {RangeError} If an option is out of range (on the first `next()`),
 * or a response exceeds `maxResponseBytes`.
 * @throws {Error} If the server answers with a status that retrying cannot
 * fix, such as `400` or `404`.
 *
 * @example Long polling against a handler
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { connectPolling, hubSource, longPoll } from "@serverpush/serverpush/polling";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const source = hubSource(hub, "news");
 * // Any fetch works; this one calls the handler directly.
 * const fetch = (input: string | URL | Request) => longPoll(new Request(input), source);
 * await hub.publish("news", { data: "first" });
 * await hub.publish("news", { data: "second" });
 * const received = [];
 * const url = "http://localhost/poll";
 * for await (const event of connectPolling(url, { fetch, history: 10 })) {
 *   if (event.kind === "message") received.push(event.data);
 *   if (received.length === 2) break;
 * }
 * deepStrictEqual(received, ["first", "second"]);
 * await hub.close();
 * ```
 */
export async function* connectPolling(
  url: string | URL,
  options: ConnectPollingOptions = {},
): AsyncGenerator<PollingEvent, void, undefined> {
  const {
    mode = "long",
    interval = mode === "short" ? 1000 : 0,
    signal,
    headers,
    requestTimeout = 60_000,
    retry = 1000,
    maxRetry = 30_000,
    maxResponseBytes = 16_777_216,
  } = options;
  if (mode !== "long" && mode !== "short") {
    throw new TypeError(
      `Cannot connect polling: mode is ${
        JSON.stringify(truncate(String(mode), 20))
      }, expected "long" or "short"`,
    );
  }
  checkDuration("connect polling", "interval", interval);
  checkDuration("connect polling", "requestTimeout", requestTimeout);
  checkDuration("connect polling", "retry", retry);
  checkDuration("connect polling", "maxRetry", maxRetry);
  checkPositiveInteger("connect polling", "maxResponseBytes", maxResponseBytes);
  const doFetch: PollingFetch = options.fetch ??
    ((input, init) => fetch(input, init));
  const base = resolveUrl(url);
  let cursor = options.cursor;
  const history = options.history ?? 0;
  if (!Number.isSafeInteger(history) || history < 0) {
    throw new RangeError(
      `Cannot connect polling: history is ${history}, expected a non-negative integer`,
    );
  }
  let failures = 0;

  async function request(): Promise<Envelope> {
    const target = new URL(base);
    if (options.onPresence !== undefined) {
      target.searchParams.set("presence", "1");
    }
    if (cursor === undefined) {
      target.searchParams.delete("cursor");
      if (history > 0) target.searchParams.set("history", String(history));
    } else {
      target.searchParams.set("cursor", cursor);
      target.searchParams.delete("history");
    }
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    const timer = setTimeout(abort, requestTimeout);
    signal?.addEventListener("abort", abort, { once: true });
    try {
      const requestHeaders = new Headers(headers);
      requestHeaders.set("accept", "application/json");
      const response = await doFetch(target, {
        headers: requestHeaders,
        signal: controller.signal,
      });
      if (!response.ok) {
        await response.body?.cancel();
        const error = new Error(
          `Cannot poll ${
            JSON.stringify(truncate(base.href, 200))
          }: the server answered ${response.status}`,
        );
        if (response.status < 500 && !RETRYABLE_STATUSES.has(response.status)) {
          throw new Fatal(error);
        }
        throw error;
      }
      return parseEnvelope(await readText(response, maxResponseBytes));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    }
  }

  while (!signal?.aborted) {
    let envelope: Envelope;
    try {
      envelope = await request();
    } catch (error) {
      if (error instanceof Fatal) throw error.error;
      if (signal?.aborted) return;
      // Retried: the cursor is unchanged, so nothing is lost or repeated.
      await sleep(backoffDelay(failures++, retry, maxRetry), signal);
      continue;
    }
    failures = 0;
    if (envelope.presence !== undefined) {
      options.onPresence?.(envelope.presence);
    }
    for (const event of envelope.events) {
      if (event.kind === "reset") cursor = POLLING_TOPIC_START;
      else cursor = event.id;
      yield event;
    }
    cursor = envelope.cursor ?? undefined;
    if (envelope.more) continue;
    if (mode === "short" || envelope.events.length === 0) {
      await sleep(interval, signal);
    }
  }
}
