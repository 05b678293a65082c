// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the limits and timers every connection takes, with their
// defaults and their check.

import { checkByteLimit, checkTimeout } from "../_internal/check.ts";

/** Default largest message, in bytes: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Default `bufferedAmount` above which `send()` waits: 1 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Default bound of received messages nobody has read yet: 16 MiB. */
export const DEFAULT_MAX_UNREAD_BYTES = 16 * 1024 * 1024;
/** Default wait for the peer's close frame, in milliseconds. */
export const DEFAULT_CLOSE_TIMEOUT = 5_000;

/**
 * Options of a connection, whichever engine runs it (the native one's
 * `socketConnection`, the codec's `codecConnection` adds its own).
 */
export interface SocketConnectionOptions {
  /**
   * Largest message accepted, in bytes (UTF-8 bytes for text). A bigger one
   * closes the connection with 1009. The socket has already received the
   * whole message by then: this bounds what reaches the application, not
   * what the platform buffers.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * Bound on the bytes queued for the peer (`socket.bufferedAmount`, and
   * what waits for the socket to open): `send()` resolves only once they
   * are at or below this. A `send()` made while they are above it (its
   * caller did not wait for the last one) is refused: it rejects and the
   * connection closes with 1008. So at most this plus one message is ever
   * queued.
   *
   * @default {1048576}
   */
  maxBufferedBytes?: number;
  /**
   * Bound on received messages queued in `readable` that nobody has read
   * yet (each counts its size plus 64 bytes). A WHATWG `WebSocket` cannot
   * stop reading, so going past it closes the connection with 1008. One
   * message is always accepted into an empty queue.
   *
   * @default {16777216}
   */
  maxUnreadBytes?: number;
  /**
   * Milliseconds `close()` waits for the peer's close frame before `closed`
   * resolves with 1006.
   *
   * @default {5000}
   */
  closeTimeout?: number;
  /**
   * The negotiated subprotocol to report; `socket.protocol` when absent
   * (Deno's server-side socket reads `""` there, so its adapter passes it).
   *
   * @default {undefined}
   */
  protocol?: string;
  /**
   * The negotiated extensions to report; `socket.extensions` when absent.
   *
   * @default {undefined}
   */
  extensions?: string;
  /**
   * The peer's address, where the caller knows it.
   *
   * @default {undefined}
   */
  remoteAddr?: { hostname: string; port: number };
}

const WHAT = "create WebSocket connection";

/**
 * Checks the limits of {@linkcode SocketConnectionOptions}, as each
 * connection does, so an adapter can refuse bad options before it
 * upgrades anything.
 *
 * @throws {RangeError} If a limit is negative or not a number.
 */
export function checkConnectionOptions(options: SocketConnectionOptions): void {
  checkByteLimit(WHAT, "maxMessageBytes", options.maxMessageBytes ?? 0);
  checkByteLimit(WHAT, "maxBufferedBytes", options.maxBufferedBytes ?? 0);
  checkByteLimit(WHAT, "maxUnreadBytes", options.maxUnreadBytes ?? 0);
  checkTimeout(WHAT, "closeTimeout", options.closeTimeout ?? 0);
}
