// Copyright 2026 the serverpush authors. MIT license.
// Test helpers shared by the polling tests: a loopback server, bounded
// waits, and a reader for the forever-iframe page.

import { Hub, type HubOptions } from "../../hub/mod.ts";

/** A hub that `await using` closes. */
export function openHub(options?: HubOptions): Hub & AsyncDisposable {
  const hub = new Hub(options) as Hub & AsyncDisposable;
  hub[Symbol.asyncDispose] = () => hub.close();
  return hub;
}

/** Publishes each item as text, in order, and resolves with the ids. */
export async function publishAll(
  hub: Hub,
  topic: string,
  data: readonly string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const item of data) ids.push(await hub.publish(topic, { data: item }));
  return ids;
}

/** A `Deno.serve` server on loopback, with its base URL. */
export interface TestServer extends AsyncDisposable {
  server: Deno.HttpServer<Deno.NetAddr>;
  port: number;
  url: string;
}

/** Starts `handler` on 127.0.0.1, on `port` or a free one. */
export function serve(
  handler: (request: Request) => Response | Promise<Response>,
  port = 0,
): TestServer {
  const server = Deno.serve(
    { port, hostname: "127.0.0.1", onListen(): void {} },
    handler,
  );
  return {
    server,
    port: server.addr.port,
    url: `http://127.0.0.1:${server.addr.port}/`,
    async [Symbol.asyncDispose](): Promise<void> {
      await server.shutdown();
    },
  };
}

import { until, within } from "../_wait.ts";

export { until, within };

/** Whether `promise` is still pending after the current macrotask queue. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol("pending");
  const winner = await Promise.race([
    promise.then(() => "settled", () => "settled"),
    new Promise((resolve) => setTimeout(() => resolve(pending), 0)),
  ]);
  return winner === pending;
}

/** What the forever-iframe page called: arguments of each callback script. */
export interface IframeCall {
  /** The first argument: a message object, or `null` for a control call. */
  message: unknown;
  /** The second argument of a control call. */
  control?: unknown;
}

const SCRIPT_REGEXP =
  /<script>parent\.([A-Za-z0-9_$.]+)\((.*?)\);<\/script>\n/g;

/**
 * Extracts the callback calls from page text by parsing each script's
 * argument list as JSON (`[args]`), the way a strict reader would.
 */
export function parseCalls(text: string, callback: string): IframeCall[] {
  const calls: IframeCall[] = [];
  for (const match of text.matchAll(SCRIPT_REGEXP)) {
    if (match[1] !== callback) {
      throw new Error(`unexpected callback ${match[1]}`);
    }
    const args = JSON.parse(`[${match[2]}]`) as unknown[];
    calls.push(
      args.length === 1
        ? { message: args[0] }
        : { message: args[0], control: args[1] },
    );
  }
  return calls;
}

/** Reads text from a body, keeping what it has read. */
export interface PageReader {
  /** All text read so far. */
  readonly text: string;
  /** The chunks read so far, as text. */
  readonly chunks: readonly string[];
  /**
   * Reads until `condition(text)` holds; rejects if the body ends first or
   * after a generous 10 seconds.
   */
  until(condition: (text: string) => boolean): Promise<string>;
  /** Reads to the end. */
  rest(): Promise<string>;
  /** Cancels the body. */
  cancel(): Promise<void>;
}

/** Wraps a response body in a {@linkcode PageReader}. */
export function pageReader(body: ReadableStream<Uint8Array>): PageReader {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  let text = "";
  async function next(): Promise<boolean> {
    const { done, value } = await reader.read();
    if (done) return false;
    const chunk = decoder.decode(value, { stream: true });
    chunks.push(chunk);
    text += chunk;
    return true;
  }
  return {
    get text(): string {
      return text;
    },
    get chunks(): readonly string[] {
      return chunks;
    },
    until(condition: (text: string) => boolean): Promise<string> {
      return within(
        (async () => {
          while (!condition(text)) {
            if (!await next()) {
              throw new Error(`Body ended early: ${JSON.stringify(text)}`);
            }
          }
          return text;
        })(),
        "the page text",
      );
    },
    async rest(): Promise<string> {
      while (await next());
      return text;
    },
    cancel(): Promise<void> {
      return reader.cancel();
    },
  };
}
