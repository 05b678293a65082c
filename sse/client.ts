// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { backoffDelay } from "../_internal/backoff.ts";
import { checkDuration } from "../_internal/check.ts";
import { checkHistoryOption } from "../_internal/history_param.ts";
import { sleep } from "../_internal/sleep.ts";
import { truncate } from "../_internal/truncate.ts";
import { SseDecoderStream } from "./decoder_stream.ts";
import type { SseEvent } from "./parser.ts";

/** A `fetch`-compatible function, for {@linkcode SseClientInit.fetch}. */
export type SseClientFetch = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/**
 * A request body that can be sent again on every reconnection (a stream
 * cannot, so it is not accepted).
 */
export type SseClientBody =
  | string
  | Blob
  | ArrayBuffer
  | Uint8Array<ArrayBuffer>
  | FormData
  | URLSearchParams;

/** Options for {@linkcode SseClient}, beyond what `EventSource` offers. */
export interface SseClientInit {
  /**
   * HTTP method of every request.
   *
   * @default {"GET"}
   */
  method?: string;
  /**
   * Extra request headers. `accept`, `cache-control` and `last-event-id` are
   * set by the client and override these.
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /**
   * Request body, sent again on every reconnection.
   *
   * @default {undefined}
   */
  body?: SseClientBody;
  /**
   * Credentials mode of the requests; takes precedence over
   * `withCredentials`.
   *
   * @default {"same-origin"}
   */
  credentials?: RequestCredentials;
  /**
   * As for `EventSource`: `true` sends credentials cross-origin (credentials
   * mode `"include"`).
   *
   * @default {false}
   */
  withCredentials?: boolean;
  /**
   * The `fetch` to use, for instance one that adds authentication or a test
   * double.
   *
   * @default {globalThis.fetch}
   */
  fetch?: SseClientFetch;
  /**
   * Initial reconnection time in milliseconds; a `retry:` field from the
   * server replaces it.
   *
   * @default {3000}
   */
  retry?: number;
  /**
   * Cap, in milliseconds, of the exponential backoff: after each consecutive
   * failed attempt the delay doubles, up to this (or up to the reconnection
   * time, if that is larger).
   *
   * @default {30000}
   */
  maxRetry?: number;
  /**
   * Floor, in milliseconds, of the delay before reconnecting after an
   * attempt that failed (a network error) or a stream that opened and
   * ended without dispatching an event: such attempts wait at least this
   * (or the reconnection time, if that is larger), doubling with each
   * consecutive one, with jitter, up to `maxRetry`. A server that sends
   * `retry: 0` and ends its streams empty thus cannot make the client
   * reconnect in a tight loop. A stream that dispatched an event is
   * followed by the plain reconnection time.
   *
   * @default {1000}
   */
  minRetry?: number;
  /**
   * Closes the client when aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Largest event, in bytes, the decoder buffers; a larger one fails the
   * connection.
   *
   * @default {16777216}
   */
  maxEventBytes?: number;
  /**
   * Last event id to send with the first request, to resume a stream seen
   * earlier. Like an id set by the stream, it is sent only while it is at
   * most 1024 UTF-8 bytes long.
   *
   * @default {""}
   */
  lastEventId?: string;
  /**
   * While the client has no last event id to send: ask for the newest this
   * many messages first, with `?history=N` added to the request URL (the
   * parameter of serverpush's hub handler; other servers may ignore it),
   * an integer from 0 to 10000. Once the stream has set an id (or with
   * `lastEventId`), every reconnection resumes with `Last-Event-ID`
   * instead, so history is never delivered twice. `url` stays as given.
   *
   * @default {undefined}
   */
  history?: number;
  /**
   * Ask a serverpush hub for the topic's state first (a keyed topic: the
   * latest message of every key, then live ones): adds `state=1` to the
   * URL. Deletes arrive as events of type `serverpush-delete` whose data
   * is the key.
   *
   * @default {false}
   */
  state?: boolean;
  /**
   * Most events an async iterator holds for a consumer that has not asked
   * for them yet; past that the iterator throws a `RangeError`.
   *
   * @default {1000}
   */
  maxQueuedEvents?: number;
  /**
   * Ask a serverpush hub handler for the topic's presence events: the URL
   * gets `?presence=1`, and the client fires `serverpush-join` and
   * `serverpush-leave` events (listen with `addEventListener`, or read
   * their `type` when iterating) whose `data` is the JSON
   * `{"clientId":…,"info":…,"since":…}`; the first after each connection
   * are a join per client present. The topic must have presence on the
   * server, else it answers `400`.
   *
   * @default {false}
   */
  presence?: boolean;
}

