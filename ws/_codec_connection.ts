// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a `WsConnection` run by serverpush's own codec over any byte
// duplex (a Deno TCP or TLS connection, or an in-memory pair in tests), for
// either role. Used by `serveWebSocket` and by the codec client engine.
// The connection is one object; its halves are the classes it extends:
// `_inbox.ts` (unread messages), `_codec_sender.ts` (writing),
// `_codec_receiver.ts` (reading); this file adds closing and the heartbeat.

import { withResolvers } from "../_internal/resolvers.ts";
import { cancellableSleep } from "../_internal/sleep.ts";
import type { ByteDuplex } from "./_byte_io.ts";
import type { WsCompressor } from "./compressor.ts";
import type { WsCloseInfo, WsConnection, WsSendData } from "./connection.ts";
import { encodeClosePayload } from "./encode_close_payload.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";
import { WsProtocolError } from "./protocol_error.ts";
import type { HeartbeatTiming } from "./_heartbeat.ts";
import { joinTicker, leaveTicker, type Tickable } from "../_internal/ticker.ts";
import { ignore } from "./_handled.ts";
import { handled, stateError } from "./_handled.ts";
import { EMPTY, RESOLVED } from "./_codec_sender.ts";
import { CodecReceiver } from "./_codec_receiver.ts";
import {
  checkConnectionOptions,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_UNREAD_BYTES,
  type SocketConnectionOptions,
} from "./_connection_options.ts";
import { fitCloseReason } from "./_fit_close_reason.ts";
import { CLOSED_SETTLED } from "./_codec_extras.ts";

/**
 * Options for {@linkcode codecConnection}: those of the native engine's
 * wrapper, plus the codec's own.
 */
export interface CodecConnectionOptions extends SocketConnectionOptions {
  /** Which end of the connection this is: a client masks, a server does not. */
  role: "client" | "server";
  /**
   * The negotiated compression (permessage-deflate); closed with the
   * connection if it has a `close()` method.
   *
   * @default {undefined}
   */
  compressor?: WsCompressor & { close?(): void };
  /** Bytes that arrived after the handshake, to decode first. @default {undefined} */
  head?: Uint8Array;
  /**
   * Ping after `interval` ms without hearing from the peer; close with 1001
   * when nothing arrives within `timeout` ms of the ping. None when absent.
   *
   * @default {undefined}
   */
  heartbeat?: HeartbeatTiming;
}

