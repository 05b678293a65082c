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
import { Inbox, type MessageSink, PUSH, unreadCost } from "./_inbox.ts";

// What other folders took from here before the cut (serve/_ws_session.ts).
export {
  checkConnectionOptions,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_UNREAD_BYTES,
  exceedsUtf8,
  fitCloseReason,
  type MessageSink,
  type SocketConnectionOptions,
};
export { UNREAD_MESSAGE_OVERHEAD } from "./_inbox.ts";

/** Longest pause between two `bufferedAmount` checks, in milliseconds. */
const MAX_DRAIN_POLL_MS = 64;

// WebSocket.readyState OPEN (the constant is not on every fake).
const OPEN = 1;

/** Marks a promise's rejection as handled while keeping it for awaiters. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignoreRejection);
  return promise;
}

/**
 * Intentionally empty: the rejection is still delivered to whoever awaits
 * the original promise; this only keeps a fire-and-forget `send()` on a
 * connection that closed from becoming an unhandled rejection.
 */
function ignoreRejection(): void {}

/**
 * What `send()` returns when the socket took the data and its buffer is
 * under the limit: one settled promise shared by every connection, so the
 * common case allocates nothing.
 */
const SENT: Promise<void> = Promise.resolve();

/**
 * Whether `promise`, from `send()` of a {@linkcode socketConnection}, says
 * the data was handed over with the socket's buffer under
 * `maxBufferedBytes`: then asking `bufferedAmount` again is not needed.
 */
export function sentAtOnce(promise: Promise<void>): boolean {
  return promise === SENT;
}

function closedError(action: string): DOMException {
  return new DOMException(
    `Cannot send message: the connection ${action}`,
    "InvalidStateError",
  );
}

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
 * Sends the messages of a connection made by {@linkcode socketConnection}
 * straight to `sink` as they arrive, with no queue, promise or stream in
 * between: for a server holding many connections that seldom send. The
 * connection's `readable` then shows as locked. Messages that arrived
 * before go to the sink at once; so does the end, if the connection has
 * closed. The sink bounds whatever it queues itself.
 *
 * @returns `false`, having done nothing, when `connection` is not one of
 * {@linkcode socketConnection}'s or its messages are already being read.
 */
export function pushMessages(
  connection: WsConnection,
  sink: MessageSink,
): boolean {
  return connection instanceof SocketConnection && connection[PUSH](sink);
}

/** Key of the method behind {@linkcode hasRoom}. */
const ROOM: unique symbol = Symbol("room");
/** Key of the method behind {@linkcode whenDrained}. */
const DRAINED: unique symbol = Symbol("drained");

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
  return new Promise((resolve) => {
    let closed = false;
    connection.closed.then(() => closed = true);
    const check = (): void => {
      if (closed || connection.bufferedAmount <= max) resolve();
      else setTimeout(check, MAX_DRAIN_POLL_MS);
    };
    check();
  });
}

/** The connection of {@linkcode socketConnection}. */
class SocketConnection extends Inbox implements WsConnection {
  readonly send: (data: WsSendData) => Promise<void>;
  readonly close: (code?: number, reason?: string) => Promise<void>;
  declare remoteAddr?: { hostname: string; port: number };

  #socket: WebSocket;
  #maxMessageBytes: number;
  #maxBufferedBytes: number;
  #closeTimeout: number;
  #protocol: string | undefined;
  #extensions: string | undefined;
  /** Handles the socket's four events. */
  #listener: (event: Event) => void;

  /** `closed`, made when first asked for. */
  #closed: Promise<WsCloseInfo> | undefined;
  #resolveClosed: ((info: WsCloseInfo) => void) | undefined;
  /** How the connection ended, once it has. */
  #closeInfo: WsCloseInfo | undefined;
  /** Made only when send() is called before the socket opened. */
  #openResolvers: PromiseWithResolvers<boolean> | undefined;
  #opened: boolean;
  #finished = false;
  #closing: Promise<void> | undefined;
  #receiving = true;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closeCode: number | undefined;
  #closeReason: string | undefined;

  #drain: PromiseWithResolvers<void> | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #drainDelay = 1;
  /**
   * An upper bound of `socket.bufferedAmount`: what it was when last read
   * plus an upper bound of the bytes sent since. While it is under
   * `maxBufferedBytes`, `send()` need not ask the socket.
   */
  #bufferedBound = 0;