/** Events an {@linkcode SseClient} fires, by type, as for `EventSource`. */
export interface SseClientEventMap {
  /** The connection is established. */
  open: Event;
  /** An event with no or an empty type arrived. */
  message: MessageEvent<string>;
  /** The connection failed or is being reestablished. */
  error: Event;
}

/** State of an {@linkcode SseClient}: connecting, open or closed. */
export type SseClientReadyState = 0 | 1 | 2;

const EVENT_STREAM_ESSENCE = "text/event-stream";
/** Longest `Last-Event-ID` sent back, in UTF-8 bytes (as servers accept). */
const MAX_LAST_EVENT_ID_BYTES = 1024;
const encoder = new TextEncoder();

interface Subscriber {
  items: (SseEvent | undefined)[];
  head: number;
  /** Set when the iterator ends: `null` for a clean end, or the error. */
  end: { error: unknown } | null | undefined;
  wake: (() => void) | undefined;
}

function contentTypeEssence(value: string | null): string {
  return (value ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

/** Header values are byte strings: send the id's UTF-8 bytes, one per char. */
function toByteString(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

/**
 * A Server-Sent Events client with the interface of the browser's
 * `EventSource`, built on `fetch` and Web Streams, so it also runs where
 * `EventSource` does not exist and does what it cannot: other methods, a
 * body, custom headers, a custom `fetch`, backoff, and async iteration.
 *
 * It follows the WHATWG HTML connection rules. Each request carries
 * `Accept: text/event-stream`, `Cache-Control: no-store` and, once the stream
 * has set one, `Last-Event-ID`. A response whose status is not 200 (204 is
 * how a server says "stop") or whose content type is not `text/event-stream`
 * fails the connection: `readyState` becomes `CLOSED`, an `error` event is
 * fired and there is no reconnection. A network error or the end of the body
 * reestablishes the connection: `readyState` becomes `CONNECTING`, an `error`
 * event is fired, and the client reconnects after the reconnection time
 * (`retry` in the options, then whatever `retry:` the server sends).
 * Consecutive failed attempts double the delay, with jitter, up to `maxRetry`;
 * a stream that opens and dispatches an event resets it. A failed attempt,
 * or a stream that opened and ended without an event, waits at least
 * `minRetry` (1 s by default) and doubles from there, so a server that
 * answers `retry: 0` with empty streams gets a few requests, not a flood.
 * {@linkcode SseClient.close} stops for good.
 *
 * The last event id goes back in `Last-Event-ID` only while it is at most
 * 1024 UTF-8 bytes long (servers, this library's included, ignore or refuse
 * longer ones): a longer id is still reported as the `lastEventId` of the
 * events that follow it, but reconnections carry no `Last-Event-ID` until
 * the stream sets a shorter one.
 *
 * Events are dispatched as `MessageEvent`s named after their type, with
 * `data`, `lastEventId` and `origin`.
 *
 * @example Receive events from a server
 * ```ts
 * import { SseClient, sseResponse } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   () => sseResponse([{ data: "hello" }, { event: "bye", data: "see you" }].values()),
 * );
 * const client = new SseClient(`http://127.0.0.1:${server.addr.port}/`);
 * const seen: string[] = [];
 * client.onmessage = (event) => seen.push(event.data);
 * const bye = new Promise<MessageEvent<string>>((resolve) =>
 *   client.addEventListener("bye", resolve, { once: true })
 * );
 * deepStrictEqual((await bye).data, "see you");
 * deepStrictEqual(seen, ["hello"]);
 * client.close();
 * await server.shutdown();
 * ```
 *
 * @example Iterate over events, with a POST body
 * ```ts
 * import { SseClient, sseResponse } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   async (request) => {
 *     const words = (await request.text()).split(" ");
 *     return sseResponse(words.map((data) => ({ data })).values());
 *   },
 * );
 * const client = new SseClient(`http://127.0.0.1:${server.addr.port}/`, {
 *   method: "POST",
 *   body: "one two",
 * });
 * const data: string[] = [];
 * for await (const event of client) {
 *   data.push(event.data);
 *   if (data.length === 2) break; // leaving the loop closes the client
 * }
 * deepStrictEqual(data, ["one", "two"]);
 * await server.shutdown();
 * ```
 */
export class SseClient extends EventTarget {
  /** The connection is not yet open, or is being reestablished. */
  static readonly CONNECTING: 0 = 0;
  /** The connection is open and dispatching events. */
  static readonly OPEN: 1 = 1;
  /** The connection is closed and will not reconnect. */
  static readonly CLOSED: 2 = 2;
  /** The connection is not yet open, or is being reestablished. */
  readonly CONNECTING: 0 = 0;
  /** The connection is open and dispatching events. */
  readonly OPEN: 1 = 1;
  /** The connection is closed and will not reconnect. */
  readonly CLOSED: 2 = 2;

  /** The URL of the event stream, resolved. */
  readonly url: string;
  /** Whether requests send credentials cross-origin. */
  readonly withCredentials: boolean;

  #readyState: SseClientReadyState = 0;
  #handlers: {
    open: ((event: Event) => unknown) | null;
    message: ((event: MessageEvent<string>) => unknown) | null;
    error: ((event: Event) => unknown) | null;
  } = { open: null, message: null, error: null };
  #handlerListeners: Partial<
    Record<"open" | "message" | "error", EventListener>
  > = {};

  #init: SseClientInit;
  #headers: Headers;
  #fetch: SseClientFetch;
  #credentials: RequestCredentials;
  #reconnectionTime: number;
  #maxRetry: number;
  #minRetry: number;
  #maxQueuedEvents: number;
  #lastEventId: string;
  #failures = 0;
  #abort = new AbortController();
  #subscribers = new Set<Subscriber>();
  #onSignalAbort = (): void => this.close();

  /**
   * Opens a connection to `url` at once.
   *
   * @param url The event stream's URL; relative URLs resolve against the
   * document's base URL where there is one.
   * @param init Request and reconnection options.
   * @throws {SyntaxError} If `url` cannot be parsed.
   * @throws {RangeError} If `retry`, `maxRetry` or `minRetry` is negative,
   * `maxEventBytes` is not a non-negative integer, `maxQueuedEvents` is
   * not a positive integer, or `history` is not an integer from 0 to
   * 10000.
   * @throws {TypeError} If `headers` is not valid.
   */
  constructor(url: string | URL, init: SseClientInit = {}) {
    super();
    let resolved: URL;
    try {
      const base = (globalThis as { location?: { href: string } }).location
        ?.href;
      resolved = new URL(url, base);
    } catch (cause) {
      throw new SyntaxError(
        `Cannot create SSE client: "${truncate(String(url), 40)}" is not a URL`,
        { cause },
      );
    }
    if (init.state === true) resolved.searchParams.set("state", "1");
    if (init.presence === true) resolved.searchParams.set("presence", "1");
    this.url = resolved.href;
    this.#init = init;
    this.#fetch = init.fetch ?? globalThis.fetch;
    this.#credentials = init.credentials ??
      (init.withCredentials ? "include" : "same-origin");
    this.withCredentials = this.#credentials === "include";
    this.#reconnectionTime = init.retry ?? 3000;
    checkDuration("create SSE client", "retry", this.#reconnectionTime);
    this.#maxRetry = init.maxRetry ?? 30000;
    checkDuration("create SSE client", "maxRetry", this.#maxRetry);
    this.#minRetry = init.minRetry ?? 1000;
    checkDuration("create SSE client", "minRetry", this.#minRetry);
    this.#maxQueuedEvents = init.maxQueuedEvents ?? 1000;
    if (
      !Number.isSafeInteger(this.#maxQueuedEvents) || this.#maxQueuedEvents < 1
    ) {
      throw new RangeError(
        `Cannot create SSE client: maxQueuedEvents ${this.#maxQueuedEvents} is not a positive integer`,
      );
    }
    const maxEventBytes = init.maxEventBytes;
    if (
      maxEventBytes !== undefined &&
      (!(maxEventBytes >= 0) ||
        (maxEventBytes !== Infinity && !Number.isSafeInteger(maxEventBytes)))
    ) {
      throw new RangeError(
        `Cannot create SSE client: maxEventBytes ${maxEventBytes} is not a non-negative integer`,
      );
    }
    checkHistoryOption("create SSE client", init.history);
    this.#headers = new Headers(init.headers);
    this.#lastEventId = init.lastEventId ?? "";
    if (init.signal?.aborted) {
      this.#readyState = 2;
      return;
    }
    init.signal?.addEventListener("abort", this.#onSignalAbort, { once: true });
    this.#run();
  }

  /** `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2). */
  get readyState(): SseClientReadyState {
    return this.#readyState;
  }

  /** Called on each `open` event: the connection is established. */
  get onopen(): ((event: Event) => unknown) | null {
    return this.#handlers.open;
  }
  set onopen(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("open", handler);
  }

  /** Called on each `message` event: an event with no or an empty type. */
  get onmessage(): ((event: MessageEvent<string>) => unknown) | null {
    return this.#handlers.message;
  }
  set onmessage(handler: ((event: MessageEvent<string>) => unknown) | null) {
    this.#setHandler("message", handler);
  }

  /**
   * Called on each `error` event: the connection failed (`readyState` is
   * `CLOSED`) or is being reestablished (`readyState` is `CONNECTING`).
   */
  get onerror(): ((event: Event) => unknown) | null {
    return this.#handlers.error;
  }
  set onerror(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("error", handler);
  }

  /**
   * Adds a listener, as on any `EventTarget`. Events named by the server
   * (`event: tick`) arrive as `MessageEvent`s of that type.
   *
   * @param type Event type: `open`, `message`, `error`, or a named event.
   * @param listener The function or object to call.
   * @param options Listener options, as for `EventTarget`.
   *
   * @example Listen for a named event
   * ```ts
   * import { SseClient } from "@serverpush/serverpush/sse";
   * import { strictEqual } from "node:assert/strict";
   *
   * const client = new SseClient("http://example.test/events", {
   *   fetch: () =>
   *     Promise.resolve(new Response("event: tick\ndata: 1\n\n", {
   *       headers: { "content-type": "text/event-stream" },
   *     })),
   * });
   * const tick = await new Promise<MessageEvent<string>>((resolve) =>
   *   client.addEventListener("tick", resolve, { once: true })
   * );
   * strictEqual(tick.data, "1");
   * client.close();
   * ```
   */
  override addEventListener<K extends keyof SseClientEventMap>(
    type: K,
    listener: (this: SseClient, event: SseClientEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Adds a listener for a named event, which arrives as a `MessageEvent`.
   *
   * @param type Event type, as named by the server's `event:` field.
   * @param listener The function or object to call.
   * @param options Listener options, as for `EventTarget`.
   */
  override addEventListener(
    type: string,
    listener:
      | ((this: SseClient, event: MessageEvent<string>) => unknown)
      | EventListenerObject
      | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
  }

  /**
   * Removes a listener added with {@linkcode SseClient.addEventListener}.
   *
   * @param type Event type the listener was added for.
   * @param listener The listener to remove.
   * @param options Listener options; `capture` must match.
   *
   * @example Stop listening
   * ```ts
   * import { SseClient } from "@serverpush/serverpush/sse";
   * import { strictEqual } from "node:assert/strict";
   *
   * const client = new SseClient("http://example.test/events", {
   *   fetch: () => new Promise(() => {}),
   * });
   * let calls = 0;
   * const listener = () => calls++;
   * client.addEventListener("open", listener);
   * client.removeEventListener("open", listener);
   * client.dispatchEvent(new Event("open"));
   * strictEqual(calls, 0);
   * client.close();
   * ```
   */
  override removeEventListener<K extends keyof SseClientEventMap>(
    type: K,
    listener: (this: SseClient, event: SseClientEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  /**
   * Removes a listener for a named event.
   *
   * @param type Event type the listener was added for.
   * @param listener The listener to remove.
   * @param options Listener options; `capture` must match.
   */
  override removeEventListener(
    type: string,
    listener:
      | ((this: SseClient, event: MessageEvent<string>) => unknown)
      | EventListenerObject
      | null,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options);
  }

  /**
   * Closes the connection for good: aborts the request in flight, cancels a
   * pending reconnection, and ends the async iterators after the events they
   * hold. No `error` event is fired.
   *
   * @example Close a client
   * ```ts
   * import { SseClient } from "@serverpush/serverpush/sse";
   * import { strictEqual } from "node:assert/strict";
   *
   * const client = new SseClient("http://127.0.0.1:9/", {
   *   fetch: () => new Promise(() => {}),
   * });
   * strictEqual(client.readyState, SseClient.CONNECTING);
   * client.close();
   * strictEqual(client.readyState, SseClient.CLOSED);
   * ```
   */
  close(): void {
    if (this.#readyState === 2 && this.#abort.signal.aborted) return;
    this.#readyState = 2;
    this.#stop();
    for (const subscriber of this.#subscribers) this.#end(subscriber, null);
  }

  /**
   * Iterates over the events received from now on, across reconnections.
   *
   * Each iterator holds the events its consumer has not asked for yet in a
   * queue of at most `maxQueuedEvents` (the network is not slowed down for
   * it). A consumer that falls further behind gets the events already queued
   * and then a `RangeError`. The iteration ends when the client closes (or
   * the server answers 204), and throws when the connection fails. Leaving
   * the loop early (`break`, `return`, a throw) closes the client.
   *
   * @returns An async iterator of the received events.
   *
   * @example Take the first event
   * ```ts
   * import { SseClient, sseResponse } from "@serverpush/serverpush/sse";
   * import { strictEqual } from "node:assert/strict";
   *
   * const server = Deno.serve(
   *   { port: 0, hostname: "127.0.0.1", onListen() {} },
   *   () => sseResponse([{ event: "greeting", data: "hi" }].values()),
   * );
   * const client = new SseClient(`http://127.0.0.1:${server.addr.port}/`);
   * for await (const event of client) {
   *   strictEqual(event.type, "greeting");
   *   strictEqual(event.data, "hi");
   *   break;
   * }
   * strictEqual(client.readyState, SseClient.CLOSED);
   * await server.shutdown();
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    const subscriber: Subscriber = {
      items: [],
      head: 0,
      end: undefined,
      wake: undefined,
    };
    if (this.#readyState === 2) subscriber.end = null;
    else this.#subscribers.add(subscriber);
    const next = async (): Promise<IteratorResult<SseEvent>> => {
      while (true) {
        if (subscriber.head < subscriber.items.length) {
          const event = subscriber.items[subscriber.head] as SseEvent;
          subscriber.items[subscriber.head++] = undefined;
          if (subscriber.head === subscriber.items.length) {
            subscriber.items = [];
            subscriber.head = 0;
          }
          return { done: false, value: event };
        }
        if (subscriber.end === null) return { done: true, value: undefined };
        if (subscriber.end !== undefined) {
          const { error } = subscriber.end;
          subscriber.end = null;
          throw error;
        }
        await new Promise<void>((resolve) => subscriber.wake = resolve);
      }
    };
    const leave = (): Promise<IteratorResult<SseEvent>> => {
      this.#subscribers.delete(subscriber);
      subscriber.items = [];
      subscriber.head = 0;
      subscriber.end = null;
      this.close();
      return Promise.resolve({ done: true, value: undefined });
    };
    return { next, return: leave, throw: leave };
  }

  #setHandler(
    type: "open" | "message" | "error",
    handler: ((event: never) => unknown) | null,
  ): void {
    (this.#handlers as Record<string, unknown>)[type] =
      typeof handler === "function" ? handler : null;
    const listener = this.#handlerListeners[type];
    if (typeof handler !== "function") {
      if (listener) this.removeEventListener(type, listener);
      delete this.#handlerListeners[type];
      return;
    }
    if (listener) return;
    const added: EventListener = (event) => {
      const current = this.#handlers[type] as
        | ((this: SseClient, event: Event) => unknown)
        | null;
      current?.call(this, event);
    };
    this.#handlerListeners[type] = added;
    this.addEventListener(type, added);
  }

  /** Whether the client is closed; a method, so TypeScript does not narrow. */
  #closed(): boolean {
    return this.#readyState === 2;
  }

  #stop(): void {
    this.#init.signal?.removeEventListener("abort", this.#onSignalAbort);
    this.#abort.abort();
  }

  #end(subscriber: Subscriber, end: { error: unknown } | null): void {
    this.#subscribers.delete(subscriber);
    if (subscriber.end === undefined) subscriber.end = end;
    const wake = subscriber.wake;
    subscriber.wake = undefined;
    wake?.();
  }

  #deliver(event: SseEvent): void {
    for (const subscriber of this.#subscribers) {
      if (
        subscriber.items.length - subscriber.head >= this.#maxQueuedEvents
      ) {
        this.#end(subscriber, {
          error: new RangeError(
            `Cannot queue SSE event: ${this.#maxQueuedEvents} events wait for the consumer, which reaches maxQueuedEvents of ${this.#maxQueuedEvents}`,
          ),
        });
        continue;
      }
      subscriber.items.push(event);
      const wake = subscriber.wake;
      subscriber.wake = undefined;
      wake?.();
    }
  }

  /** Fails the connection: CLOSED, an `error` event, no reconnection. */
  #fail(error: unknown): void {
    if (this.#readyState === 2) return;
    this.#readyState = 2;
    this.#stop();
    for (const subscriber of this.#subscribers) {
      this.#end(subscriber, error === null ? null : { error });
    }
    this.dispatchEvent(new Event("error"));
  }

  /**
   * The wait before the next attempt: the reconnection time after a stream
   * that dispatched an event ended; after n consecutive failed attempts or
   * empty streams, a random delay between half and all of
   * `base * 2 ** n` (capped at `maxRetry`), where `base` is the larger of
   * the reconnection time and `minRetry`, and never less than `base`
   * (or the cap). The jitter keeps clients that lost the same server from
   * coming back at the same instant.
   */
  #delay(): number {
    if (this.#failures === 0) return this.#reconnectionTime;
    const base = Math.max(this.#reconnectionTime, this.#minRetry);
    const cap = Math.max(this.#maxRetry, this.#reconnectionTime);
    return Math.max(
      Math.min(base, cap),
      backoffDelay(this.#failures, base, cap),
    );
  }

  async #run(): Promise<void> {
    try {
      while (this.#readyState !== 2) {
        const delivered = await this.#connect();
        if (this.#closed()) return;
        this.#failures = delivered ? 0 : this.#failures + 1;
        // Reestablish the connection.
        this.#readyState = 0;
        this.dispatchEvent(new Event("error"));
        if (this.#closed()) return;
        await sleep(this.#delay(), this.#abort.signal);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Makes one request and dispatches its events. Resolves when the client
   * should reconnect: with `true` if the connection opened and dispatched
   * at least one event. Fails the connection itself when it must not
   * reconnect.
   */
  async #connect(): Promise<boolean> {
    const init = this.#init;
    const headers = new Headers(this.#headers);
    headers.set("accept", EVENT_STREAM_ESSENCE);
    headers.set("cache-control", "no-store");
    const id = encoder.encode(this.#lastEventId);
    if (id.length === 0 || id.length > MAX_LAST_EVENT_ID_BYTES) {
      headers.delete("last-event-id");
    } else {
      headers.set("last-event-id", toByteString(id));
    }
    const request: RequestInit = {
      method: init.method ?? "GET",
      headers,
      credentials: this.#credentials,
      cache: "no-store",
      mode: "cors",
      redirect: "follow",
      signal: this.#abort.signal,
    };
    if (init.body !== undefined) request.body = init.body;

    let target = this.url;
    if (init.history !== undefined && id.length === 0) {
      const withHistory = new URL(target);
      withHistory.searchParams.set("history", String(init.history));
      target = withHistory.href;
    }
    const fetchFn = this.#fetch;
    let response: Response;
    try {
      response = await fetchFn(target, request);
    } catch {
      // A network error: reconnect (the loop checks for close()).
      return false;
    }
    if (this.#closed()) {
      await response.body?.cancel();
      return false;
    }
    const essence = contentTypeEssence(response.headers.get("content-type"));
    if (response.status !== 200 || essence !== EVENT_STREAM_ESSENCE) {
      await response.body?.cancel();
      this.#fail(
        response.status === 204 ? null : new TypeError(
          response.status !== 200
            ? `Cannot open SSE stream: status ${response.status}`
            : `Cannot open SSE stream: content type "${
              truncate(essence, 40)
            }" is not text/event-stream`,
        ),
      );
      return false;
    }

    this.#readyState = 1;
    this.dispatchEvent(new Event("open"));
    if (this.#closed() || response.body === null) {
      await response.body?.cancel();
      return false;
    }

    const origin = new URL(response.url || this.url).origin;
    const decoder = new SseDecoderStream({
      lastEventId: this.#lastEventId,
      onRetry: (ms: number): void => {
        this.#reconnectionTime = ms;
      },
      ...(init.maxEventBytes === undefined
        ? {}
        : { maxEventBytes: init.maxEventBytes }),
    });
    const reader = response.body.pipeThrough(decoder).getReader();
    let dispatched = false;
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done || this.#closed()) break;
        dispatched = true;
        this.#lastEventId = value.lastEventId;
        // Iterators first, so a listener that closes the client still lets
        // them have this event.
        this.#deliver(value);
        this.dispatchEvent(
          new MessageEvent(value.type, {
            data: value.data,
            lastEventId: value.lastEventId,
            origin,
          }),
        );
      }
      this.#lastEventId = decoder.lastEventId;
    } catch (error) {
      if (this.#closed()) return dispatched;
      if (error instanceof RangeError) {
        this.#fail(error);
        return dispatched;
      }
      this.#lastEventId = decoder.lastEventId;
    } finally {
      reader.releaseLock();
    }
    return dispatched;
  }
}
