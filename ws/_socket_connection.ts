// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: wraps a WHATWG `WebSocket` (Deno's server-side socket from
// `Deno.upgradeWebSocket`, or any client `new WebSocket(url)`) as a
// `WsConnection`. Used by `acceptWebSocket` and by the native client engine.

import type { WsCloseInfo, WsConnection, WsSendData } from "./connection.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";
import {
  checkConnectionOptions,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_UNREAD_BYTES,
  type SocketConnectionOptions,
} from "./_connection_options.ts";
import {
  exceedsUtf8,
  fitCloseReason,
  MAX_REASON_BYTES,
} from "./_fit_close_reason.ts";
import { ignore, stateError } from "./_handled.ts";
import {
  type ClosedCallback,
  type MessageSink,
  ON_CLOSED,
  PUSH,
  unreadCost,
} from "./_inbox.ts";
import {
  DRAINED,
  OPENED,
  pollDrained,
  ROOM,
  SocketSender,
  WAITING,
} from "./_socket_sender.ts";
import { holdWrite } from "../_internal/write_batch.ts";

// What serve/_ws_session.ts takes from here (the fast paths of the
// native engine, and the unread-message accounting it mirrors).
export { DEFAULT_MAX_UNREAD_BYTES, type MessageSink };
export { UNREAD_MESSAGE_OVERHEAD } from "./_inbox.ts";

/**
 * Wraps a WHATWG `WebSocket` as a {@linkcode WsConnection}: Deno's
 * server-side socket from `Deno.upgradeWebSocket`, or a client
 * `new WebSocket(url)`, in any state (a `CONNECTING` socket is fine: `send()`
 * waits for `open`). Sets `socket.binaryType` to `"arraybuffer"` and takes
 * over its events; the caller may add listeners of its own.
 *
 * - `readable` yields text as strings and binary as `Uint8Array`, and ends
 *   (never errors) when the connection closes; `closed` tells how.
 *   Cancelling it (breaking out of `for await`) closes with 1000.
 * - A message over `maxMessageBytes` closes with 1009; unread messages over
 *   `maxUnreadBytes` close with 1008. Messages after that are dropped.
 * - `send()` hands the data to the socket, then waits while
 *   `socket.bufferedAmount` is above `maxBufferedBytes`, polling it on a
 *   timer that backs off from 1 ms to 64 ms (the platform has no drain
 *   event). A `send()` made while more than `maxBufferedBytes` are queued
 *   is refused and closes the connection with 1008, so at most
 *   `maxBufferedBytes` plus one message are ever queued for the peer. It
 *   rejects with an `InvalidStateError` `DOMException` when the
 *   connection is closing or closed (also when it closes while waiting, or
 *   when it was refused); that rejection is marked handled, so a
 *   fire-and-forget `send()` never becomes an unhandled rejection, while an
 *   awaiting caller still sees it.
 * - `close()` validates the code (RangeError), sends the close frame and
 *   resolves once `closed` does; if the peer does not answer within
 *   `closeTimeout`, `closed` resolves with 1006 (the platform socket itself
 *   cannot be torn down from here). Calling it again joins the first close.
 * - `closed` resolves with the code of the close frame received (RFC 6455
 *   section 7.1.5), 1006 when the connection dropped or the socket reported
 *   code 0, and never rejects.
 *
 * The connection is one object of a class, its logic in shared methods, so
 * that a server holding many connections pays little for each; `send` and
 * `close` are still bound, so they may be passed around on their own.
 *
 * @param socket The socket to wrap; nothing else should read or send on it.
 * @param options Limits, close timeout and the values to report.
 * @returns The connection.
 * @throws {RangeError} If a limit is negative or not a number.
 */
export function socketConnection(
  socket: WebSocket,
  options: SocketConnectionOptions = {},
): WsConnection {
  checkConnectionOptions(options);
  return new SocketConnection(socket, options);
}

/**
 * {@linkcode socketConnection} for options already checked, with the
 * subprotocol and extensions to report (`undefined`: the socket's).
 * `serverSide`: the socket is Deno's from `Deno.upgradeWebSocket`, which
 * leaves CONNECTING only by opening (see `UNHEARD`).
 */
export function acceptedSocketConnection(
  socket: WebSocket,
  options: SocketConnectionOptions,
  protocol: string | undefined,
  extensions: string | undefined,
  serverSide = false,
): WsConnection {
  return new SocketConnection(
    socket,
    options,
    protocol,
    extensions,
    serverSide,
  );
}

