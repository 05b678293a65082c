// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { attemptPolling } from "./_attempt_polling.ts";
import { attemptSse } from "./_attempt_sse.ts";
import { attemptWebSocket } from "./_attempt_web_socket.ts";
import { checkDuration, checkPositiveInteger } from "../_internal/check.ts";
import {
  type AttemptContext,
  type AttemptOutcome,
  truncate,
} from "./_transport_attempt.ts";
import type {
  PollingEvent,
  PollingFetch,
  PollingMessage,
  PollingReset,
} from "../polling/connect_polling.ts";

/**
 * A transport {@linkcode connect} can use: a WebSocket, Server-Sent Events,
 * long polling or short polling.
 *
 * @example Prefer streams, but never use short polling
 * ```ts
 * import type { PushTransport } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const transports: PushTransport[] = ["websocket", "sse", "longpoll"];
 * strictEqual(transports.includes("poll"), false);
 * ```
 */
export type PushTransport = "websocket" | "sse" | "longpoll" | "poll";

/**
 * What a {@linkcode PushClient} yields: a message (`kind: "message"`, with
 * `id`, `event` when the publisher gave one, and `data`) or a reset notice
 * (`kind: "reset"`: messages were lost, because the server's replay window
 * no longer reaches back to the client's last id).
 *
 * @example Handle both kinds
 * ```ts
 * import type { PushEvent } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * function show(event: PushEvent): string {
 *   return event.kind === "reset" ? `lost some: ${event.reason}` : String(event.data);
 * }
 * strictEqual(show({ kind: "message", id: "1", data: "hi" }), "hi");
 * ```
 */
export type PushEvent = PollingMessage | PollingReset;

/**
 * Passed to {@linkcode ConnectOptions.onTransportChange} when a
 * {@linkcode PushClient} falls back from one transport to the next.
 *
 * @example Log a fallback
 * ```ts
 * import type { PushTransportChange } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const change: PushTransportChange = {
 *   transport: "sse",
 *   previous: "websocket",
 *   reason: "Cannot open WebSocket: the upgrade was refused or the connection failed",
 * };
 * strictEqual(`${change.previous} → ${change.transport}`, "websocket → sse");
 * ```
 */
export interface PushTransportChange {
  /** The transport now in use. */
  transport: PushTransport;
  /** The transport that could not be used. */
  previous: PushTransport;
  /** Why it could not be used. */
  reason: string;
}

/**
 * Options for {@linkcode PushClient.send}.
 *
 * @example Send a typed event
 * ```ts
 * import type { PushSendOptions } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: PushSendOptions = { event: "chat" };
 * strictEqual(options.event, "chat");
 * ```
 */
export interface PushSendOptions {
  /**
   * Event type of the message.
   *
   * @default {undefined}
   */
  event?: string;
}

/**
 * Options for {@linkcode connect}.
 *
 * @example Resume after a known id, over SSE or long polling only
 * ```ts
 * import type { ConnectOptions } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const saved: string | undefined = "42";
 * const options: ConnectOptions = {
 *   transports: ["sse", "longpoll"],
 *   since: saved,
 *   firstByteTimeout: 3000,
 * };
 * strictEqual(options.transports?.length, 2);
 * ```
 */
