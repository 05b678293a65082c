// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import {
  connectWebSocket,
  type ConnectWebSocketOptions,
} from "./connect_web_socket.ts";
import type { WsConnection } from "./connection.ts";

/** What {@linkcode CodecWebSocket} passes to `onmessage`. */
export interface CodecWebSocketMessageEvent {
  /** The message: a string for text, bytes for binary. */
  readonly data: string | Uint8Array;
}

/** What {@linkcode CodecWebSocket} passes to `onclose`. */
export interface CodecWebSocketCloseEvent {
  /** The close code (1006 when the connection failed or was cut). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A WebSocket client with the event-handler shape of the WHATWG `WebSocket`
 * (`onopen`, `onmessage`, `onclose`, `send`, `close`, `readyState`),
 * running on {@linkcode connectWebSocket}'s codec engine: for a runtime
 * without a global `WebSocket`, such as Node 20, where code written for
 * the standard class (like the `WebSocket` option of `connect` in
 * `@serverpush/serverpush/client`) needs one. Messages are read one at a
 * time, so a slow `onmessage` slows the server down instead of growing
 * memory. It has no `addEventListener` and no `binaryType` (binary
 * messages arrive as `Uint8Array`).
 *
 * @example Echo through a server
 * ```ts
 * import { CodecWebSocket, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({}, async (connection) => {
 *   for await (const message of connection) await connection.send(message);
 * });
 * const socket = new CodecWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * const echoed = new Promise((resolve) => {
 *   socket.onmessage = (event) => resolve(event.data);
 * });
 * socket.onopen = () => socket.send("hi");
 * strictEqual(await echoed, "hi");
 * const closed = new Promise((resolve) => {
 *   socket.onclose = (event) => resolve(event.code);
 * });
 * socket.close(1000);
 * strictEqual(await closed, 1000);
 * await server.shutdown();
 * ```
 */
export class CodecWebSocket {
  /** The `readyState` of a socket that is connecting. */
  static readonly CONNECTING: number = CONNECTING;
  /** The `readyState` of an open socket. */
  static readonly OPEN: number = OPEN;
  /** The `readyState` of a socket that is closing. */
  static readonly CLOSING: number = CLOSING;
  /** The `readyState` of a closed socket. */
  static readonly CLOSED: number = CLOSED;

  /** Called once the connection is open. */
  onopen: (() => void) | null = null;
  /** Called with each message. */
  onmessage: ((event: CodecWebSocketMessageEvent) => void) | null = null;
  /** Called once, when the connection has closed or failed to open. */
  onclose: ((event: CodecWebSocketCloseEvent) => void) | null = null;
  /** Called when the connection fails, before `onclose`. */
  onerror: ((event: { readonly error: unknown }) => void) | null = null;
  /** The URL given to the constructor. */
  readonly url: string;
  #state = CONNECTING;
  #connection: WsConnection | undefined;
  #pendingClose: { code?: number; reason?: string } | undefined;

  /**
   * Starts connecting; the outcome arrives through `onopen` or `onclose`.
   *
   * @param url A `ws:`, `wss:`, `http:` or `https:` URL.
   * @param protocols Subprotocols to offer.
   * @param options More options of {@linkcode connectWebSocket} (limits,
   * headers, deflate); `engine` is always `"codec"`.
   */
  constructor(
    url: string | URL,
    protocols?: string | string[],
    options: Omit<ConnectWebSocketOptions, "engine" | "protocols"> = {},
  ) {
    this.url = String(url);
    connectWebSocket(url, {
      ...options,
      engine: "codec",
      ...(protocols === undefined ? {} : { protocols }),
    }).then(
      (connection) => this.#open(connection),
      (error) => this.#fail(error),
    );
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed, as the standard's. */
  get readyState(): number {
    return this.#state;
  }

  /** The subprotocol the server chose, or `""`. */
  get protocol(): string {
    return this.#connection?.protocol ?? "";
  }

  /** The extensions in use, or `""`. */
  get extensions(): string {
    return this.#connection?.extensions ?? "";
  }

  /**
   * Sends a message (text for a string, binary for bytes).
   *
   * @throws {DOMException} `InvalidStateError` while connecting.
   */
  send(data: string | Uint8Array): void {
    if (this.#state === CONNECTING) {
      throw new DOMException(
        "Cannot send: the WebSocket is still connecting",
        "InvalidStateError",
      );
    }
    // A send on a closing or closed socket is dropped, as the standard's.
    if (this.#state === OPEN) {
      this.#connection!.send(data).catch((error) => this.onerror?.({ error }));
    }
  }

  /** Starts the closing handshake, with an optional code and reason. */
  close(code?: number, reason?: string): void {
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    if (this.#state === CONNECTING) {
      this.#state = CLOSING;
      this.#pendingClose = {
        ...(code === undefined ? {} : { code }),
        ...(reason === undefined ? {} : { reason }),
      };
      return;
    }
    this.#state = CLOSING;
    this.#connection!.close(code, reason).catch((error) =>
      this.onerror?.({ error })
    );
  }

  #open(connection: WsConnection): void {
    this.#connection = connection;
    connection.closed.then((info) => {
      this.#state = CLOSED;
      this.onclose?.({
        code: info.code,
        reason: info.reason,
        wasClean: info.wasClean,
      });
    });
    if (this.#pendingClose !== undefined) {
      const { code, reason } = this.#pendingClose;
      connection.close(code ?? 1000, reason).catch((error) =>
        this.onerror?.({ error })
      );
      return;
    }
    this.#state = OPEN;
    this.onopen?.();
    this.#read(connection).catch((error) => this.onerror?.({ error }));
  }

  async #read(connection: WsConnection): Promise<void> {
    for await (const data of connection) {
      try {
        this.onmessage?.({ data });
      } catch (error) {
        // As the standard's: a throwing handler is reported, not fatal.
        this.onerror?.({ error });
      }
    }
  }

  #fail(error: unknown): void {
    this.#state = CLOSED;
    this.onerror?.({ error });
    this.onclose?.({ code: 1006, reason: "", wasClean: false });
  }
}
