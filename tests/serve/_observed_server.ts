// Copyright 2026 the serverpush authors. MIT license.
// A hub served on loopback with its metrics at /metrics and its inspector
// at /inspector, for the metrics and inspector tests.

import type { Hub } from "../../hub/mod.ts";
import {
  createHubHandler,
  createInspector,
  createMetricsHandler,
  type HubHandlerOptions,
  type InspectorOptions,
} from "../../serve/mod.ts";

/** The server of {@linkcode serveObserved}. */
export interface ObservedServer extends AsyncDisposable {
  readonly port: number;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly origin: string;
  /** The text of `/metrics` now. */
  metrics(): Promise<string>;
}

/**
 * Serves the hub at `/hub/<topic>`, `createMetricsHandler(hub)` at
 * `/metrics` and `createInspector(hub, inspector)` at `/inspector`, on a
 * free loopback port; the hub handler and inspector end their streams on
 * dispose.
 */
export function serveObserved(
  hub: Hub,
  options: {
    hub?: HubHandlerOptions;
    inspector?: Partial<InspectorOptions>;
  } = {},
): ObservedServer {
  const stop = new AbortController();
  const handler = createHubHandler(hub, {
    prefix: "/hub",
    ...options.hub,
    signal: stop.signal,
  });
  const metrics = createMetricsHandler(hub);
  const inspector = createInspector(hub, {
    authorize: () => true,
    ...options.inspector,
    signal: stop.signal,
  });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    (request, info) => {
      const { pathname } = new URL(request.url);
      if (pathname === "/metrics") return metrics(request);
      if (pathname === "/inspector") return inspector(request, info);
      return handler(request, info);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  let closing: Promise<void> | undefined;
  return {
    port: server.addr.port,
    origin,
    async metrics(): Promise<string> {
      const response = await fetch(`${origin}/metrics`);
      return await response.text();
    },
    [Symbol.asyncDispose](): Promise<void> {
      closing ??= (() => {
        const done = server.shutdown();
        stop.abort();
        return done;
      })();
      return closing;
    },
  };
}

/** The value of the sample `name` (with its labels, as written) in `text`. */
export function sample(text: string, name: string): number {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  throw new Error(`Cannot find sample ${name} in the metrics`);
}

/** An SSE stream read as raw text, counting every byte. */
export interface RawEvents {
  /** Everything received so far. */
  readonly text: string;
  /** Bytes received so far. */
  readonly bytes: number;
  /** Reads until `count` events (`data:` lines) have arrived. */
  events(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens `url` as an event stream. */
export async function openRaw(url: string): Promise<RawEvents> {
  const response = await fetch(url, {
    headers: { accept: "text/event-stream" },
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  return {
    get text(): string {
      return text;
    },
    get bytes(): number {
      return bytes;
    },
    async events(count: number): Promise<void> {
      while (text.split("\ndata: ").length - 1 < count) {
        const { value, done } = await reader.read();
        if (done) throw new Error("Cannot read events: the stream ended");
        bytes += value.byteLength;
        text += decoder.decode(value, { stream: true });
      }
    },
    async close(): Promise<void> {
      await reader.cancel();
    },
  };
}