export interface ConnectOptions {
  /**
   * The transports to try, in order, without repeats. The client falls
   * back to the next one when one cannot be used, and stays there.
   *
   * @default {["websocket", "sse", "longpoll"]}
   */
  transports?: readonly PushTransport[];
  /**
   * Milliseconds within which a stream must show that it works: a
   * WebSocket must open, and then neither close abnormally before its
   * first message nor within this time; an SSE response must deliver its
   * first bytes. Otherwise the client falls back.
   *
   * @default {5000}
   */
  firstByteTimeout?: number;
  /**
   * Start after this message id, for example the last one a previous
   * client delivered (see {@linkcode PushClient.lastEventId}). Without it,
   * a stream starts with the messages published once it is connected, and
   * polling with the oldest message the server retains.
   *
   * @default {undefined}
   */
  since?: string | undefined;
  /**
   * Sends {@linkcode PushClient.send} messages over the WebSocket while
   * one is open, instead of a `POST`. Set it only when the server accepts
   * them (the hub handler's `allowPublish`); its refusals then go to
   * `onError`.
   *
   * @default {false}
   */
  publishOverWebSocket?: boolean;
  /**
   * Called each time the client falls back to another transport.
   *
   * @default {undefined}
   */
  onTransportChange?: (change: PushTransportChange) => void;
  /**
   * Receives the server's refusals of messages sent over the WebSocket
   * (see `publishOverWebSocket`), as an `Error` with the server's text and
   * its code as `cause`. Without it they are dropped.
   *
   * @default {undefined}
   */
  onError?: (error: Error) => void;
  /**
   * Closes the client when aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The `fetch` for SSE, polling and `POST` requests, for instance one
   * that adds authentication.
   *
   * @default {globalThis.fetch}
   */
  fetch?: PollingFetch;
  /**
   * Extra headers for SSE, polling and `POST` requests (a browser's
   * WebSocket cannot send any).
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /**
   * Milliseconds before reconnecting a stream that worked and then ended;
   * the server's SSE `retry:` replaces it. It doubles, with jitter, after
   * each connection that delivered nothing, up to `maxRetry`. The same
   * delays space the retries of the last transport when it fails.
   *
   * @default {1000}
   */
  retry?: number;
  /**
   * Longest delay between reconnections, in milliseconds.
   *
   * @default {30000}
   */
  maxRetry?: number;
  /**
   * Milliseconds between requests of short polling (`"poll"`).
   *
   * @default {1000}
   */
  pollInterval?: number;
  /**
   * Milliseconds after which a polling request is abandoned and sent
   * again. Keep it above the server's long-polling timeout.
   *
   * @default {60000}
   */
  requestTimeout?: number;
  /**
   * Largest SSE event, and largest polling response body, in bytes; a
   * larger one ends the iteration with a `RangeError`.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * Most events held for a consumer that has not asked for them yet. SSE
   * and polling stop reading when it is reached; a WebSocket, which
   * cannot be paused, ends the iteration with a `RangeError`.
   *
   * @default {1000}
   */
  maxQueuedEvents?: number;
}

/**
 * A connection to one topic over the first transport that works, from
 * {@linkcode connect}: iterate it for messages, {@linkcode PushClient.send}
 * to publish, {@linkcode PushClient.close} to stop.
 *
 * @example Read a topic until a "bye" event
 * ```ts ignore
 * import { connect } from "@serverpush/serverpush/client";
 *
 * const client = connect("/hub/chat");
 * for await (const event of client) {
 *   if (event.kind === "message" && event.event === "bye") break;
 * }
 * ```
 */
