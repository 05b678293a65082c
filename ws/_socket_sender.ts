// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the sending half of the native engine's connection: `send()`
// on a WHATWG `WebSocket`, before and after it opens, with
// `maxBufferedBytes` enforced by polling `bufferedAmount` (the platform
// has no drain event) behind a cheap upper bound of it.

import { type Resolvers, withResolvers } from "../_internal/resolvers.ts";
import type { WsConnection, WsSendData } from "./connection.ts";
import { handled, RESOLVED, stateError } from "./_handled.ts";
import { holdWrite } from "../_internal/write_batch.ts";
import { Inbox } from "./_inbox.ts";

/** Longest pause between two `bufferedAmount` checks, in milliseconds. */
const MAX_DRAIN_POLL_MS = 64;

/** WebSocket.readyState OPEN (the constant is not on every fake). */
export const OPEN = 1;

/** `_openState`: the socket has opened. */
export const OPENED = 0;
/** `_openState`: not open yet; the connection listens for `open`. */
export const WAITING = 1;
/**
 * `_openState`: not open yet, as far as the connection knows, and nobody
 * listens for `open` yet. Only for Deno's server-side socket, which leaves
 * CONNECTING only by opening (a failed upgrade fires `error` and stays
 * CONNECTING; a `close()` before it opened is ignored): its `readyState`
 * says whether it opened, and `open` is listened for only once something
 * has to wait for it (one listener fewer per connection).
 */
export const UNHEARD = 2;

/**
 * What `send()` returns when the socket took the data and its buffer is
 * under the limit: one settled promise shared by every connection, so the
 * common case allocates nothing.
 */
const SENT: Promise<void> = RESOLVED;

/**
 * Sends `data` on `socket` now, or, inside a fan-out's batch, once it ends
 * (`_internal/write_batch.ts`): a held send that throws then is dropped,
 * as the socket is closing and its close event tells the connection.
 */
function sendOn(socket: WebSocket, data: WsSendData, platform: boolean): void {
  if (!holdWrite(sendHeld, socket, data, platform)) {
    sendHeld(socket, data, platform);
  }
}

/**
 * Sends `data` on `socket`; `platform` says that `socket` is the runtime's
 * own `WebSocket` (not serve's socket on Bun, which sends a view as it is).
 */
function sendHeld(
  socket: WebSocket,
  data: WsSendData,
  platform: boolean,
): void {
  if (
    platform && data instanceof Uint8Array && data.byteOffset === 0 &&
    data.buffer instanceof ArrayBuffer &&
    data.byteLength === data.buffer.byteLength
  ) {
    // A received message sent back, as an echo does: its whole buffer.
    // Deno sends an ArrayBuffer for less than a view of one.
    socket.send(data.buffer);
    return;
  }
  // The DOM typings exclude views of a SharedArrayBuffer; the platform
  // throws a TypeError for those.
  socket.send(data as string | ArrayBuffer | Blob | Uint8Array<ArrayBuffer>);
}

/**
 * Whether `promise`, from `send()` of a native connection, says the data
 * was handed over with the socket's buffer under `maxBufferedBytes`: then
 * asking `bufferedAmount` again is not needed.
 */
export function sentAtOnce(promise: Promise<void>): boolean {
  return promise === SENT;
}

/**
 * An upper bound of the bytes `data` adds to the socket's buffer: a UTF-16
 * code unit takes at most 3 bytes in UTF-8.
 */
function sizeBound(data: WsSendData): number {
  return typeof data === "string"
    ? data.length * 3
    : data instanceof Blob
    ? data.size
    : (data as ArrayBufferView | ArrayBuffer).byteLength ?? 0;
}

/** Key of the method behind `hasRoom`. */
export const ROOM: unique symbol = Symbol("room");
/** Key of the method behind `whenDrained`. */
export const DRAINED: unique symbol = Symbol("drained");

/**
 * Resolves once `connection` (any engine's) has at most `max` bytes queued
 * for the peer, or has closed, polling its `bufferedAmount`.
 */
