// Copyright 2026 the serverpush authors. MIT license.
// A raw TCP client for relay tests: reads with a small buffer (so thousands
// of clients stay cheap) and only when asked to (so a test can leave one
// that never reads).

import {
  NulDelimitedDecoderStream,
  type NulDelimitedMode,
} from "@serverpush/serverpush/tcp";

/** Shared with the other tests: waits until a condition holds. */
export { until } from "../_wait.ts";

const encoder = new TextEncoder();

export interface TestClient {
  readonly conn: Deno.TcpConn;
  /** Next message, or `undefined` once the relay has closed the connection. */
  next(): Promise<string | undefined>;
  /** Writes raw text as is (add the delimiter yourself). */
  write(text: string | Uint8Array): Promise<void>;
  /**
   * Reads until the relay closes the connection; returns the complete
   * messages that arrived (one cut off by the close is not a message).
   */
  rest(): Promise<string[]>;
  close(): Promise<void>;
}

export async function connect(
  port: number,
  mode: NulDelimitedMode = "nul",
): Promise<TestClient> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let closed = false;
  const bytes = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      const buffer = new Uint8Array(4096);
      try {
        const n = await conn.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.subarray(0, n));
      } catch (error) {
        if (closed) return;
        // A reset after the relay closed with unread bytes is an end too.
        if (error instanceof Deno.errors.ConnectionReset) controller.close();
        else controller.error(error);
      }
    },
    cancel(): void {
      closed = true;
      conn.close();
    },
  }, { highWaterMark: 0 });
  const reader = bytes
    .pipeThrough(new NulDelimitedDecoderStream({ mode }))
    .getReader();
  const client: TestClient = {
    conn,
    async next(): Promise<string | undefined> {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    async write(text: string | Uint8Array): Promise<void> {
      const data = typeof text === "string" ? encoder.encode(text) : text;
      let offset = 0;
      while (offset < data.length) {
        offset += await conn.write(data.subarray(offset));
      }
    },
    async rest(): Promise<string[]> {
      const messages: string[] = [];
      try {
        let message: string | undefined;
        while ((message = await client.next()) !== undefined) {
          messages.push(message);
        }
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
      }
      return messages;
    },
    async close(): Promise<void> {
      if (closed) return;
      // Rejects if the stream errored; the socket is closed below anyway.
      await reader.cancel().catch(() => undefined);
      if (!closed) {
        closed = true;
        conn.close();
      }
    },
  };
  return client;
}