export interface PushClient extends AsyncIterable<PushEvent, undefined> {
  /** The transport in use, or being tried. */
  readonly transport: PushTransport;
  /** The id of the last message delivered, to resume from later. */
  readonly lastEventId: string | undefined;
  /** Whether {@linkcode PushClient.close} was called (or `signal` aborted). */
  readonly closed: boolean;
  /**
   * Publishes a message to the topic: over the WebSocket when one is open
   * and `publishOverWebSocket` is set, else with a `POST` to the topic URL
   * (`?event=` for the event type; a string goes as `text/plain`, bytes as
   * `application/octet-stream`).
   *
   * @param data The payload.
   * @param options The event type.
   * @returns Resolves when the server accepted the `POST`, or when the
   * message was handed to the WebSocket.
   * @throws {Error} (as a rejection) If the client is closed, the server
   * refuses the `POST` (its status and text are in the message), or the
   * request fails.
   * @throws {TypeError} (as a rejection) If `data` is not a string or a
   * `Uint8Array`.
   */
  send(data: string | Uint8Array, options?: PushSendOptions): Promise<void>;
  /**
   * Stops every connection, timer and pending `send`, and ends the
   * iteration.
   *
   * @returns Resolves once everything has stopped.
   */
  close(): Promise<void>;
  /**
   * The events, in order. Only one iterator is allowed; leaving a
   * `for await` loop closes the client.
   *
   * @returns The iterator.
   * @throws {TypeError} If the client already has an iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<PushEvent, undefined>;
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
/** How many recent ids are remembered to drop a repeated message. */
const REMEMBERED_IDS = 256;

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function resolveUrl(url: string | URL): URL {
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

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Connects to a topic over the first transport that works, falling back
 * from WebSocket to Server-Sent Events to long polling (by default), and
 * returns one async iterable of its messages, with
 * {@linkcode PushClient.send} to publish and {@linkcode PushClient.close}.
 * It speaks the protocol of the hub handler (`createHubHandler` in
 * `@serverpush/serverpush/serve`) at `url`, uses only web APIs (`WebSocket`,
 * `fetch`) and runs in browsers too.
 *
 * Transports are tried in the order of `transports`. One that cannot be
 * used makes the client fall back to the next one for good:
 *
 * - `"websocket"`: the upgrade is refused or fails (the socket closes
 *   before it opens), it does not open within `firstByteTimeout`, or it
 *   closes with a code other than 1000 or 1001 (1006 for a cut connection)
 *   before its first message and within `firstByteTimeout` of opening;
 * - `"sse"`: a network error, a status other than 200, a content type
 *   other than `text/event-stream`, or no bytes within `firstByteTimeout`
 *   of the request: headers that come without bytes are a proxy that
 *   buffers the stream. (The server must therefore send something at
 *   once: the hub handler sends `retry:` first when its `retry` option is
 *   set.)
 * - `"longpoll"` and `"poll"`: a status that retrying cannot fix, such as
 *   `404`; network errors and `5xx` are retried with backoff.
 *
 * A stream that worked and then ends (a restart, an idle proxy) is
 * reconnected on the same transport after `retry` milliseconds, growing
 * with each connection that delivered nothing. When the last transport
 * fails, it is retried the same way if the failure may pass (a network
 * error, `5xx`); otherwise the iteration ends with the error.
 *
 * Every connection resumes after the id of the last message delivered:
 * `?since=` on a WebSocket, `Last-Event-ID` on SSE, `?cursor=` when
 * polling, so switching or reconnecting neither loses nor repeats
 * messages, as far as the server's replay window reaches; when it does not
 * reach, a reset notice comes first. As a safety net, a message whose id
 * was among the last 256 delivered is dropped. Over SSE, bytes published
 * as a `Uint8Array` arrive as their base64 text, and an event of type
 * `"message"` arrives without `event`.
 *
 * @param url The topic's URL, `http(s):` (or `ws(s):`), relative to the
 * document in a browser.
 * @param options Transports, timeouts, the starting id and callbacks.
 * @returns The client, already connecting.
 * @throws {TypeError} If `url` is not an HTTP or WebSocket URL, or
 * `transports` is empty, has an unknown name or a repeat.
 * @throws {RangeError} If a duration or a limit is out of range.
 *
 * @example Receive a topic and publish to it
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { connect } from "@serverpush/serverpush/client";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   createHubHandler(hub, { retry: 1000, authorizePublish: () => true }),
 * );
 * const since = await hub.publish("news", { data: "seen already" });
 * const client = connect(`http://127.0.0.1:${server.addr.port}/news`, { since });
 * await client.send("hello", { event: "greeting" });
 * for await (const event of client) {
 *   if (event.kind !== "message") continue;
 *   deepStrictEqual([client.transport, event.event, event.data], [
 *     "websocket",
 *     "greeting",
 *     "hello",
 *   ]);
 *   break; // leaving the loop closes the client
 * }
 * await hub.close();
 * await server.shutdown();
 * ```
 *
 * @example Fall back to SSE when WebSocket upgrades are refused
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { connect, type PushTransportChange } from "@serverpush/serverpush/client";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, { retry: 1000 });
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   (request) =>
 *     request.headers.get("upgrade") === "websocket"
 *       ? new Response("no WebSockets here", { status: 403 })
 *       : handler(request),
 * );
 * const since = await hub.publish("news", { data: "seen already" });
 * const changes: PushTransportChange[] = [];
 * const client = connect(`http://127.0.0.1:${server.addr.port}/news`, {
 *   since,
 *   onTransportChange: (change) => changes.push(change),
 * });
 * await hub.publish("news", { data: "hello" });
 * const { value } = await client[Symbol.asyncIterator]().next();
 * deepStrictEqual(value?.kind === "message" && value.data, "hello");
 * deepStrictEqual(changes.map((c) => c.transport), ["sse"]);
 * await client.close();
 * await hub.close();
 * await server.shutdown();
 * ```
 */
export function connect(
  url: string | URL,
  options: ConnectOptions = {},
): PushClient {
  const base = resolveUrl(url);
  const transports = checkTransports(
    options.transports ?? DEFAULT_TRANSPORTS,
  );
  const {
    firstByteTimeout = 5000,
    retry = 1000,
    maxRetry = 30_000,
    pollInterval = 1000,
    requestTimeout = 60_000,
    maxMessageBytes = 16_777_216,
    maxQueuedEvents = 1000,
    publishOverWebSocket = false,
    onTransportChange,
    onError,
    headers,
    signal,
  } = options;
  checkDuration("connect", "firstByteTimeout", firstByteTimeout);
  checkDuration("connect", "retry", retry);
  checkDuration("connect", "maxRetry", maxRetry);
  checkDuration("connect", "pollInterval", pollInterval);
  checkDuration("connect", "requestTimeout", requestTimeout);
  checkPositiveInteger("connect", "maxMessageBytes", maxMessageBytes);
  checkPositiveInteger("connect", "maxQueuedEvents", maxQueuedEvents);
  if (options.since !== undefined && typeof options.since !== "string") {
    throw new TypeError("Cannot connect: since is not a string");
  }
  const doFetch: PollingFetch = options.fetch ??
    ((input, init) => fetch(input, init));

  const stopped = new AbortController();
  let current: PushTransport = transports[0]!;
  let position = options.since;
  const recentIds = new Set<string>();
  const recentOrder: string[] = [];
  let queue: (PushEvent | undefined)[] = [];
  let head = 0;
  let ended: { error: unknown } | null | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let iterating = false;
  let deliveredInAttempt = false;
  let sender: ((text: string) => void) | undefined;
  const sends = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  function queued(): number {
    return queue.length - head;
  }

  function wake(): void {
    const consumer = wakeConsumer;
    const producer = wakeProducer;
    wakeConsumer = undefined;
    wakeProducer = undefined;
    consumer?.();
    producer?.();
  }

  function deliver(event: PollingEvent): void {
    if (stopped.signal.aborted) return;
    if (event.kind === "message") {
      if (event.id !== "") {
        if (recentIds.has(event.id)) return;
        recentIds.add(event.id);
        recentOrder.push(event.id);
        if (recentOrder.length > REMEMBERED_IDS) {
          recentIds.delete(recentOrder.shift()!);
        }
        position = event.id;
      }
    } else {
      // After a reset the ids start again (a restarted server may reuse
      // them), so earlier ones say nothing about what follows.
      recentIds.clear();
      recentOrder.length = 0;
    }
    if (queued() >= maxQueuedEvents) {
      throw new RangeError(
        `Cannot queue message: ${queued()} messages wait unread, the most maxQueuedEvents allows`,
      );
    }
    deliveredInAttempt = true;
    queue.push(event);
    wake();
  }

  function room(): Promise<void> {
    if (queued() < maxQueuedEvents || stopped.signal.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      wakeProducer = resolve;
    });
  }

  function attempt(transport: PushTransport): Promise<AttemptOutcome> {
    const context: AttemptContext = {
      url: base,
      since: position,
      signal: stopped.signal,
      firstByteTimeout,
      headers,
      fetch: doFetch,
      maxMessageBytes,
      deliver,
      room,
      setSender(send): void {
        sender = send;
      },
      onSendError(error): void {
        onError?.(error);
      },
    };
    switch (transport) {
      case "websocket":
        return attemptWebSocket(context);
      case "sse":
        return attemptSse(context);
      case "longpoll":
        return attemptPolling(context, "long", {
          interval: 0,
          requestTimeout,
        });
      case "poll":
        return attemptPolling(context, "short", {
          interval: pollInterval,
          requestTimeout,
        });
    }
  }

  async function run(): Promise<void> {
    let index = 0;
    let failures = 0;
    while (!stopped.signal.aborted) {
      const transport = transports[index]!;
      current = transport;
      deliveredInAttempt = false;
      const outcome = await attempt(transport);
      if (outcome.kind === "closed" || stopped.signal.aborted) return;
      let delay = retry;
      if (outcome.kind === "failed") {
        const next = transports[index + 1];
        if (next !== undefined) {
          index++;
          failures = 0;
          current = next;
          onTransportChange?.({
            transport: next,
            previous: transport,
            reason: outcome.reason,
          });
          continue;
        }
        if (!outcome.retryable) throw new Error(outcome.reason);
      } else if (outcome.retry !== undefined) {
        delay = outcome.retry;
      }
      if (deliveredInAttempt) failures = 0;
      const grown = Math.min(
        Math.max(maxRetry, delay),
        delay * 2 ** Math.min(failures, 30),
      );
      failures++;
      await sleep(grown / 2 + Math.random() * grown / 2, stopped.signal);
    }
  }

  const running = run().then(
    () => {
      ended ??= null;
    },
    (error: unknown) => {
      ended ??= { error };
      stopped.abort();
    },
  ).finally(wake);

  function close(): Promise<void> {
    if (closing === undefined) {
      ended ??= null;
      stopped.abort();
      signal?.removeEventListener("abort", onSignalAbort);
      queue = [];
      head = 0;
      wake();
      closing = Promise.all([running, ...sends]).then(() => undefined);
    }
    return closing;
  }

  function onSignalAbort(): void {
    void close();
  }
  if (signal?.aborted) void close();
  else signal?.addEventListener("abort", onSignalAbort, { once: true });

  async function post(
    data: string | Uint8Array,
    event: string | undefined,
  ): Promise<void> {
    const target = new URL(base);
    if (event !== undefined) target.searchParams.set("event", event);
    const requestHeaders = new Headers(headers);
    requestHeaders.set(
      "content-type",
      typeof data === "string"
        ? "text/plain; charset=utf-8"
        : "application/octet-stream",
    );
    const response = await doFetch(target, {
      method: "POST",
      headers: requestHeaders,
      body: typeof data === "string" ? data : new Uint8Array(data),
      signal: stopped.signal,
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `Cannot send message: the server answered ${response.status} ${
          JSON.stringify(truncate(text))
        }`,
      );
    }
  }

  return {
    get transport(): PushTransport {
      return current;
    },
    get lastEventId(): string | undefined {
      return position;
    },
    get closed(): boolean {
      return closing !== undefined;
    },
    send(
      data: string | Uint8Array,
      sendOptions: PushSendOptions = {},
    ): Promise<void> {
      if (typeof data !== "string" && !(data instanceof Uint8Array)) {
        return Promise.reject(
          new TypeError(
            "Cannot send message: data is not a string or a Uint8Array",
          ),
        );
      }
      const { event } = sendOptions;
      if (event !== undefined && typeof event !== "string") {
        return Promise.reject(
          new TypeError("Cannot send message: event is not a string"),
        );
      }
      if (stopped.signal.aborted) {
        return Promise.reject(
          new Error("Cannot send message: the client is closed"),
        );
      }
      if (publishOverWebSocket && sender !== undefined) {
        const frame: Record<string, string> = typeof data === "string"
          ? { data }
          : { data: encodeBase64(data), encoding: "base64" };
        if (event !== undefined) frame.event = event;
        try {
          sender(JSON.stringify(frame));
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(error);
        }
      }
      const sending = post(data, event);
      const settled: Promise<unknown> = sending.then(
        (): boolean => sends.delete(settled),
        (): boolean => sends.delete(settled),
      );
      sends.add(settled);
      return sending;
    },
    close,
    [Symbol.asyncIterator](): AsyncIterator<PushEvent, undefined> {
      if (iterating) {
        throw new TypeError(
          "Cannot iterate push client: it already has an iterator",
        );
      }
      iterating = true;
      const result = { done: true, value: undefined } as const;
      return {
        async next(): Promise<IteratorResult<PushEvent, undefined>> {
          for (;;) {
            if (head < queue.length) {
              const value = queue[head]!;
              queue[head++] = undefined;
              if (head === queue.length) {
                queue = [];
                head = 0;
              } else if (head >= 1024 && head * 2 >= queue.length) {
                queue = queue.slice(head);
                head = 0;
              }
              const producer = wakeProducer;
              wakeProducer = undefined;
              producer?.();
              return { done: false, value };
            }
            if (ended !== undefined) {
              const failure = ended;
              ended = null;
              if (failure !== null) throw failure.error;
              return result;
            }
            await new Promise<void>((resolve) => {
              wakeConsumer = resolve;
            });
          }
        },
        async return(): Promise<IteratorResult<PushEvent, undefined>> {
          await close();
          return result;
        },
      };
    },
  };
}
