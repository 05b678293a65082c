// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The part of a WebSocket object that {@linkcode connect}'s WebSocket
 * transport uses: the standard `WebSocket` has it, and so has
 * `CodecWebSocket` from `@serverpush/serverpush/ws`. The handlers are
 * typed as methods are (bivariantly), so the standard class's handlers,
 * with their DOM event types, fit.
 *
 * @example A WebSocket class for the transport
 * ```ts
 * import type { ClientWebSocketClass } from "@serverpush/serverpush/client";
 * import { CodecWebSocket } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const classes: ClientWebSocketClass[] = [CodecWebSocket];
 * if (typeof WebSocket === "function") classes.push(WebSocket);
 * strictEqual(classes.length >= 1, true);
 * ```
 */
export interface ClientWebSocket {
  /** Set to a function called once the socket is open. */
  onopen: { handle(event: unknown): void }["handle"] | null;
  /** Set to a function called with each message (`data`: text or bytes). */
  onmessage:
    | { handle(event: { readonly data: unknown }): void }["handle"]
    | null;
  /** Set to a function called once the socket has closed. */
  onclose: { handle(event: { readonly code: number }): void }["handle"] | null;
  /** Sends a text message. */
  send(data: string): void;
  /** Closes the socket, with an optional close code. */
  close(code?: number): void;
}

/**
 * A class of {@linkcode ClientWebSocket}s, such as `WebSocket`: the type of
 * the `WebSocket` option of {@linkcode connect}.
 *
 * @example Take the runtime's class, if it has one
 * ```ts
 * import type { ClientWebSocketClass } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const own: ClientWebSocketClass | undefined = globalThis.WebSocket;
 * strictEqual(own === undefined || typeof own === "function", true);
 * ```
 */
export type ClientWebSocketClass = new (url: string) => ClientWebSocket;

/**
 * A WebSocket class that takes a subprotocol, such as `WebSocket` or
 * `CodecWebSocket` from `@serverpush/serverpush/ws`: the type of the
 * `WebSocket` option of `connectMultiplex`.
 *
 * @example Take the runtime's class, if it has one
 * ```ts
 * import type { MultiplexWebSocketClass } from "@serverpush/serverpush/client";
 * import { strictEqual } from "node:assert/strict";
 *
 * const own: MultiplexWebSocketClass | undefined = globalThis.WebSocket;
 * strictEqual(own === undefined || typeof own === "function", true);
 * ```
 */
export type MultiplexWebSocketClass = new (
  url: string,
  protocols: string,
) => ClientWebSocket;