/**
 * Runs a WebSocket connection over `duplex` with serverpush's codec: frame
 * and message decoding with limits, automatic pongs, the close handshake,
 * heartbeat, `send()` backpressure and permessage-deflate.
 *
 * - Bytes go through {@linkcode createFrameParser}. A whole, uncompressed
 *   message in one frame and control frames are handled at once (size
 *   limit, UTF-8, {@linkcode parseClosePayload}); fragmented and compressed
 *   messages go through a {@linkcode WsMessageDecoderStream}, in order.
 * - `readable` yields text as strings and binary as `Uint8Array` and ends
 *   (never errors) when the connection closes; `closed` tells how. Reading
 *   from the network pauses while unread messages exceed `maxUnreadBytes`
 *   (checked between reads, so one read's messages may go past it).
 *   Cancelling it closes with 1000. Iterating the connection takes the
 *   messages from the same queue without going through `readable` (which
 *   shows as locked meanwhile); breaking off closes with 1000 too.
 * - A peer's ping is answered with a pong carrying the same data; while a
 *   pong is on its way, a newer ping replaces the one waiting for an
 *   answer (RFC 6455 section 5.5.3), so one pong at most is queued. A peer's
 *   close is answered with a close frame carrying its code. A server then
 *   drops the transport once the frame is written (RFC 6455 section 7.1.1);
 *   a client ends its sending direction (TCP FIN) and waits up to
 *   `closeTimeout` for the server's end of stream.
 * - `close()` sends a close frame and waits up to `closeTimeout` for the
 *   peer's; without one, `closed` resolves with 1006 and the transport is
 *   dropped.
 * - A protocol violation (a `WsProtocolError` from the decoders) sends a
 *   close frame with its close code and a short reason; `closed` resolves
 *   with that code and `wasClean: false`. Messages complete before it are
 *   delivered first: when a reader has them, the connection fails once it
 *   asks for the next message (or cancels, or calls `close()`), or after
 *   `closeTimeout`, so its answers go out before the close frame.
 * - Uncompressed fragmented messages are assembled here in one buffer that
 *   grows by doubling (at most twice the bytes so far, and at most
 *   `maxMessageBytes`), whatever the number of fragments. Text is checked
 *   as UTF-8 as its bytes arrive, also inside a frame still arriving.
 * - With `heartbeat`, a ping goes out once the peer has been silent for
 *   `interval` ms (checked every `interval` ms, so after one to two
 *   intervals of silence); when nothing at all arrives within `timeout` ms
 *   of it, the connection closes with 1001 at once (the peer is presumed
 *   gone). While reading is paused for backpressure no ping is sent.
 * - `send()` encodes (and compresses) in order, hands the frame to the
 *   writer and resolves once `bufferedAmount` (bytes accepted by `send()`
 *   and not yet written to the transport, pings, pongs and the close frame
 *   included) is at or below `maxBufferedBytes`. While it is above, reading
 *   from the peer pauses too. It rejects with an `InvalidStateError`
 *   `DOMException` once the connection is closing (marked handled).
 * - `closed` resolves only once the transport is closed and every read and
 *   write on it has settled.
 *
 * The connection is one object of a class, its logic in shared methods, and
 * what most connections never need is made on first use, so that a server
 * holding many connections pays little for each; `send` and `close` are
 * still bound, so they may be passed around on their own.
 *
 * @param duplex The transport; nothing else may read or write it.
 * @param options Role, negotiated values, limits and timers.
 * @returns The connection.
 */
export function codecConnection(
  duplex: ByteDuplex,
  options: CodecConnectionOptions,
): WsConnection {
  checkConnectionOptions(options);
  return new CodecConnection(duplex, options);
}

/** Runs a connection's heartbeat tick (a protected method). */
let heartbeatOf: (connection: CodecConnection) => void;

/**
 * The connection of {@linkcode codecConnection}: its state in fields, its
 * logic in shared methods. Whatever most connections never need (the queue
 * of unread messages, the waiters for the buffer to drain, the queue of
 * asynchronous jobs, the frame parser before the first byte, the message
 * decoder stream, the heartbeat's pong timer) is made on first use; the
 * heartbeat's ticks come from one timer per interval shared by every
 * connection (see `_internal/ticker.ts`).
 */
class CodecConnection extends CodecReceiver implements WsConnection {
  /** `send` bound, made when first asked for (`close`: `_boundClose`). */
  protected _boundSend: ((data: WsSendData) => Promise<void>) | undefined;
  readonly protocol: string;
  readonly extensions: string;
  declare remoteAddr?: { hostname: string; port: number };
  protected _heartbeat: HeartbeatTiming | undefined;
  /** This connection's member of the heartbeat's shared ticker. */
  protected _ticked: Tickable | undefined;

  constructor(duplex: ByteDuplex, options: CodecConnectionOptions) {
    super(duplex, options.role === "client", {
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      maxUnreadBytes: options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES,
      closeTimeout: options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
    }, options.compressor);
    this.protocol = options.protocol ?? "";
    this.extensions = options.extensions ?? "";
    if (options.remoteAddr !== undefined) this.remoteAddr = options.remoteAddr;
    const heartbeat = options.heartbeat;
    if (heartbeat !== undefined && heartbeat.interval > 0) {
      // The shared timer's first tick may come at once: count it as heard,
      // so a ping needs a whole period of silence.
      this._heard = true;
      this._heartbeat = heartbeat;
      joinTicker(heartbeat.interval, this._ticked = new HeartbeatMember(this));
    }
    const head = options.head;
    this._receive(head !== undefined && head.length > 0 ? head : undefined);
  }

