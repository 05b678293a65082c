// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { EACH } from "./_inbox.ts";
import { ignore } from "./_handled.ts";
import type { MessageHandler } from "./_direct_iterator.ts";

/** A connection whose inbox calls a handler itself (both engines'). */
interface Eachable {
  [EACH](handler: MessageHandler): Promise<void> | undefined;
}

/**
 * Calls `handler` with each message of `connection`, in order, and
 * resolves once the messages end (the connection closed; `closed` says
 * how). It reads what `for await (const message of connection)` reads,
 * with the same backpressure, but on serverpush's connections it calls the
 * handler as each message is decoded, with no promise in between: on
 * Node, with small messages, that is about one microsecond less per
 * message (see `docs/performance.md`).
 *
 * The next message waits while a promise the handler returned is pending:
 * return `connection.send(...)`'s promise and a slow peer holds the reader
 * back, as `await connection.send(...)` in a loop does. Meanwhile messages
 * queue up to `maxUnreadBytes`, then reading stops (the codec engine) or
 * the connection closes with 1008 (a native `WebSocket`, which cannot
 * pause). `send()`'s promise when the data went out with room to spare is
 * known to have settled, so returning it costs no wait.
 *
 * If the handler throws or its promise rejects, the messages not yet
 * handled are dropped, the connection closes with 1011 (Internal Error),
 * and the returned promise rejects with that error.
 *
 * Works on any connection that can be iterated (a `TypedWsConnection`
 * too, whose handler gets decoded values); one that is not serverpush's
 * own is read with `for await`.
 *
 * @typeParam T The type of a message: `string | Uint8Array` for a
 * {@linkcode WsConnection}, the codec's type for a typed connection.
 * @param connection The connection whose messages to read.
 * @param handler Called with each message; may return a promise to wait for.
 * @returns Resolves once the messages end; rejects with the handler's error.
 * @throws {TypeError} (as a rejection) If the messages are already being
 * read (a `for await` loop, a locked `readable`, another handler).
 *
 * @example An echo server, and a client
 * ```ts
 * import {
 *   connectWebSocket,
 *   forEachMessage,
 *   serveWebSocket,
 * } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({}, (connection) =>
 *   forEachMessage(connection, (message) => connection.send(message)));
 * const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * await client.send("hello");
 * for await (const message of client) {
 *   strictEqual(message, "hello");
 *   break; // closes the client with 1000
 * }
 * await client.closed;
 * await server.shutdown();
 * ```
 */
export function forEachMessage<T = string | Uint8Array>(
  connection: AsyncIterable<T> & {
    close(code?: number, reason?: string): Promise<void>;
  },
  handler: (message: T) => void | PromiseLike<void>,
): Promise<void> {
  const each = (connection as Partial<Eachable>)[EACH];
  if (typeof each === "function") {
    const done = each.call(connection, handler as MessageHandler);
    if (done !== undefined) return done;
  }
  return iterate(connection, handler);
}

/** `forEachMessage` on a connection of some other kind: `for await`. */
async function iterate<T>(
  connection: AsyncIterable<T> & {
    close(code?: number, reason?: string): Promise<void>;
  },
  handler: (message: T) => void | PromiseLike<void>,
): Promise<void> {
  for await (const message of connection) {
    try {
      const result = handler(message);
      if (result !== undefined) await result;
    } catch (error) {
      // Before the loop's exit closes it with 1000.
      void connection.close(1011).catch(ignore);
      throw error;
    }
  }
}
