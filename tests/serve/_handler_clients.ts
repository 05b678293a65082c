// Copyright 2026 the serverpush authors. MIT license.
// Clients for the hub handler tests: a loopback server, an SSE event
// reader, a WebSocket with a message queue, and a raw HTTP request for the
// answers a WebSocket client cannot see (the status of a refused upgrade).

import type { Hub } from "../../hub/mod.ts";
import { SseDecoderStream, type SseEvent } from "../../sse/mod.ts";

/** A hub handler served by `Deno.serve` on a free loopback port. */
export interface HubTestServer extends AsyncDisposable {
  readonly port: number;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly origin: string;
  /** The handler being served. */
  readonly handler: HubHandler;
  /** Ends the handler's streams (its signal), then shuts the server down. */
  shutdown(): Promise<void>;
}

/**
 * Serves `createHubHandler(hub, options)` on 127.0.0.1, on a free port. The handler's
 * signal also aborts on shutdown, so a test that fails with streams still
 * open does not leave the server waiting for them.
 */
export function serveHub(
  hub: Hub,
  options: HubHandlerOptions = {},
): HubTestServer {
  const stop = new AbortController();
  const signal = options.signal === undefined
    ? stop.signal
    : AbortSignal.any([options.signal, stop.signal]);
  const handler = createHubHandler(hub, { ...options, signal });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    handler,
  );
  const port = server.addr.port;
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    closing ??= (() => {
      const done = server.shutdown();
      stop.abort();
      return done;
    })();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    handler,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

import { until, within } from "../_wait.ts";
import {
  createHubHandler,
  type HubHandler,
  type HubHandlerOptions,
} from "../../serve/mod.ts";

export { until, within };

/** Events of an SSE response, read one at a time. */
export interface EventReader {
  /** Reads the next `count` events; rejects if the stream ends first. */
  take(count: number): Promise<SseEvent[]>;
  /** Reads to the end; resolves with the error if the stream fails. */
  rest(): Promise<{ events: SseEvent[]; error?: unknown }>;
  cancel(): Promise<void>;
}

/** Opens `url` as an event stream and reads it as {@linkcode SseEvent}s. */
export async function openEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ response: Response; events: EventReader }> {
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`Cannot open event stream: status ${response.status}`);
  }
  const reader = response.body!.pipeThrough(new SseDecoderStream())
    .getReader();
  return {
    response,
    events: {
      async take(count: number): Promise<SseEvent[]> {
        const out: SseEvent[] = [];
        while (out.length < count) {
          const { done, value } = await within(reader.read(), "an SSE event");
          if (done) {
            throw new Error(`Event stream ended after ${out.length} events`);
          }
          out.push(value);
        }
        return out;
      },
      async rest(): Promise<{ events: SseEvent[]; error?: unknown }> {
        const out: SseEvent[] = [];
        try {
          for (;;) {
            const { done, value } = await within(reader.read(), "the end");
            if (done) return { events: out };
            out.push(value);
          }
        } catch (error) {
          return { events: out, error };
        }
      },
      cancel(): Promise<void> {
        return reader.cancel();
      },
    },
  };
}

/** A browser-style WebSocket whose messages wait in a queue. */
export interface TestSocket {
  readonly socket: WebSocket;
  /** Resolves once open; rejects if the connection fails first. */
  readonly opened: Promise<void>;
  /** The next message, parsed as JSON. */
  next(): Promise<Record<string, unknown>>;
  /** Messages received and not yet taken. */
  readonly pending: number;
  send(value: unknown): void;
  /** Resolves with the close code and reason once closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Closes (1000) and waits until closed. */
  close(): Promise<void>;
}

/** Opens a WebSocket to `url` (an `http:` URL is switched to `ws:`). */
export function openSocket(
  url: string,
  protocols?: string | string[],
  headers?: Record<string, string>,
): TestSocket {
  const target = url.replace(/^http/, "ws");
  const socket = headers === undefined
    ? new WebSocket(target, protocols)
    // Deno's WebSocket takes request headers (browsers do not).
    : new WebSocket(
      target,
      (protocols === undefined
        ? { headers }
        : { protocols: [protocols].flat(), headers }) as unknown as string[],
    );
  const queue: string[] = [];
  const waiters: ((data: string) => void)[] = [];
  const opened = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<{ code: number; reason: string }>();
  socket.addEventListener("open", () => opened.resolve());
  socket.addEventListener("message", (event) => {
    const data = String(event.data);
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter(data);
    else queue.push(data);
  });
  socket.addEventListener("close", (event) => {
    opened.reject(new Error(`WebSocket closed before opening: ${event.code}`));
    closed.resolve({ code: event.code, reason: event.reason });
  });
  opened.promise.catch(() => {});
  return {
    socket,
    opened: opened.promise,
    async next(): Promise<Record<string, unknown>> {
      const data = queue.shift() ??
        await within(
          new Promise<string>((resolve) => waiters.push(resolve)),
          "a WebSocket message",
        );
      return JSON.parse(data);
    },
    get pending(): number {
      return queue.length;
    },
    send(value: unknown): void {
      const data = typeof value === "string" ? value : JSON.stringify(value);
      // Sends made while connecting go out, in order, once open.
      if (socket.readyState === WebSocket.CONNECTING) {
        opened.promise.then(() => socket.send(data));
      } else {
        socket.send(data);
      }
    },
    closed: closed.promise,
    async close(): Promise<void> {
      if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      await within(closed.promise, "the WebSocket to close");
    },
  };
}

/**
 * Sends a WebSocket upgrade request over a raw TCP connection and returns
 * the status code of the answer, then closes the connection.
 */
export async function upgradeStatus(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ];
    await conn.write(new TextEncoder().encode(lines.join("\r\n")));
    const buffer = new Uint8Array(1024);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await within(conn.read(buffer), "the upgrade answer");
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (match === null) {
      throw new Error(`Cannot read status line: ${JSON.stringify(text)}`);
    }
    return Number(match[1]);
  } finally {
    conn.close();
  }
}