/**
 * Key of a connection's method that takes a message without an event: a
 * socket that fires its own events (serve's adapter of Bun's socket) calls
 * `listener[RECEIVE](data)` on its listener, when it has that method,
 * instead of dispatching a `message` event. `data` is a string or a
 * `Uint8Array` that nothing else holds or changes: the connection keeps it
 * as it is.
 */
export const RECEIVE: unique symbol = Symbol("receive");

/**
 * Sends the messages of a connection made by {@linkcode socketConnection}
 * (or by the codec engine, `codecConnection`) straight to `sink` as they
 * arrive, with no queue, promise or stream in between: for a server
 * holding many connections that seldom send. The connection's `readable`
 * then shows as locked. Messages that arrived before go to the sink at
 * once; so does the end, if the connection has closed. The sink bounds
 * whatever it queues itself.
 *
 * @returns `false`, having done nothing, when `connection` is not one of
 * those engines' or its messages are already being read.
 */
export function pushMessages(
  connection: WsConnection,
  sink: MessageSink,
): boolean {
  const push = (connection as Partial<Pushable>)[PUSH];
  return typeof push === "function" && push.call(connection, sink);
}

/**
 * Calls `callback` with `connection` once it has closed, without a promise
 * (for a registry of many connections); `false`, having done nothing, when
 * `connection` is not one of {@linkcode socketConnection}'s or the codec
 * engine's (then use `closed`). One callback per connection.
 */
export function onClosed(
  connection: WsConnection,
  callback: (connection: WsConnection) => void,
): boolean {
  const register = (connection as Partial<Closable>)[ON_CLOSED];
  if (typeof register !== "function") return false;
  register.call(connection, callback as ClosedCallback);
  return true;
}

/** A connection that calls back once closed (both engines' connections). */
interface Closable {
  [ON_CLOSED](callback: ClosedCallback): void;
}

/** A connection whose inbox can push (both engines' connections). */
interface Pushable {
  [PUSH](sink: MessageSink): boolean;
}

/**
 * Whether `connection` may take another message now: at most `max` bytes
 * are queued for the peer (for a connection of {@linkcode socketConnection},
 * its own `maxBufferedBytes` decides and `max` is not used). A sender that
 * sends only when this holds never has a `send()` refused.
 */
export function hasRoom(connection: WsConnection, max: number): boolean {
  return connection instanceof SocketConnection
    ? connection[ROOM]()
    : connection.bufferedAmount <= max;
}

/**
 * Resolves once {@linkcode hasRoom} holds again; rejects with an
 * `InvalidStateError` `DOMException` if the connection closes first (a
 * connection that is not {@linkcode socketConnection}'s is polled, and its
 * promise resolves once it has room or is closed).
 */
export function whenDrained(
  connection: WsConnection,
  max: number,
): Promise<void> {
  if (connection instanceof SocketConnection) return connection[DRAINED]();
  return pollDrained(connection, max);
}

/** The connection of {@linkcode socketConnection}. */
class SocketConnection extends SocketSender implements WsConnection {
  /** A close held back by a batch, made now. */
  private static _closeHeld(connection: SocketConnection): void {
    connection._closeSocket();
  }

  declare remoteAddr?: { hostname: string; port: number };
  /** `send` and `close` bound, made when first asked for. */
  protected _boundSend: ((data: WsSendData) => Promise<void>) | undefined;
  protected _boundClose:
    | ((code?: number, reason?: string) => Promise<void>)
    | undefined;

  protected _maxMessageBytes: number;
  protected _closeTimeout: number;
  protected _protocol: string | undefined;
  protected _extensions: string | undefined;
  /** `closed`, made when first asked for. */
  protected _closed: Promise<WsCloseInfo> | undefined;
  protected _resolveClosed: ((info: WsCloseInfo) => void) | undefined;
  /** How the connection ended, once it has. */
  protected _closeInfo: WsCloseInfo | undefined;
  protected _receiving = true;
  protected _closeTimer: ReturnType<typeof setTimeout> | undefined;
  protected _closeCode: number | undefined;
  protected _closeReason: string | undefined;
  /**
   * The `message` listener: a function for a platform `WebSocket`, whose
   * dispatch calls a function for less than an object's `handleEvent`;
   * else the connection itself (serve's socket on Bun calls its
   * `[RECEIVE]` when the connection is its one listener).
   */
  protected _onMessage: EventListenerOrEventListenerObject;

