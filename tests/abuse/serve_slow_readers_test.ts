// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console -- prints the memory measured
// `serve` on Deno, Node and Bun with a hub handler: SSE and one-topic
// WebSocket clients that never read, while 60 KB messages are published.
// The server's memory stays bounded (the runtime stops pulling a response
// body, or the WebSocket's send() waits, once the client's buffers are
// full; the hub's queue per subscriber is bounded and cuts the reader
// off), and every slow client's connection is ended by the server.

import { ok } from "node:assert/strict";
import { MiB, mib } from "./_harness.ts";
import { rawUpgrade } from "../_raw_socket.ts";
import {
  bunUnavailable,
  type Runtime,
  startRuntime,
} from "../serve/_runtimes.ts";

const SLOW_SSE = 4;
const SLOW_WS = 4;
const MESSAGES = 600;
const BYTES = 60_000;
/** Published per slow client: 36 MB, 288 MB for the eight. */
const PUBLISHED = MESSAGES * BYTES;
/**
 * Growth of the server's RSS over its baseline, at its peak. Measured
 * here: Deno +98 to +102 MiB, Node +88 to +91 MiB, Bun 1.4.5 +64 MiB;
 * Bun 1.3.5, whose Bun.serve ignored backpressure on response bodies
 * (oven-sh/bun#32469), grew by +257 MiB and failed.
 */
const PEAK_BOUND = 160 * MiB;
/** Time for the server to end a slow client's connection once drained. */
const END_WITHIN = 30_000;

const bunMissing = await bunUnavailable();

/** Reads `conn` to its end; resolves with the bytes read and how it ended. */
async function drainAll(
  conn: Deno.Conn,
): Promise<{ bytes: Uint8Array[]; ended: boolean }> {
  const bytes: Uint8Array[] = [];
  const buffer = new Uint8Array(65_536);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, END_WITHIN);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return { bytes, ended: true };
      bytes.push(buffer.slice(0, n));
    }
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) {
      return { bytes, ended: true };
    }
    // Closed by the timer: the server did not end it.
    if (timedOut) return { bytes, ended: false };
    throw error;
  } finally {
    clearTimeout(timer);
    if (!timedOut) conn.close();
  }
}

/** The close code of the last close frame in server-to-client `bytes`. */
function lastCloseCode(chunks: Uint8Array[]): number | undefined {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  let code: number | undefined;
  let i = 0;
  while (i + 2 <= bytes.length) {
    const opcode = bytes[i]! & 0x0f;
    let length = bytes[i + 1]! & 0x7f;
    let start = i + 2;
    if (length === 126) {
      length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
      start = i + 4;
    } else if (length === 127) {
      length = Number(
        new DataView(bytes.buffer, i + 2, 8).getBigUint64(0),
      );
      start = i + 10;
    }
    if (start + length > bytes.length) break;
    if (opcode === 8 && length >= 2) {
      code = (bytes[start]! << 8) | bytes[start + 1]!;
    }
    i = start + length;
  }
  return code;
}

for (const runtime of ["deno", "node", "bun"] as Runtime[]) {
  Deno.test({
    name:
      `serve on ${runtime}: SSE and WebSocket clients that never read are cut off and the server's memory stays bounded`,
    ignore: runtime === "bun" && bunMissing !== undefined,
    async fn() {
      await using server = await startRuntime(runtime);
      const port = server.port;
      const base = `http://127.0.0.1:${port}`;
      const baseline = server.rss();

      const sse: Deno.Conn[] = [];
      for (let i = 0; i < SLOW_SSE; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(
          new TextEncoder().encode(
            `GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\naccept: text/event-stream\r\n\r\n`,
          ),
        );
        sse.push(conn);
      }
      const ws: Deno.Conn[] = [];
      for (let i = 0; i < SLOW_WS; i++) {
        const { conn, head } = await rawUpgrade(port, "/slow");
        ok(head.startsWith("HTTP/1.1 101"), head);
        ws.push(conn);
      }
      // Let the SSE requests reach the hub before publishing.
      await new Promise((resolve) => setTimeout(resolve, 500));

      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, server.rss());
      }, 50);
      const body = "x".repeat(BYTES);
      try {
        for (let i = 0; i < MESSAGES; i++) {
          const response = await fetch(`${base}/slow`, {
            method: "POST",
            body,
          });
          ok(response.status === 201, `publish ${i}: ${response.status}`);
          await response.body?.cancel();
        }
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, server.rss());
      console.log(
        `serve on ${runtime}: ${SLOW_SSE + SLOW_WS} clients that never read, ${
          mib(PUBLISHED)
        } published to each: RSS ${mib(baseline)} before, peak +${
          mib(peak - baseline)
        }`,
      );
      ok(
        peak - baseline < PEAK_BOUND,
        `RSS grew by ${mib(peak - baseline)}, over ${mib(PEAK_BOUND)}`,
      );

      const ends = await Promise.all([...sse, ...ws].map(drainAll));
      for (const [i, end] of ends.entries()) {
        const kind = i < SLOW_SSE ? "SSE" : "WebSocket";
        const received = end.bytes.reduce((n, c) => n + c.length, 0);
        if (kind === "WebSocket" && runtime === "deno") {
          // Deno's native server offers no way to drop one WebSocket
          // that is closing (see acceptWebSocket's closeTimeout): its
          // close frame waits behind what the client does not read, and
          // the TCP connection stays until the client goes away.
          console.log(
            `serve on deno: WebSocket client ${i} ${
              end.ended ? "was" : "was not"
            } ended by the server (not asserted: Deno cannot drop it)`,
          );
          continue;
        }
        ok(
          end.ended,
          `${kind} client ${i}: not ended by the server within ${END_WITHIN} ms`,
        );
        ok(
          received < PUBLISHED,
          `${kind} client ${i} received all ${received} bytes: never cut off`,
        );
        if (kind === "WebSocket") {
          const code = lastCloseCode(end.bytes);
          ok(
            code === undefined || code === 1008,
            `WebSocket client ${i}: closed with ${code}, not 1008`,
          );
        }
      }
    },
  });
}
