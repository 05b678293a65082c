// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { resolveConnectSettings } from "./_connect_settings.ts";
import { EventQueue } from "./_event_queue.ts";
import { Publisher } from "./_publisher.ts";
import { runTransports } from "./_transport_loop.ts";
import type { ConnectOptions } from "./connect_options.ts";
import type { PushClient, PushEvent, PushSendOptions } from "./push_client.ts";
import { parseJsonData } from "./_json_data.ts";
import type { PushTransport } from "./push_transport.ts";

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
 * reconnected on the same transport after `retry` milliseconds (or the
 * server's SSE `retry:`), growing with each connection that delivered
 * nothing, from at least `minRetry`, up to `maxRetry`. When the last
 * transport fails, it is retried the same way if the failure may pass (a
 * network error, `5xx`); otherwise the iteration ends with the error.
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
 * With `history: N` and no `since`, the first connection asks for the
 * newest N retained messages first (`?history=N` on every transport); once
 * a message arrived, connections resume after its id instead. With
 * `json: true`, each message's data is parsed as JSON, and a map of event
 * names to data types, `connect<{ quote: Quote; chat: ChatLine }>(url,
 * { json: true })`, types the data by event name (it describes what the
 * server sends; it is not checked at run time).
 *
 * @typeParam Events The data type of each event name.
 * @param url The topic's URL, `http(s):` (or `ws(s):`), relative to the
 * document in a browser.
 * @param options Transports, timeouts, the starting id, history and
 * callbacks, with `json: true`.
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
 * @example Typed events, starting with the newest messages
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { connect } from "@serverpush/serverpush/client";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * interface Quote { symbol: string; price: number }
 * interface ChatLine { from: string; text: string }
 *
 * const hub = new Hub();
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   createHubHandler(hub),
 * );
 * await hub.publish("desk", { event: "quote", data: '{"symbol":"ACME","price":12.5}' });
 * await hub.publish("desk", { event: "chat", data: '{"from":"ann","text":"up!"}' });
 * // json: true parses each message's data; the map types it by event name.
 * const client = connect<{ quote: Quote; chat: ChatLine }>(
 *   `http://127.0.0.1:${server.addr.port}/desk`,
 *   { history: 2, json: true },
 * );
 * const seen: string[] = [];
 * for await (const event of client) {
 *   if (event.kind !== "message") continue;
 *   if (event.event === "quote") seen.push(event.data.price.toFixed(2));
 *   else seen.push(event.data.text);
 *   if (seen.length === 2) break;
 * }
 * deepStrictEqual(seen, ["12.50", "up!"]);
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
export function connect<Events extends object = Record<string, unknown>>(
  url: string | URL,
  options: ConnectOptions & { json: true },
): PushClient<Events>;
/**
 * Connects to a topic; see the first signature of {@linkcode connect}.
 *
 * @param url The topic's URL.
 * @param options Transports, timeouts, the starting id and callbacks.
 * @returns The client, already connecting.
 */
export function connect(
  url: string | URL,
  options?: ConnectOptions,
): PushClient;
/**
 * Connects to a topic whose messages are text, typed by event name: for
 * instance `connect<{ chat: string }>(url)`, whose `"chat"` messages have
 * `data` typed as a string. For data that is not a string or bytes, pass
 * `json: true` (see the first signature).
 *
 * @typeParam Events The data type (a string or bytes) of each event name.
 * @param url The topic's URL.
 * @param options Transports, timeouts, the starting id and callbacks.
 * @returns The client, already connecting.
 */
export function connect<
  Events extends { [K in keyof Events]: string | Uint8Array },
>(
  url: string | URL,
  options?: ConnectOptions & { json?: false },
): PushClient<Events>;
export function connect<Events extends object | undefined>(
  url: string | URL,
  options: ConnectOptions = {},
): PushClient<Events> {
  const settings = resolveConnectSettings(url, options);
  const { signal } = options;
  const stopped = new AbortController();
  const queue = new EventQueue(
    settings.maxQueuedEvents,
    settings.since,
    stopped.signal,
  );
  const publisher = new Publisher(settings, stopped.signal);
  let current: PushTransport = settings.transports[0]!;
  let iterating = false;
  let closing: Promise<void> | undefined;

  const running = runTransports({
    settings,
    queue,
    publisher,
    signal: stopped.signal,
    setTransport(transport): void {
      current = transport;
    },
  }).then(
    () => queue.end(null),
    (error: unknown) => {
      queue.end({ error });
      stopped.abort();
    },
  );

  function close(): Promise<void> {
    if (closing === undefined) {
      queue.clear();
      stopped.abort();
      signal?.removeEventListener("abort", onSignalAbort);
      closing = Promise.all([running, publisher.settled()]).then(() =>
        undefined
      );
    }
    return closing;
  }

  function onSignalAbort(): void {
    void close();
  }
  if (signal?.aborted) void close();
  else signal?.addEventListener("abort", onSignalAbort, { once: true });

  // The typed signatures differ only in the type of `data`: at run time
  // it is parsed JSON with `json`, else a string or bytes.
  const client: PushClient = {
    get transport(): PushTransport {
      return current;
    },
    get lastEventId(): string | undefined {
      return queue.lastEventId;
    },
    get closed(): boolean {
      return closing !== undefined;
    },
    send(
      data: string | Uint8Array,
      sendOptions?: PushSendOptions,
    ): Promise<void> {
      return publisher.send(data, sendOptions);
    },
    close,
    [Symbol.asyncIterator](): AsyncIterator<PushEvent, undefined> {
      if (iterating) {
        throw new TypeError(
          "Cannot iterate push client: it already has an iterator",
        );
      }
      iterating = true;
      return {
        async next(): Promise<IteratorResult<PushEvent, undefined>> {
          const result = await queue.next();
          if (
            !settings.json || result.done === true ||
            result.value.kind !== "message"
          ) {
            return result;
          }
          try {
            return { done: false, value: parseJsonData(result.value) };
          } catch (error) {
            await close();
            throw error;
          }
        },
        async return(): Promise<IteratorResult<PushEvent, undefined>> {
          await close();
          return { done: true, value: undefined };
        },
      };
    },
  };
  return client as unknown as PushClient<Events>;
}