  // Flags and rare slots (see `_codec_extras.ts`): a server's sessions
  // close through `close` and learn of the end through `ON_CLOSED`, so
  // these are used only while closing.
  protected get _closedSettled(): boolean {
    return (this._flags & CLOSED_SETTLED) !== 0;
  }
  protected set _closedSettled(on: boolean) {
    this._setFlag(CLOSED_SETTLED, on);
  }
  protected get _boundClose():
    | ((code?: number, reason?: string) => Promise<void>)
    | undefined {
    return this._more?.boundClose;
  }
  protected set _boundClose(
    value: ((code?: number, reason?: string) => Promise<void>) | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().boundClose = value;
    }
  }
  protected get _closeTimer(): ReturnType<typeof setTimeout> | undefined {
    return this._more?.closeTimer;
  }
  protected set _closeTimer(value: ReturnType<typeof setTimeout> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().closeTimer = value;
    }
  }
  protected get _closing(): Promise<void> | undefined {
    return this._more?.closing;
  }
  protected set _closing(value: Promise<void> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().closing = value;
    }
  }
  protected get _closed(): Promise<WsCloseInfo> | undefined {
    return this._more?.closed;
  }
  protected set _closed(value: Promise<WsCloseInfo> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().closed = value;
    }
  }
  protected get _resolveClosed(): ((info: WsCloseInfo) => void) | undefined {
    return this._more?.resolveClosed;
  }
  protected set _resolveClosed(
    value: ((info: WsCloseInfo) => void) | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().resolveClosed = value;
    }
  }

  // Bound so that they may be passed around on their own; made on first
  // use, so that a connection that never sends holds neither (an idle
  // server's connections are most of its memory).
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

  get closed(): Promise<WsCloseInfo> {
    if (this._closed === undefined) {
      const { promise, resolve } = withResolvers<WsCloseInfo>();
      this._closed = promise;
      this._resolveClosed = resolve;
    }
    return this._closed;
  }

  protected _hasClosed(): boolean {
    return this._closedSettled;
  }

  protected _onPeerClose(code: number, reason: string): void {
    if (this._state === "closed") return;
    if (!this._closeSent) {
      // Echo the peer's code (RFC 6455 section 5.5.1); 1005 means none.
      void this._sendClose(code === 1005 ? undefined : code, "");
    }
    // A server drops the transport once the handshake is complete (RFC 6455
    // section 7.1.1); a client lets the server go first.
    void this._teardown(
      { code, reason, wasClean: true },
      this._isClient ? "drain" : "flush",
    );
  }

  protected _onInputError(error: unknown): void {
    if (this._state === "closed") return;
    if (error instanceof WsProtocolError && error.closeCode !== 1006) {
      const reason = fitCloseReason(error.message);
      if (!this._closeSent) void this._sendClose(error.closeCode, reason);
      void this._teardown(
        { code: error.closeCode, reason, wasClean: false },
        "drain",
      );
      return;
    }
    void this._teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  protected _onInputEnd(): void {
    if (this._state === "closed") return;
    void this._teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  protected _abort(_error: unknown): void {
    if (this._state === "closed") return;
    void this._teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  /**
   * Ends the connection. `"flush"` first waits (up to `closeTimeout`) for
   * our close frame to be written; `"drain"` also ends our sending direction
   * and waits for the peer's end of stream, so that its last bytes are read
   * rather than answered with a TCP reset. Then the transport is closed and
   * everything settles.
   */
  protected async _teardown(
    info: WsCloseInfo,
    mode: "drop" | "flush" | "drain",
  ): Promise<void> {
    if (this._state === "closed") return;
    this._state = "closed";
    if (this._failLater !== undefined) {
      clearTimeout(this._failLater.timer);
      this._failLater = undefined;
    }
    this._message = undefined;
    this._nextPong = undefined;
    this._stopHeartbeat();
    clearTimeout(this._closeTimer);
    if (this._readableOpen) this._endInbox();
    this._wakeReceiver();
    const waiters = this._drainWaiters;
    this._drainWaiters = undefined;
    if (waiters !== undefined) {
      for (const waiter of waiters) {
        handled(waiter.promise);
        waiter.reject(stateError("closed before the data was sent"));
      }
    }
    const duplex = this._duplex;
    if (mode !== "drop") {
      const deadline = cancellableSleep(this._closeTimeout);
      await Promise.race([this._closeWritten ?? RESOLVED, deadline.promise]);
      if (mode === "drain") {
        if (duplex.closeWrite !== undefined) {
          await Promise.race([
            duplex.closeWrite().catch(ignore),
            deadline.promise,
          ]);
        }
        await Promise.race([this._inputEndedPromise(), deadline.promise]);
      }
      deadline.cancel();
    }
    this._transportClosed = true;
    this._source.cancel();
    this._assemblerReader?.cancel().catch(ignore);
    this._sink.abort();
    try {
      duplex.close();
    } catch {
      // Already closed: cancelling a Deno connection's readable closes it.
    }
    this._compressor?.close?.();
    await this._inputEndedPromise();
    this._closedSettled = true;
    if (this._closed === undefined) {
      this._closed = Promise.resolve(info);
    } else {
      this._resolveClosed!(info);
      this._resolveClosed = undefined;
    }
    this._runClosedCallback();
  }

  protected _close(code?: number, reason?: string): Promise<void> {
    if (this._closing !== undefined) return this._closing;
    if (reason !== undefined && code === undefined) {
      return Promise.reject(
        new TypeError("Cannot close connection: a reason needs a code"),
      );
    }
    if (code !== undefined) {
      if (!isValidCloseCode(code)) {
        return Promise.reject(
          new RangeError(
            `Cannot close connection: code ${code} may not be sent`,
          ),
        );
      }
      try {
        encodeClosePayload(code, reason ?? "");
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // A protocol error held back for the reader goes first.
    this._failNow();
    const done = this.closed.then(ignore);
    this._closing = done;
    if (this._state !== "open" || this._closeSent) return done;
    this._state = "closing";
    this._wakeReceiver();
    void this._sendClose(code, reason ?? "");
    this._closeTimer = setTimeout(() => {
      // Without the peer's close frame (which tears down through
      // onPeerClose) in time, drop the connection.
      void this._teardown({ code: 1006, reason: "", wasClean: false }, "drop");
    }, this._closeTimeout);
    return done;
  }

  protected _stopHeartbeat(): void {
    if (this._ticked !== undefined) {
      leaveTicker(this._heartbeat!.interval, this._ticked);
      this._ticked = undefined;
    }
    clearTimeout(this._pongTimer);
    this._pongTimer = undefined;
  }

  /** A tick of the heartbeat: ping a silent peer. */
  protected _onHeartbeat(): void {
    if (this._state !== "open" || this._pongTimer !== undefined) return;
    if (this._heard || this._paused) {
      this._heard = false;
      return;
    }
    this._sendControl(9, EMPTY);
    this._pongTimer = setTimeout(
      () => this._onPongTimeout(),
      this._heartbeat!.timeout,
    );
  }

  static {
    heartbeatOf = (connection) => connection._onHeartbeat();
  }

  protected _onPongTimeout(): void {
    this._pongTimer = undefined;
    if (this._paused || this._state !== "open") return;
    const reason =
      "Cannot keep connection: nothing arrived within the heartbeat timeout";
    void this._sendClose(1001, reason);
    void this._teardown({ code: 1001, reason, wasClean: false }, "drop");
  }
}

/**
 * A connection's member of the heartbeat's shared ticker: one small object
 * per connection rather than an object, a closure and its scope.
 */
class HeartbeatMember implements Tickable {
  readonly #connection: CodecConnection;

  constructor(connection: CodecConnection) {
    this.#connection = connection;
  }

  tick(): void {
    heartbeatOf(this.#connection);
  }
}