  constructor(
    socket: WebSocket,
    options: SocketConnectionOptions,
    protocol: string | undefined = options.protocol,
    extensions: string | undefined = options.extensions,
    unheard = false,
  ) {
    super(
      socket,
      options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES,
      unheard,
    );
    this._maxMessageBytes = options.maxMessageBytes ??
      DEFAULT_MAX_MESSAGE_BYTES;
    this._closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this._protocol = protocol;
    this._extensions = extensions;
    if (options.remoteAddr !== undefined) this.remoteAddr = options.remoteAddr;
    socket.binaryType = "arraybuffer";
    // The connection itself listens (`handleEvent`), but for messages on a
    // platform socket (see `_onMessage`).
    const state = this._openState;
    if (state === WAITING) socket.addEventListener("open", this);
    if (state !== OPENED) socket.addEventListener("error", this);
    this._onMessage = this._platform ? this._messageListener() : this;
    socket.addEventListener("message", this._onMessage);
    socket.addEventListener("close", this);
  }

  // Bound so that they may be passed around on their own; made on first
  // use, so that a connection that never sends holds neither.
  get send(): (data: WsSendData) => Promise<void> {
    return this._boundSend ?? this._bindSend();
  }

  get close(): (code?: number, reason?: string) => Promise<void> {
    return this._boundClose ?? this._bindClose();
  }

  // The closures are made here, not in the getters: a function that makes
  // a closure over `this` allocates a context at every call, even when it
  // makes none, and `connection.send(message)` runs the getter for every
  // message.
  protected _bindSend(): (data: WsSendData) => Promise<void> {
    return this._boundSend = (data) => this._send(data);
  }

  protected _bindClose(): (code?: number, reason?: string) => Promise<void> {
    return this._boundClose = (code, reason) => this._close(code, reason);
  }

  /** See {@linkcode _onMessage}. */
  protected _messageListener(): (event: Event) => void {
    return (event) => this._receive((event as MessageEvent).data);
  }

  get closed(): Promise<WsCloseInfo> {
    if (this._closed === undefined) {
      const info = this._closeInfo;
      this._closed = info !== undefined
        ? Promise.resolve(info)
        : new Promise<WsCloseInfo>((resolve) => {
          this._resolveClosed = resolve;
        });
    }
    return this._closed;
  }

  get protocol(): string {
    return this._protocol ?? this._socket.protocol;
  }

  get extensions(): string {
    return this._extensions ?? this._socket.extensions;
  }

  protected _hasClosed(): boolean {
    return this._closeInfo !== undefined;
  }

  // Nothing to wake: a WHATWG WebSocket cannot stop reading.
  protected _wakeReceiver(): void {}

  // Nothing is held back: a message over a limit closes at once.
  protected _failNow(): boolean {
    return false;
  }

  protected _finish(info: WsCloseInfo): void {
    if (this._finished) return;
    this._finished = true;
    this._receiving = false;
    clearTimeout(this._closeTimer);
    clearTimeout(this._drainTimer);
    const socket = this._socket;
    socket.removeEventListener("open", this);
    socket.removeEventListener("message", this._onMessage);
    socket.removeEventListener("close", this);
    socket.removeEventListener("error", this);
    this._openResolvers?.resolve(false);
    this._openResolvers = undefined;
    if (this._drain !== undefined) {
      this._drain.reject(stateError("closed before the data was sent"));
      this._drain = undefined;
    }
    if (this._readableOpen) this._endInbox();
    this._closeInfo = info;
    this._resolveClosed?.(info);
    this._resolveClosed = undefined;
    this._runClosedCallback();
  }

  /** Closes because of something the peer sent; stops delivering messages. */
  protected _fail(code: number, reason: string): void {
    this._receiving = false;
    void this._close(code, fitCloseReason(reason));
  }

  protected _eventListener(): EventListenerObject {
    return this;
  }