export function pollDrained(
  connection: WsConnection,
  max: number,
): Promise<void> {
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

/**
 * The sending half of the native engine's connection, as fields and shared
 * methods of the connection itself (it extends this class). The connection
 * tracks the socket's state (`_openState`, `_finished`, `_closing`) and
 * settles what waits here when it opens or ends.
 */
export abstract class SocketSender extends Inbox {
  protected _socket: WebSocket;
  /**
   * Whether `_socket` is the runtime's own `WebSocket` (Deno's, a
   * browser's), not serve's socket on Bun.
   */
  protected _platform: boolean;
  protected _maxBufferedBytes: number;
  /** Made only when send() is called before the socket opened. */
  protected _openResolvers: Resolvers<boolean> | undefined;
  /** {@linkcode OPENED}, {@linkcode WAITING} or {@linkcode UNHEARD}. */
  protected _openState: number;
  protected _finished = false;
  protected _closing: Promise<void> | undefined;
  protected _drain: Resolvers<void> | undefined;
  protected _drainTimer: ReturnType<typeof setTimeout> | undefined;
  protected _drainDelay = 1;
  /**
   * An upper bound of `socket.bufferedAmount`: what it was when last read
   * plus an upper bound of the bytes sent since. While it is under
   * `maxBufferedBytes`, `send()` need not ask the socket.
   */
  protected _bufferedBound = 0;

  constructor(
    socket: WebSocket,
    maxBufferedBytes: number,
    maxUnreadBytes: number,
    unheard: boolean,
  ) {
    super(maxUnreadBytes);
    this._socket = socket;
    this._platform = typeof WebSocket === "function" &&
      socket instanceof WebSocket;
    this._maxBufferedBytes = maxBufferedBytes;
    this._openState = socket.readyState === OPEN
      ? OPENED
      : unheard
      ? UNHEARD
      : WAITING;
  }

  /** Whether the socket has opened. */
  protected _isOpen(): boolean {
    const state = this._openState;
    if (state === OPENED) return true;
    if (state === WAITING) return false;
    const ready = this._socket.readyState;
    // Past CONNECTING without a close() of ours: it opened (see UNHEARD).
    if (ready === OPEN || (ready > OPEN && this._closing === undefined)) {
      this._openState = OPENED;
      // As on `open`: errors no longer matter (`close` follows them).
      this._socket.removeEventListener("error", this._eventListener());
      return true;
    }
    return false;
  }

  /** Makes sure that `open` will be heard, if the socket has not opened. */
  protected _listenOpen(): void {
    if (this._openState !== UNHEARD || this._isOpen()) return;
    this._openState = WAITING;
    this._socket.addEventListener("open", this._eventListener());
  }

  /** What listens to the socket's events: the connection. */
  protected abstract _eventListener(): EventListenerObject;

  get bufferedAmount(): number {
    return this._socket.bufferedAmount;
  }

  protected _pollDrain(): void {
    this._drainTimer = undefined;
    const drain = this._drain;
    if (drain === undefined) return;
    const amount = this._socket.bufferedAmount;
    this._bufferedBound = amount;
    if (amount <= this._maxBufferedBytes) {
      this._drain = undefined;
      drain.resolve();
      return;
    }
    this._drainDelay = Math.min(this._drainDelay * 2, MAX_DRAIN_POLL_MS);
    this._drainTimer = setTimeout(() => this._pollDrain(), this._drainDelay);
  }

  protected _waitForDrain(): Promise<void> {
    if (this._drain === undefined) {
      this._drain = withResolvers<void>();
      this._drainDelay = 1;
      this._drainTimer = setTimeout(() => this._pollDrain(), this._drainDelay);
    }
    return this._drain.promise;
  }

  /**
   * Whether at most `maxBufferedBytes` are queued for the peer; asks the
   * socket only when the bound says they could be more.
   */
  [ROOM](): boolean {
    if (this._bufferedBound <= this._maxBufferedBytes) return true;
    // Before the socket opens, the bound counts what waits for it.
    if (!this._isOpen()) return false;
    const amount = this._socket.bufferedAmount;
    this._bufferedBound = amount;
    return amount <= this._maxBufferedBytes;
  }

  [DRAINED](): Promise<void> {
    if (this._finished || this._closing !== undefined) {
      return handled(Promise.reject(stateError("is closing")));
    }
    if (this[ROOM]()) return SENT;
    return handled(
      this._isOpen()
        ? this._waitForDrain()
        : this._whenOpen().then(() => this[DRAINED]()),
    );
  }

  /** Resolves once the socket opened; rejects if it never does. */
  protected _whenOpen(): Promise<void> {
    this._listenOpen();
    this._openResolvers ??= withResolvers<boolean>();
    return this._openResolvers.promise.then((open) =>
      open ? undefined : Promise.reject(stateError("did not open"))
    );
  }

  /** Refuses a send made over `maxBufferedBytes`: closes with 1008. */
  protected _overflow(): Promise<void> {
    const max = this._maxBufferedBytes;
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

  protected _sendNow(data: WsSendData): Promise<void> {
    if (this._finished) return Promise.reject(stateError("is closed"));
    const socket = this._socket;
    if (this._closing !== undefined || socket.readyState !== OPEN) {
      return Promise.reject(stateError("is closing"));
    }
    try {
      // The DOM typings exclude views of a SharedArrayBuffer; the platform
      // throws a TypeError for those, which rejects below.
      sendOn(socket, data, this._platform);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this._bufferedBound <= this._maxBufferedBytes) return SENT;
    const amount = socket.bufferedAmount;
    this._bufferedBound = amount;
    if (amount <= this._maxBufferedBytes) return SENT;
    return this._waitForDrain();
  }

  protected _send(data: WsSendData): Promise<void> {
    // The common case in one pass: open, neither closing nor closed, and
    // room in the socket's buffer by its bound, before and after.
    const max = this._maxBufferedBytes;
    if (
      this._openState === OPENED && this._closing === undefined &&
      !this._finished && this._bufferedBound <= max
    ) {
      const bound = this._bufferedBound + sizeBound(data);
      this._bufferedBound = bound;
      if (bound <= max && this._socket.readyState === OPEN) {
        try {
          sendOn(this._socket, data, this._platform);
          return SENT;
        } catch (error) {
          return handled(Promise.reject(error));
        }
      }
      const sent = this._sendNow(data);
      return sent === SENT ? sent : handled(sent);
    }
    if (this._finished) {
      return handled(Promise.reject(stateError("is closed")));
    }
    if (this._closing !== undefined) {
      return handled(Promise.reject(stateError("is closing")));
    }
    if (!this[ROOM]()) return this._overflow();
    // Counted before it is handed over, so that sends waiting for the
    // socket to open count too. A UTF-16 code unit takes at most 3 bytes
    // in UTF-8.
    this._bufferedBound += sizeBound(data);
    if (this._isOpen()) {
      const sent = this._sendNow(data);
      return sent === SENT ? sent : handled(sent);
    }
    return handled(this._whenOpen().then(() => this._sendNow(data)));
  }
}