  constructor(socket: WebSocket, options: SocketConnectionOptions) {
    super(options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES);
    this.#maxMessageBytes = options.maxMessageBytes ??
      DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxBufferedBytes = options.maxBufferedBytes ??
      DEFAULT_MAX_BUFFERED_BYTES;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.#socket = socket;
    this.#protocol = options.protocol;
    this.#extensions = options.extensions;
    if (options.remoteAddr !== undefined) this.remoteAddr = options.remoteAddr;
    socket.binaryType = "arraybuffer";
    this.#opened = socket.readyState === OPEN;
    this.send = (data) => this.#send(data);
    this.close = (code, reason) => this._close(code, reason);
    const listener = (event: Event): void => this.#onEvent(event);
    this.#listener = listener;
    if (!this.#opened) {
      socket.addEventListener("open", listener);
      socket.addEventListener("error", listener);
    }
    socket.addEventListener("message", listener);
    socket.addEventListener("close", listener);
  }

  get closed(): Promise<WsCloseInfo> {
    if (this.#closed === undefined) {
      const info = this.#closeInfo;
      this.#closed = info !== undefined
        ? Promise.resolve(info)
        : new Promise<WsCloseInfo>((resolve) => {
          this.#resolveClosed = resolve;
        });
    }
    return this.#closed;
  }

  get protocol(): string {
    return this.#protocol ?? this.#socket.protocol;
  }

  get extensions(): string {
    return this.#extensions ?? this.#socket.extensions;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  // Nothing to wake: a WHATWG WebSocket cannot stop reading.
  protected _wakeReceiver(): void {}

  // Nothing is held back: a message over a limit closes at once.
  protected _failNow(): boolean {
    return false;
  }

  #finish(info: WsCloseInfo): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#receiving = false;
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#drainTimer);
    const socket = this.#socket;
    const listener = this.#listener;
    socket.removeEventListener("open", listener);
    socket.removeEventListener("message", listener);
    socket.removeEventListener("close", listener);
    socket.removeEventListener("error", listener);
    this.#openResolvers?.resolve(false);
    this.#openResolvers = undefined;
    if (this.#drain !== undefined) {
      this.#drain.reject(closedError("closed before the data was sent"));
      this.#drain = undefined;
    }
    if (this._readableOpen) this._endInbox();
    this.#closeInfo = info;
    this.#resolveClosed?.(info);
    this.#resolveClosed = undefined;
  }

