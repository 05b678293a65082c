// Copyright 2026 the serverpush authors. MIT license.
// Private: the opening handshake of `serveWebSocket` on a raw connection:
// reading the request head within the handshake timeout, and refusing an
// upgrade with an HTTP response that the client gets to read. Names Deno.

import { type ByteSource, writeAll } from "./_byte_io.ts";
import {
  createHttp1HeadReader,
  http1ErrorStatus,
  parseHttp1RequestHead,
  serializeHttp1ResponseHead,
} from "./_http1.ts";

/** Longest wait for a refused client to stop sending, in ms. */
const MAX_LINGER_MS = 1_000;

/** What the handshake steps take from their server. */
export interface HandshakeContext {
  /** Connections in their handshake (dropped on shutdown). */
  handshakes: Set<Deno.Conn>;
  maxHeadBytes: number;
  handshakeTimeout: number;
  tls: boolean;
  /** The server's `onError`. */
  report(error: unknown): void;
}

/** A request head read off a connection, and the bytes after it. */
export interface UpgradeRequest {
  request: Request;
  rest: Uint8Array;
}

/** Whether `error` says the resource was closed under us. */
export function isClosedError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

/** Closes `resource`, which may be closed already. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch (error) {
    // Already closed (cancelling a Deno connection's readable closes it).
    if (!isClosedError(error)) throw error;
  }
}

/** Forgets a connection in its handshake and closes it. */
export function dropHandshake(
  context: HandshakeContext,
  conn: Deno.Conn,
): void {
  context.handshakes.delete(conn);
  closeQuietly(conn);
}

/** Turns off Nagle's algorithm on a TCP connection (not on TLS). */
export function setNoDelay(conn: Deno.Conn): void {
  const tcp = conn as Partial<Deno.TcpConn>;
  if (typeof tcp.setNoDelay === "function") tcp.setNoDelay(true);
}

/**
 * Reads the request head from `conn` (tracked in `handshakes` meanwhile),
 * within the handshake timeout. Returns the request; a `Response` to refuse
 * with when the head is malformed or too large; or `undefined` once the
 * connection was dropped (the client went away or took too long).
 */
export async function readUpgradeRequest(
  context: HandshakeContext,
  conn: Deno.Conn,
  reader: ByteSource,
): Promise<UpgradeRequest | Response | undefined> {
  context.handshakes.add(conn);
  const headReader = createHttp1HeadReader({
    maxHeadBytes: context.maxHeadBytes,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    dropHandshake(context, conn);
  }, context.handshakeTimeout);
  try {
    let split;
    while (split === undefined) {
      const value = await reader.read();
      if (value === undefined) {
        clearTimeout(timer);
        dropHandshake(context, conn);
        return undefined;
      }
      split = headReader.push(value);
    }
    clearTimeout(timer);
    const request = parseHttp1RequestHead(split.head, {
      scheme: context.tls ? "https" : "http",
    });
    return { request, rest: split.rest };
  } catch (error) {
    clearTimeout(timer);
    if (timedOut) return undefined;
    const status = http1ErrorStatus(error);
    if (status === undefined) {
      // The client went away or reset the connection mid-head: nothing
      // to answer and nobody to tell.
      dropHandshake(context, conn);
      return undefined;
    }
    return new Response((error as Error).message, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
}

/**
 * Sends `response` with `Connection: close`, then closes gracefully, and
 * forgets the handshake.
 */
export async function refuseUpgrade(
  context: HandshakeContext,
  conn: Deno.Conn,
  reader: ByteSource,
  response: Response,
): Promise<void> {
  try {
    const body = new Uint8Array(await response.arrayBuffer());
    const headers = new Headers(response.headers);
    headers.delete("transfer-encoding");
    headers.set("content-length", String(body.length));
    headers.set("connection", "close");
    const head = serializeHttp1ResponseHead({
      status: response.status,
      statusText: response.statusText,
      headers,
    });
    await writeAll(conn, head);
    if (body.length > 0) await writeAll(conn, body);
    // Half-close, then read what the client still sends for a moment, so
    // the response is not lost to a TCP reset.
    await conn.closeWrite();
    const linger = setTimeout(
      () => closeQuietly(conn),
      Math.min(MAX_LINGER_MS, context.handshakeTimeout),
    );
    try {
      while (await reader.read() !== undefined) {
        // Discard.
      }
    } finally {
      clearTimeout(linger);
    }
  } catch (error) {
    // The client went away first, or the response was unusable.
    if (
      !isClosedError(error) && !(error instanceof Deno.errors.ConnectionReset)
    ) {
      context.report(error);
    }
  } finally {
    dropHandshake(context, conn);
  }
}
