// Copyright 2026 the serverpush authors. MIT license.
// Private: one connection to one hub topic over one transport, as an async
// iterable of events. It ends (or throws) when the connection drops; the
// caller reconnects with the last id. Shared by `listen` and `bench`.

import { encodeBase64 } from "../_internal/base64.ts";
import { connectPolling } from "../polling/connect_polling.ts";
import { SseDecoderStream } from "../sse/decoder_stream.ts";
import { connectWebSocket } from "../ws/connect_web_socket.ts";

/** A transport of a topic connection. */
export type StreamTransport = "ws" | "sse" | "longpoll" | "poll";

/** The transports, in the order `auto` tries them. */
export const STREAM_TRANSPORTS: readonly StreamTransport[] = [
  "ws",
  "sse",
  "longpoll",
  "poll",
];

/** A message or a reset, as the hub sent it. */
export type TopicEvent =
  | {
    kind: "message";
    id: string;
    event?: string;
    data: string;
    /** `"base64"` when `data` is binary data encoded. */
    encoding?: "base64";
  }
  | { kind: "reset"; reason: string };

/** How to connect. */
export interface TopicStreamOptions {
  /** Resume after this id. */
  since: string | undefined;
  headers: Headers;
  signal: AbortSignal;
  /** Called once the connection works (the server accepted it). */
  onOpen(): void;
  /** Called after a polling request failed and the next one worked. */
  onPollingRecovered?(): void;
}

/** The server refused the connection: retrying will not help. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedError";
  }
}

async function refusal(response: Response, url: URL): Promise<never> {
  const text = (await response.text().catch(() => "")).trim().slice(0, 200);
  const message = `the server answered ${response.status}${
    text === "" ? "" : ` ${text}`
  } for ${url.href}`;
  if (
    response.status >= 400 && response.status < 500 && response.status !== 429
  ) {
    throw new RefusedError(message);
  }
  throw new Error(message);
}

async function* sseStream(
  url: URL,
  options: TopicStreamOptions,
): AsyncGenerator<TopicEvent> {
  const headers = new Headers(options.headers);
  headers.set("accept", "text/event-stream");
  if (options.since !== undefined) headers.set("last-event-id", options.since);
  const response = await fetch(url, { headers, signal: options.signal });
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok || !type.startsWith("text/event-stream")) {
    if (response.ok) {
      await response.body?.cancel();
      throw new RefusedError(
        `${url.href} answered ${
          type || "no content type"
        }, not text/event-stream (is it a hub topic?)`,
      );
    }
    await refusal(response, url);
  }
  options.onOpen();
  const events = response.body!.pipeThrough(new SseDecoderStream());
  for await (const event of events) {
    if (event.type === "serverpush-reset") {
      yield { kind: "reset", reason: event.data };
    } else {
      yield {
        kind: "message",
        id: event.lastEventId,
        ...(event.type === "message" ? {} : { event: event.type }),
        data: event.data,
      };
    }
  }
}

function parseFrame(data: string | Uint8Array): TopicEvent {
  const value: unknown = JSON.parse(
    typeof data === "string" ? data : new TextDecoder().decode(data),
  );
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record.reset === "string") {
      return { kind: "reset", reason: record.reset };
    }
    if (typeof record.id === "string" && typeof record.data === "string") {
      return {
        kind: "message",
        id: record.id,
        ...(typeof record.event === "string" ? { event: record.event } : {}),
        data: record.data,
        ...(record.encoding === "base64"
          ? { encoding: "base64" as const }
          : {}),
      };
    }
  }
  throw new Error("the server sent a frame that is not a hub message");
}

async function* wsStream(
  url: URL,
  options: TopicStreamOptions,
): AsyncGenerator<TopicEvent> {
  const target = new URL(url);
  target.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (options.since !== undefined) {
    target.searchParams.set("since", options.since);
  }
  let connection;
  try {
    connection = await connectWebSocket(target, {
      engine: "codec",
      headers: options.headers,
      signal: options.signal,
      heartbeat: 30_000,
      // Each compressed connection costs the server a zlib context; a
      // listener (or 10,000 bench clients) gains little from it.
      deflate: false,
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/\b4\d\d\b/.test(text)) throw new RefusedError(text);
    throw error;
  }
  const close = (): void => void connection.close(1000);
  if (options.signal.aborted) {
    // Stopped while the handshake was under way.
    close();
    return;
  }
  options.onOpen();
  options.signal.addEventListener("abort", close, { once: true });
  try {
    for await (const data of connection) yield parseFrame(data);
    const info = await connection.closed;
    if (info.code === 1008) {
      throw new RefusedError(
        `the server closed the WebSocket with 1008 ${info.reason}`,
      );
    }
  } finally {
    options.signal.removeEventListener("abort", close);
    close();
  }
}

async function* pollingStream(
  url: URL,
  mode: "long" | "short",
  options: TopicStreamOptions,
): AsyncGenerator<TopicEvent> {
  const target = new URL(url);
  target.searchParams.set("transport", mode === "long" ? "longpoll" : "poll");
  let opened = false;
  let failing = false;
  const pollingFetch = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      if (opened) failing = true;
      throw error;
    }
    if (!response.ok) {
      if (!opened) await refusal(response, target);
      failing = true;
      return response;
    }
    if (!opened) {
      opened = true;
      options.onOpen();
    } else if (failing) {
      failing = false;
      options.onPollingRecovered?.();
    }
    return response;
  };
  const events = connectPolling(target, {
    mode,
    ...(mode === "short" ? { interval: 1000 } : {}),
    ...(options.since === undefined ? {} : { cursor: options.since }),
    headers: options.headers,
    signal: options.signal,
    fetch: pollingFetch,
    retry: 500,
    maxRetry: 5000,
  });
  for await (const event of events) {
    if (event.kind === "reset") {
      yield { kind: "reset", reason: event.reason };
    } else if (typeof event.data === "string") {
      yield {
        kind: "message",
        id: event.id,
        ...(event.event === undefined ? {} : { event: event.event }),
        data: event.data,
      };
    } else {
      yield {
        kind: "message",
        id: event.id,
        ...(event.event === undefined ? {} : { event: event.event }),
        data: encodeBase64(event.data),
        encoding: "base64",
      };
    }
  }
}

/**
 * Opens `url` over `transport`: the events until the connection ends.
 * Throws a {@linkcode RefusedError} when the server refuses it (4xx),
 * another error when it fails.
 */
export function openTopicStream(
  url: URL,
  transport: StreamTransport,
  options: TopicStreamOptions,
): AsyncGenerator<TopicEvent> {
  switch (transport) {
    case "ws":
      return wsStream(url, options);
    case "sse":
      return sseStream(url, options);
    case "longpoll":
      return pollingStream(url, "long", options);
    case "poll":
      return pollingStream(url, "short", options);
  }
}
