// Copyright 2026 the serverpush authors. MIT license.
// Private: what a `serve` server must end on shutdown, whatever the
// runtime: WebSockets accepted through `acceptWebSocket` (closed with
// 1001), streaming responses (cancelled) and the tasks still running.

import type { WsConnection } from "../ws/connection.ts";
import { onClosed } from "../ws/_socket_connection.ts";

/** The live parts of one server. */
export class Live {
  /** WebSockets accepted on this server, open or closing. */
  readonly connections: Set<WsConnection> = new Set();
  /** Stops a streaming response in progress. */
  readonly streams: Set<() => void> = new Set();
  stopping = false;
  /**
   * Tracked work that has not settled yet: counted rather than kept in a
   * set, so that a task (one per request and upgrade) costs no entry and
   * no closure of its own.
   */
  #running = 0;
  /** Wakes {@linkcode Live.settled} once no task runs; made when it waits. */
  #idle: (() => void) | undefined;

  /** Tracks a WebSocket until it has closed. */
  connection(connection: WsConnection): void {
    this.connections.add(connection);
    if (this.stopping) void connection.close(1001).catch(ignore);
    // Not a task of its own: `settled` waits for the open connections too.
    // Both engines' connections call back once closed, with no promise and
    // no callback of their own.
    if (!onClosed(connection, this.#forget)) {
      connection.closed.then(() => this.#forget(connection));
    }
  }

  /** A connection has closed. */
  #forget = (connection: WsConnection): void => {
    this.connections.delete(connection);
  };

  /** Tracks `task` until it settles. */
  track(task: Promise<unknown>): void {
    this.#running++;
    task.then(this.#finished, this.#finished);
  }

  /** A tracked task has settled. */
  #finished = (): void => {
    if (--this.#running > 0) return;
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.();
  };

  /** Closes every WebSocket with 1001 and stops every stream. */
  end(): void {
    this.stopping = true;
    for (const connection of this.connections) {
      void connection.close(1001).catch(ignore);
    }
    for (const stop of this.streams) stop();
  }

  /** Resolves once every tracked task has settled. */
  async settled(): Promise<void> {
    while (this.#running > 0 || this.connections.size > 0) {
      const waits: Promise<unknown>[] = [...this.connections].map((
        connection,
      ) => connection.closed);
      if (this.#running > 0) {
        waits.push(
          new Promise<void>((resolve) => {
            const previous = this.#idle;
            this.#idle = previous === undefined ? resolve : () => {
              previous();
              resolve();
            };
          }),
        );
      }
      await Promise.allSettled(waits);
      // The connections' callbacks ran before: they come when each closes.
    }
  }
}

/**
 * Intentionally empty: `close()` rejects only when the connection is
 * already closing, which is what shutdown wants anyway.
 */
function ignore(): void {}

/**
 * The same response, with a body that {@linkcode Live.end} can stop: the
 * client's side then ends and the original body is cancelled. Reads one
 * chunk at a time, as the runtime asks (no buffering of its own).
 */
export function stoppable(response: Response, live: Live): Response {
  const body = response.body;
  if (body === null) return response;
  const reader = body.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stop = (): void => {
    live.streams.delete(stop);
    reader.cancel().catch(ignore);
    try {
      controller.close();
    } catch {
      // Already closed or errored: nothing more to end.
    }
  };
  live.streams.add(stop);
  // One read of the original body is kept going while the runtime writes
  // the last chunk, so that a body that fails meanwhile (such as the hub
  // cutting off a client that does not read) fails this one at once.
  let ahead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      const read = ahead ?? reader.read();
      ahead = undefined;
      const { done, value } = await read;
      if (done) {
        live.streams.delete(stop);
        c.close();
        return;
      }
      c.enqueue(value);
      ahead = reader.read();
      ahead.catch((error) => {
        live.streams.delete(stop);
        try {
          c.error(error);
        } catch {
          // Closed already.
        }
      });
    },
    cancel(reason) {
      live.streams.delete(stop);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(stream, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
