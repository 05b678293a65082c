// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Data a {@linkcode WsConnection} sends: text as a string, anything else as bytes. */
export type WsSendData = string | ArrayBufferView | ArrayBuffer | Blob;

/** How a WebSocket connection ended. */
export interface WsCloseInfo {
  /** The close code (1005 when the peer sent none, 1006 when the connection dropped). */
  code: number;
  /** The close reason, possibly empty. */
  reason: string;
  /** Whether the close handshake completed. */
  wasClean: boolean;
}

/**
 * One WebSocket connection, whatever engine runs it: Deno's native
 * `WebSocket` on either side, or serverpush's own codec over a TCP socket.
 *
 * Text messages arrive as strings and binary ones as bytes. `send()`
 * resolves once the data is handed over and the connection's buffered bytes
 * are back under its `maxBufferedBytes`, so a fast producer waits for a slow
 * network instead of growing memory.
 */
export interface WsConnection extends AsyncIterable<string | Uint8Array> {
  /**
   * Incoming messages; ends (without erroring) when the connection closes,
   * and `closed` says how. Cancelling it closes the connection with 1000.
   */
  readonly readable: ReadableStream<string | Uint8Array>;
  /**
   * Sends one message; resolves when the data is handed over and buffered
   * bytes are under the limit. Rejects with an `InvalidStateError`
   * `DOMException` once the connection is closing or closed; that rejection
   * is marked handled, so a `send()` nobody awaits cannot crash a server.
   */
  send(data: WsSendData): Promise<void>;
  /** Starts (or completes) the close handshake; resolves once the connection is closed. */
  close(code?: number, reason?: string): Promise<void>;
  /** Resolves once the connection is closed, however that happened. */
  readonly closed: Promise<WsCloseInfo>;
  /** The negotiated subprotocol, or `""`. */
  readonly protocol: string;
  /** The negotiated extensions, as sent in `Sec-WebSocket-Extensions`, or `""`. */
  readonly extensions: string;
  /**
   * Bytes accepted by `send()` but not yet written to the network. The
   * codec engine also counts control frames, and 256 bytes per frame for
   * the memory a waiting frame takes, so that many tiny frames cannot hold
   * more than `maxBufferedBytes` says.
   */
  readonly bufferedAmount: number;
  /** The peer's address, where the engine knows it. */
  readonly remoteAddr?: { hostname: string; port: number };
}

/**
 * Turns messages into values and back, for a {@linkcode TypedWsConnection}.
 *
 * @typeParam T The application's message type.
 */
export interface WsCodec<T> {
  /** Serializes one value into a text or binary message. */
  encode(value: T): string | Uint8Array;
  /** Parses one message; throwing closes the connection with 1007 (1003 for the wrong frame type). */
  decode(data: string | Uint8Array): T;
}