  /** Closes because of something the peer sent; stops delivering messages. */
  #fail(code: number, reason: string): void {
    this.#receiving = false;
    void this._close(code, fitCloseReason(reason));
  }

  #onEvent(event: Event): void {
    switch (event.type) {
      case "message":
        this.#receive((event as MessageEvent).data);
        break;
      case "open": {
        // Neither event matters once open: fewer listeners to keep.
        const socket = this.#socket;
        socket.removeEventListener("open", this.#listener);
        socket.removeEventListener("error", this.#listener);
        this.#opened = true;
        this.#openResolvers?.resolve(true);
        this.#openResolvers = undefined;
        // Deno's server-side socket ignores a close() made before it
        // opened.
        if (this.#closing !== undefined && !this.#finished) {
          this.#closeSocket();
        }
        break;
      }
      case "close": {
        const { code, reason, wasClean } = event as CloseEvent;
        // Deno reports code 0 when the TCP connection dropped.
        this.#finish({ code: code === 0 ? 1006 : code, reason, wasClean });
        break;
      }
      case "error":
        // A socket that never opened may not fire `close` (Deno's
        // server-side socket when the upgrade fails); otherwise `close`
        // follows.
        if (!this.#opened) {
          this.#finish({ code: 1006, reason: "", wasClean: false });
        }
    }
  }

  #receive(data: unknown): void {
    if (!this.#receiving) return;
    let message: string | Uint8Array;
    let tooBig: boolean;
    const maxMessageBytes = this.#maxMessageBytes;
    if (typeof data === "string") {
      message = data;
      tooBig = exceedsUtf8(data, maxMessageBytes);
    } else if (data instanceof ArrayBuffer) {
      message = new Uint8Array(data);
      tooBig = data.byteLength > maxMessageBytes;
    } else {
      this.#fail(1003, "Cannot receive message: binaryType is not arraybuffer");
      return;
    }
    if (tooBig) {
      this.#fail(
        1009,
        `Cannot receive message: it exceeds maxMessageBytes of ${maxMessageBytes}`,
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
        this.#fail(
          1008,
          `Cannot queue message: unread messages exceed maxUnreadBytes of ${maxUnreadBytes}`,
        );
        return;
      }
    }
    if (!this._readableOpen) return;
    this._push(message);
  }

  #pollDrain(): void {
    this.#drainTimer = undefined;
    const drain = this.#drain;
    if (drain === undefined) return;
    const amount = this.#socket.bufferedAmount;
    this.#bufferedBound = amount;
    if (amount <= this.#maxBufferedBytes) {
      this.#drain = undefined;
      drain.resolve();
      return;
    }
    this.#drainDelay = Math.min(this.#drainDelay * 2, MAX_DRAIN_POLL_MS);
    this.#drainTimer = setTimeout(() => this.#pollDrain(), this.#drainDelay);
  }

  #waitForDrain(): Promise<void> {
    if (this.#drain === undefined) {
      this.#drain = Promise.withResolvers<void>();
      this.#drainDelay = 1;
      this.#drainTimer = setTimeout(() => this.#pollDrain(), this.#drainDelay);
    }
    return this.#drain.promise;
  }

  /**
   * Whether at most `maxBufferedBytes` are queued for the peer; asks the
   * socket only when the bound says they could be more.
   */
  [ROOM](): boolean {
    if (this.#bufferedBound <= this.#maxBufferedBytes) return true;
    // Before the socket opens, the bound counts what waits for it.
    if (!this.#opened) return false;
    const amount = this.#socket.bufferedAmount;
    this.#bufferedBound = amount;
    return amount <= this.#maxBufferedBytes;
  }

  [DRAINED](): Promise<void> {
    if (this.#finished || this.#closing !== undefined) {
      return handled(Promise.reject(closedError("is closing")));
    }
    if (this[ROOM]()) return SENT;
    return handled(
      this.#opened
        ? this.#waitForDrain()
        : this.#whenOpen().then(() => this[DRAINED]()),
    );
  }

  /** Resolves once the socket opened; rejects if it never does. */
  #whenOpen(): Promise<void> {
    this.#openResolvers ??= Promise.withResolvers<boolean>();
    return this.#openResolvers.promise.then((open) =>
      open ? undefined : Promise.reject(closedError("did not open"))
    );
  }

  /** Refuses a send made over `maxBufferedBytes`: closes with 1008. */
  #overflow(): Promise<void> {
    const max = this.#maxBufferedBytes;
    void this._close(
      1008,
      `Cannot send message: the peer reads too slowly (over maxBufferedBytes of ${max})`,
    );
    return handled(Promise.reject(
      new DOMException(
        `Cannot send message: more than maxBufferedBytes of ${max} are queued for the peer`,
        "InvalidStateError",
      ),
    ));
  }

  #sendNow(data: WsSendData): Promise<void> {
    if (this.#finished) return Promise.reject(closedError("is closed"));
    const socket = this.#socket;
    if (this.#closing !== undefined || socket.readyState !== OPEN) {
      return Promise.reject(closedError("is closing"));
    }
    try {
      // The DOM typings exclude views of a SharedArrayBuffer; the platform
      // throws a TypeError for those, which rejects below.
      socket.send(
        data as string | ArrayBuffer | Blob | Uint8Array<ArrayBuffer>,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#bufferedBound <= this.#maxBufferedBytes) return SENT;
    const amount = socket.bufferedAmount;
    this.#bufferedBound = amount;
    if (amount <= this.#maxBufferedBytes) return SENT;
    return this.#waitForDrain();
  }

  #send(data: WsSendData): Promise<void> {
    if (this.#finished) {
      return handled(Promise.reject(closedError("is closed")));
    }
    if (this.#closing !== undefined) {
      return handled(Promise.reject(closedError("is closing")));
    }
    if (!this[ROOM]()) return this.#overflow();
    // Counted before it is handed over, so that sends waiting for the
    // socket to open count too. A UTF-16 code unit takes at most 3 bytes
    // in UTF-8.
    this.#bufferedBound += typeof data === "string"
      ? data.length * 3
      : data instanceof Blob
      ? data.size
      : (data as ArrayBufferView | ArrayBuffer).byteLength ?? 0;
    if (this.#opened) {
      const sent = this.#sendNow(data);
      return sent === SENT ? sent : handled(sent);
    }
    return handled(this.#whenOpen().then(() => this.#sendNow(data)));
  }

  protected _close(code?: number, reason?: string): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
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
    const done = this.closed.then(ignoreValue);
    this.#closing = done;
    if (this.#finished) return done;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#closeTimer = setTimeout(
      () => this.#finish({ code: 1006, reason: "", wasClean: false }),
      this.#closeTimeout,
    );
    this.#closeSocket();
    return done;
  }

  #closeSocket(): void {
    const socket = this.#socket;
    try {
      socket.close(this.#closeCode, this.#closeReason);
    } catch {
      // The platform refused the code: a client socket (browser or Deno)
      // sends only 1000 and 3000-4999. Close without a code instead.
      socket.close();
    }
  }
}

/** Turns `closed` into what `close()` resolves with. */
function ignoreValue(): void {}
