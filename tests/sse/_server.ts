// Copyright 2026 the serverpush authors. MIT license.
// Test helpers shared by the SSE adapter tests: a loopback server, a body
// reader that collects text until a condition holds, and a bounded wait.

/** A `Deno.serve` server on a free loopback port, with its base URL. */
export interface TestServer extends AsyncDisposable {
  server: Deno.HttpServer<Deno.NetAddr>;
  url: string;
}

/** Starts `handler` on 127.0.0.1, on a free port. */
export function serve(
  handler: (request: Request) => Response | Promise<Response>,
): TestServer {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen(): void {} },
    handler,
  );
  return {
    server,
    url: `http://127.0.0.1:${server.addr.port}/`,
    async [Symbol.asyncDispose](): Promise<void> {
      await server.shutdown();
    },
  };
}

import { within } from "../_wait.ts";

export { within };

/** Reads text from a body, keeping what it has read. */
export interface TextReader {
  /** All text read so far. */
  readonly text: string;
  /** Reads until `text` contains `needle`; rejects if the body ends first. */
  until(needle: string): Promise<string>;
  /** Reads to the end; resolves with the error if the body fails. */
  rest(): Promise<{ text: string; error?: unknown }>;
  /** Cancels the body. */
  cancel(): Promise<void>;
}

/** Wraps a response body in a {@linkcode TextReader}. */
export function textReader(body: ReadableStream<Uint8Array>): TextReader {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    get text(): string {
      return text;
    },
    async until(needle: string): Promise<string> {
      while (!text.includes(needle)) {
        const { done, value } = await reader.read();
        if (done) {
          throw new Error(
            `Body ended before ${JSON.stringify(needle)}: ${
              JSON.stringify(text)
            }`,
          );
        }
        text += value;
      }
      return text;
    },
    async rest(): Promise<{ text: string; error?: unknown }> {
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) return { text };
          text += value;
        }
      } catch (error) {
        return { text, error };
      }
    },
    cancel(): Promise<void> {
      return reader.cancel();
    },
  };
}