  /** The socket's four events (the connection is their listener). */
  handleEvent(event: Event): void {
    switch (event.type) {
      case "message":
        this._receive((event as MessageEvent).data);
        break;
      case "open": {
        // Neither event matters once open: fewer listeners to keep.
        const socket = this._socket;
        socket.removeEventListener("open", this);
        socket.removeEventListener("error", this);
        this._openState = OPENED;
        this._openResolvers?.resolve(true);
        this._openResolvers = undefined;
        // Deno's server-side socket ignores a close() made before it
        // opened.
        if (this._closing !== undefined && !this._finished) {
          this._closeSocket();
        }
        break;
      }
      case "close": {
        const { code, reason, wasClean } = event as CloseEvent;
        // Deno reports code 0 when the TCP connection dropped.
        this._finish({ code: code === 0 ? 1006 : code, reason, wasClean });
        break;
      }
      case "error":
        // A socket that never opened may not fire `close` (Deno's
        // server-side socket when the upgrade fails); otherwise `close`
        // follows.
        if (!this._isOpen()) {
          this._finish({ code: 1006, reason: "", wasClean: false });
        }
    }
  }

  /** A `message` event's data: a string, or binary as an `ArrayBuffer`. */
  protected _receive(data: unknown): void {
    if (!this._receiving) return;
    if (typeof data === "string") {
      this._deliver(data, exceedsUtf8(data, this._maxMessageBytes));
    } else if (data instanceof ArrayBuffer) {
      this._deliver(
        new Uint8Array(data),
        data.byteLength > this._maxMessageBytes,
      );
    } else {
      this._fail(1003, "Cannot receive message: binaryType is not arraybuffer");
    }
  }

  /** See {@linkcode RECEIVE}: no event, and no view to make. */
  [RECEIVE](data: string | Uint8Array): void {
    if (!this._receiving) return;
    this._deliver(
      data,
      typeof data === "string"
        ? exceedsUtf8(data, this._maxMessageBytes)
        : data.byteLength > this._maxMessageBytes,
    );
  }

  /** Hands a received message on, unless it is over a limit. */
  protected _deliver(message: string | Uint8Array, tooBig: boolean): void {
    if (tooBig) {
      this._fail(
        1009,
        `Cannot receive message: it exceeds maxMessageBytes of ${this._maxMessageBytes}`,
      );
      return;
    }
    const sink = this._messageSink;
    if (sink !== undefined) {
      if (this._readableOpen) sink.message(message);
      return;
    }
    if (this._resolveWaiting === undefined) {
      const maxUnreadBytes = this._maxUnreadBytes;
      const room = maxUnreadBytes - this._unread;
      if (room < maxUnreadBytes && unreadCost(message) > room) {
        this._fail(
          1008,
          `Cannot queue message: unread messages exceed maxUnreadBytes of ${maxUnreadBytes}`,
        );
        return;
      }
    }
    if (!this._readableOpen) return;
    this._push(message);
  }

  protected _close(code?: number, reason?: string): Promise<void> {
    if (this._closing !== undefined) return this._closing;
    if (code !== undefined && !isValidCloseCode(code)) {
      return Promise.reject(
        new RangeError(
          `Cannot close connection: code ${code} may not be sent`,
        ),
      );
    }
    if (reason !== undefined) {
      if (code === undefined) {
        return Promise.reject(
          new TypeError("Cannot close connection: a reason needs a code"),
        );
      }
      if (exceedsUtf8(reason, MAX_REASON_BYTES)) {
        return Promise.reject(
          new RangeError(
            `Cannot close connection: reason is longer than ${MAX_REASON_BYTES} UTF-8 bytes`,
          ),
        );
      }
    }
    // A close() before the socket opened is made again once it opens.
    if (!this._finished) this._listenOpen();
    const done = this.closed.then(ignore);
    this._closing = done;
    if (this._finished) return done;
    this._closeCode = code;
    this._closeReason = reason;
    this._closeTimer = setTimeout(
      () => this._finish({ code: 1006, reason: "", wasClean: false }),
      this._closeTimeout,
    );
    this._closeSocket();
    return done;
  }

  protected _closeSocket(): void {
    // After the sends a fan-out's batch holds back (`_socket_sender.ts`).
    if (holdWrite(SocketConnection._closeHeld, this, undefined, undefined)) {
      return;
    }
    const socket = this._socket;
    try {
      socket.close(this._closeCode, this._closeReason);
    } catch {
      // The platform refused the code: a client socket (browser or Deno)
      // sends only 1000 and 3000-4999. Close without a code instead.
      socket.close();
    }
  }
}
