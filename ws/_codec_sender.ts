// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the sending half of a codec connection (as ws's `sender.js`):
// frames written from a slab shared by every connection or a pool for long
// text, jobs kept in order behind compression, one pong at a time, and
// `bufferedAmount`.

import { type Resolvers, withResolvers } from "../_internal/resolvers.ts";
import {
  type ByteDuplex,
  type ByteSink,
  byteSink,
  type WriteCallback,
} from "./_byte_io.ts";
import type { WsCompressor } from "./compressor.ts";
import type { WsSendData } from "./connection.ts";
import { encodeClosePayload } from "./encode_close_payload.ts";
import { createFrameEncoder, type WsFrameEncoder } from "./frame_encoder.ts";
import type { WsFrame } from "./frame.ts";
import { headerLength, writeHeader } from "./_frame_header.ts";
import { Queue } from "../_internal/queue.ts";
import { handled, ignore, RESOLVED, stateError } from "./_handled.ts";
import { Inbox } from "./_inbox.ts";
import {
  BUSY,
  CLOSE_SENT,
  IS_CLIENT,
  PONG_IN_FLIGHT,
  TRANSPORT_CLOSED,
} from "./_codec_extras.ts";

/**
 * A server's uncompressed text frame whose worst case (the longest header
 * and 3 bytes a UTF-16 unit) fits in this many bytes is encoded straight
 * into a slab shared by every connection: allocating an ArrayBuffer costs
 * more than encoding a short message. The sink copies a slab frame that has
 * to wait behind another write, so only frames being written right now
 * refer to a slab, and a slow peer never holds one.
 */
const SLAB_FRAME_BYTES = 16 * 1024;
/** Size of a slab; a new one replaces it once a frame does not fit. */
const SLAB_BYTES = 64 * 1024;
/**
 * What a frame counts in `bufferedAmount` beyond its bytes: the memory a
 * frame waiting behind another write takes (its copy, views and write
 * callback, measured at about 400 bytes in a heap snapshot), so that many
 * tiny frames cannot hold far more memory than `maxBufferedBytes` says.
 */
export const FRAME_OVERHEAD = 256;
let slab = new Uint8Array(0);
let slabPos = 0;
/**
 * The last text encoded into a slab, its frame there, and the frame copied
 * into a buffer of its own once the same text is sent again: a hub sends
 * one string to every subscriber of a topic, and it is encoded once.
 */
let lastText: string | undefined;
let lastSlabFrame: Uint8Array | undefined;
let lastFrame: Uint8Array | undefined;
/**
 * Longer text up to this many units is encoded into pooled buffers when it
 * turns out to be ASCII (else the usual path runs).
 */
const LARGE_POOLED_TEXT_CHARS = 1024 * 1024;
/** Most bytes kept in pooled buffers for long text. */
const LARGE_POOL_BYTES = 4 * 1024 * 1024;
/**
 * Buffers for long text (power-of-two sizes), shared by every connection
 * (a buffer is lent from `send()` until its frame is written).
 */
const largeFramePool: Uint8Array[] = [];
let largePoolBytes = 0;

/** A pooled buffer of at least `size` bytes for a long text's frame. */
function takeLargeBuffer(size: number): Uint8Array {
  for (let i = 0; i < largeFramePool.length; i++) {
    const buffer = largeFramePool[i]!;
    if (buffer.length >= size && buffer.length < size * 2) {
      largeFramePool[i] = largeFramePool[largeFramePool.length - 1]!;
      largeFramePool.pop();
      largePoolBytes -= buffer.length;
      return buffer;
    }
  }
  return new Uint8Array(2 ** Math.ceil(Math.log2(size)));
}

/** Gives a buffer from {@linkcode takeLargeBuffer} back, if there is room. */
function giveLargeBuffer(buffer: Uint8Array): void {
  if (largePoolBytes + buffer.length > LARGE_POOL_BYTES) return;
  largeFramePool.push(buffer);
  largePoolBytes += buffer.length;
}
/**
 * Text up to this many units is encoded by {@linkcode writeAscii} when it
 * is ASCII: for short strings a loop beats the call into the runtime that
 * `TextEncoder.encodeInto` makes.
 */
const SHORT_TEXT_CHARS = 128;

/**
 * Writes `text` to `out` from `at` when every unit is ASCII; returns the
 * bytes written, or -1 (having written some) when a unit is not.
 */
function writeAscii(text: string, out: Uint8Array, at: number): number {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return -1;
    out[at + i] = unit;
  }
  return length;
}
/** Room before the payload for the longest unmasked header. */
const MAX_SERVER_HEADER = 10;
/** The fields of a final, uncompressed text frame, for its header. */
const TEXT_FRAME: WsFrame = Object.freeze({
  fin: true,
  rsv1: false,
  rsv2: false,
  rsv3: false,
  opcode: 1,
  payload: new Uint8Array(0),
});
/**
 * A server's data frame with at least this many payload bytes is written
 * from the pool of {@linkcode takeLargeBuffer} (when the transport says when
 * it is done with the bytes).
 */
const POOLED_FRAME_BYTES = 16 * 1024;
/** The fields of final frames, by opcode, for their headers. */
const FRAME: Record<number, WsFrame> = {
  1: TEXT_FRAME,
  2: Object.freeze({ ...TEXT_FRAME, opcode: 2 }),
};
/** The same, compressed (RSV1 set). */
const COMPRESSED_FRAME: Record<number, WsFrame> = {
  1: Object.freeze({ ...TEXT_FRAME, rsv1: true }),
  2: Object.freeze({ ...TEXT_FRAME, opcode: 2, rsv1: true }),
};
/**
 * A server's data frame for `payload` (under `POOLED_FRAME_BYTES`), written
 * into the shared slab: one copy of the payload, and neither a frame object
 * nor a buffer of its own (the frame encoder gives frames over 8 KiB one).
 */
function slabFrame(fields: WsFrame, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const size = headerLength(length, false) + length;
  if (slabPos + size > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabPos = 0;
  }
  const frame = new Uint8Array(slab.buffer, slabPos, size);
  frame.set(payload, writeHeader(frame, fields, length, undefined));
  // The next frame starts on an 8-byte boundary.
  slabPos = (slabPos + size + 7) & ~7;
  return frame;
}
/** A payload of no bytes. */
export const EMPTY: Uint8Array = new Uint8Array(0);
export { RESOLVED };
const encoder = new TextEncoder();

// Encoders shared by every connection (made on first use): an encoder keeps
// nothing between frames but a slab that small frames are carved from, and
// one per connection would hold a 64 KiB slab for each that ever sent a
// frame through it. The sink copies a slab frame that has to wait behind
// another write, so a slow peer never holds a slab.
let serverEncoder: WsFrameEncoder | undefined;
let clientEncoder: WsFrameEncoder | undefined;

/**
 * The sending half of a codec connection, as fields and shared methods of
 * the connection itself (it extends this class). The connection says how
 * to fail when a write fails and how to resume reading (paused while too
 * much is queued for the peer).
 */
export abstract class CodecSender extends Inbox {
  protected _duplex: ByteDuplex;
  protected _maxBufferedBytes: number;
  protected _compressor: (WsCompressor & { close?(): void }) | undefined;

  /** "open" → "closing" (our close frame sent) → "closed" (tearing down). */
  protected _state: "open" | "closing" | "closed" = "open";

  protected _sink: ByteSink;
  protected _buffered = 0;

  constructor(
    duplex: ByteDuplex,
    isClient: boolean,
    maxBufferedBytes: number,
    maxUnreadBytes: number,
    compressor: (WsCompressor & { close?(): void }) | undefined,
  ) {
    super(maxUnreadBytes);
    this._duplex = duplex;
    this._isClient = isClient;
    this._maxBufferedBytes = maxBufferedBytes;
    this._compressor = compressor;
    this._sink = byteSink(duplex);
  }

  // Flags and rare slots (see `_codec_extras.ts`); `_drainWaiters` and
  // `_jobs` are `undefined` rather than empty.
  protected get _isClient(): boolean {
    return (this._flags & IS_CLIENT) !== 0;
  }
  protected set _isClient(on: boolean) {
    this._setFlag(IS_CLIENT, on);
  }
  protected get _closeSent(): boolean {
    return (this._flags & CLOSE_SENT) !== 0;
  }
  protected set _closeSent(on: boolean) {
    this._setFlag(CLOSE_SENT, on);
  }
  protected get _transportClosed(): boolean {
    return (this._flags & TRANSPORT_CLOSED) !== 0;
  }
  protected set _transportClosed(on: boolean) {
    this._setFlag(TRANSPORT_CLOSED, on);
  }
  protected get _busy(): boolean {
    return (this._flags & BUSY) !== 0;
  }
  protected set _busy(on: boolean) {
    this._setFlag(BUSY, on);
  }
  protected get _pongInFlight(): boolean {
    return (this._flags & PONG_IN_FLIGHT) !== 0;
  }
  protected set _pongInFlight(on: boolean) {
    this._setFlag(PONG_IN_FLIGHT, on);
  }
  protected get _closeWritten(): Promise<void> | undefined {
    return this._more?.closeWritten;
  }
  protected set _closeWritten(value: Promise<void> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().closeWritten = value;
    }
  }
  protected get _drainWaiters(): Resolvers<void>[] | undefined {
    return this._more?.drainWaiters;
  }
  protected set _drainWaiters(value: Resolvers<void>[] | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().drainWaiters = value;
    }
  }
  protected get _jobs(): Queue<() => void | Promise<void>> | undefined {
    return this._more?.jobs;
  }
  protected set _jobs(value: Queue<() => void | Promise<void>> | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().jobs = value;
    }
  }
  protected get _nextPong(): Uint8Array | undefined {
    return this._more?.nextPong;
  }
  protected set _nextPong(value: Uint8Array | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().nextPong = value;
    }
  }

  /** A write failed: the connection is dropped. */
  protected abstract _abort(error: unknown): void;

  get bufferedAmount(): number {
    return this._buffered;
  }

  /**
   * Queues a server's uncompressed text frame encoded straight from `text`
   * (into a slab for short text, a pooled buffer for long ASCII text: one
   * buffer instead of two); returns `false` when the text is long and not
   * ASCII (then the usual path runs).
   */
  protected _sendTextDirect(text: string): boolean {
    const worst = MAX_SERVER_HEADER + 3 * text.length;
    if (worst <= SLAB_FRAME_BYTES && text === lastText) {
      // The same text again (a hub's fan-out): the frame is encoded once
      // for every connection, into a buffer of its own that nothing
      // changes, so a write that waits keeps it without a copy.
      const frame = lastFrame ??= lastSlabFrame!.slice();
      const cost = frame.length + FRAME_OVERHEAD;
      this._buffered += cost;
      this._sink.write(frame, (error) => {
        this._buffered -= cost;
        this._drained(error);
      });
      return true;
    }
    if (worst <= SLAB_FRAME_BYTES) {
      if (slabPos + worst > slab.length) {
        slab = new Uint8Array(SLAB_BYTES);
        slabPos = 0;
      }
      const at = slabPos + MAX_SERVER_HEADER;
      let written = text.length <= SHORT_TEXT_CHARS
        ? writeAscii(text, slab, at)
        : -1;
      if (written < 0) {
        written = encoder.encodeInto(
          text,
          new Uint8Array(slab.buffer, at, worst - MAX_SERVER_HEADER),
        ).written;
      }
      const start = at - headerLength(written, false);
      const frame = new Uint8Array(slab.buffer, start, at + written - start);
      // The next frame starts on an 8-byte boundary.
      slabPos = (at + written + 7) & ~7;
      writeHeader(frame, TEXT_FRAME, written, undefined);
      lastText = text;
      lastSlabFrame = frame;
      lastFrame = undefined;
      const cost = frame.length + FRAME_OVERHEAD;
      this._buffered += cost;
      this._sink.write(frame, (error) => {
        this._buffered -= cost;
        this._drained(error);
      }, true);
      return true;
    }
    // `write` is done with the bytes once it resolves (they are in the
    // kernel); a writable stream may pass the very chunk on to its reader.
    const large = this._duplex.write !== undefined &&
      text.length <= LARGE_POOLED_TEXT_CHARS;
    const out = large
      ? takeLargeBuffer(MAX_SERVER_HEADER + text.length)
      : new Uint8Array(MAX_SERVER_HEADER + text.length);
    const { read, written } = encoder.encodeInto(
      text,
      new Uint8Array(
        out.buffer,
        MAX_SERVER_HEADER,
        out.length - MAX_SERVER_HEADER,
      ),
    );
    if (read < text.length) {
      if (large) giveLargeBuffer(out);
      return false;
    }
    const start = MAX_SERVER_HEADER - headerLength(written, false);
    const frame = new Uint8Array(
      out.buffer,
      start,
      MAX_SERVER_HEADER + written - start,
    );
    writeHeader(frame, TEXT_FRAME, written, undefined);
    const cost = frame.length + FRAME_OVERHEAD;
    this._buffered += cost;
    this._sink.write(frame, (error) => {
      if (large) giveLargeBuffer(out);
      this._buffered -= cost;
      this._drained(error);
    });
    return true;
  }

  protected _drained(error?: unknown): void {
    if (error !== undefined) {
      this._abort(error);
      return;
    }
    if (this._buffered > this._maxBufferedBytes) return;
    const waiters = this._drainWaiters;
    if (waiters !== undefined) {
      this._drainWaiters = undefined;
      for (const waiter of waiters) waiter.resolve();
    }
    // Reading stopped while too much was queued for the peer.
    this._wakeReceiver();
  }

  /** Writes one frame; `cost` is what it added to `buffered`. */
  protected _writeFrame(
    opcode: number,
    payload: Uint8Array,
    rsv1: boolean,
    cost: number,
    done?: WriteCallback,
  ): void {
    if (
      !this._isClient && (opcode === 1 || opcode === 2) &&
      payload.length >= POOLED_FRAME_BYTES &&
      payload.length <= LARGE_POOLED_TEXT_CHARS &&
      this._duplex.write !== undefined
    ) {
      this._writePooledFrame(opcode, payload, rsv1, cost, done);
      return;
    }
    let bytes: Uint8Array;
    if (
      !this._isClient && (opcode === 1 || opcode === 2) &&
      payload.length < POOLED_FRAME_BYTES
    ) {
      bytes = slabFrame(
        rsv1 ? COMPRESSED_FRAME[opcode]! : FRAME[opcode]!,
        payload,
      );
    } else {
      const frameEncoder = this._isClient
        ? clientEncoder ??= createFrameEncoder({ role: "client" })
        : serverEncoder ??= createFrameEncoder({ role: "server" });
      bytes = frameEncoder.encode({
        fin: true,
        rsv1,
        rsv2: false,
        rsv3: false,
        opcode,
        payload,
      });
    }
    // A small frame is a view into a slab.
    const shared = bytes.byteLength < bytes.buffer.byteLength;
    if (cost === 0) {
      this._sink.write(
        bytes,
        done,
        shared,
      );
      return;
    }
    this._sink.write(bytes, (error) => {
      this._buffered -= cost;
      this._drained(error);
    }, shared);
  }

  /**
   * Writes a server's large frame from a pooled buffer (as long text is):
   * one copy of the payload into memory that is used again once the
   * transport is done with it, rather than a new zeroed buffer per frame.
   * The payload is copied now, so the caller may change it after `send()`.
   */
  protected _writePooledFrame(
    opcode: number,
    payload: Uint8Array,
    rsv1: boolean,
    cost: number,
    done?: WriteCallback,
  ): void {
    const head = headerLength(payload.length, false);
    const buffer = takeLargeBuffer(head + payload.length);
    const frame = new Uint8Array(buffer.buffer, 0, head + payload.length);
    writeHeader(
      frame,
      rsv1 ? COMPRESSED_FRAME[opcode]! : FRAME[opcode]!,
      payload.length,
      undefined,
    );
    frame.set(payload, head);
    this._sink.write(frame, (error) => {
      giveLargeBuffer(buffer);
      if (cost === 0) {
        done?.(error);
        return;
      }
      this._buffered -= cost;
      this._drained(error);
    });
  }

  /** A control frame of `cost` bytes was written (or dropped). */
  protected _onControlWritten(
    opcode: number,
    cost: number,
    error?: unknown,
  ): void {
    this._buffered -= cost;
    if (opcode === 10) {
      this._pongInFlight = false;
      const next = this._nextPong;
      this._nextPong = undefined;
      if (next !== undefined && error === undefined && !this._closeSent) {
        this._sendPong(next);
      }
    }
    this._drained(error);
  }

  /**
   * Answers a ping. While a pong is on its way, a newer ping only replaces
   * the one waiting for an answer (RFC 6455 section 5.5.3), so a peer that
   * pings and never reads gets one pong queued at a time.
   */
  protected _sendPong(data: Uint8Array): void {
    if (this._pongInFlight) {
      this._nextPong = data;
      return;
    }
    this._pongInFlight = true;
    this._sendControl(10, data);
  }

  /** Runs `job` after every job queued before it. */
  protected _schedule(job: () => void | Promise<void>): Promise<void> | void {
    if (this._busy || this._jobs !== undefined) {
      const done = withResolvers<void>();
      (this._jobs ??= new Queue()).push(() => {
        let result: void | Promise<void>;
        try {
          result = job();
        } catch (error) {
          done.reject(error);
          return;
        }
        if (result === undefined) return done.resolve();
        return result.then(done.resolve, done.reject);
      });
      return done.promise;
    }
    return this._ranNow(job());
  }

  /**
   * What `_schedule` returns for a job it ran at once: nothing for one done
   * already, else its promise, with later jobs waiting for it.
   */
  protected _ranNow(result: void | Promise<void>): Promise<void> | void {
    if (result === undefined) return;
    this._busy = true;
    return result.finally(() => this._runJobs());
  }

  protected _runJobs(): void {
    this._busy = false;
    let jobs: Queue<() => void | Promise<void>> | undefined;
    while ((jobs = this._jobs) !== undefined) {
      const job = jobs.shift()!;
      if (jobs.length === 0) this._jobs = undefined;
      const result = job();
      if (result !== undefined) {
        this._busy = true;
        const next = (): void => this._runJobs();
        result.then(next, next);
        return;
      }
    }
  }

  protected _sendData(
    opcode: number,
    payload: Uint8Array,
    cost: number,
  ): void | Promise<void> {
    if (this._state === "closed") {
      this._buffered -= cost;
      throw stateError("is closed");
    }
    const compressor = this._compressor;
    if (compressor === undefined || payload.length < compressor.threshold) {
      this._writeFrame(opcode, payload, false, cost);
      return;
    }
    return compressor.compress(payload).then((compressed) => {
      if (this._state === "closed") {
        this._buffered -= cost;
        throw stateError("is closed");
      }
      this._writeFrame(opcode, compressed, true, cost);
    }, (error) => {
      this._buffered -= cost;
      throw error;
    });
  }

  protected _afterHandOver(): Promise<void> {
    if (this._buffered <= this._maxBufferedBytes) return RESOLVED;
    if (this._state === "closed") {
      return Promise.reject(stateError("closed before the data was sent"));
    }
    const waiter = withResolvers<void>();
    (this._drainWaiters ??= []).push(waiter);
    return waiter.promise;
  }

  protected _send(data: WsSendData): Promise<void> {
    const state = this._state;
    if (state !== "open") {
      return handled(
        Promise.reject(
          stateError(state === "closed" ? "is closed" : "is closing"),
        ),
      );
    }
    const compressor = this._compressor;
    let opcode = 2;
    let payload: Uint8Array | undefined;
    let cost: number;
    if (typeof data === "string") {
      if (
        !this._isClient && compressor === undefined && !this._busy &&
        this._jobs === undefined && this._sendTextDirect(data)
      ) {
        return this._afterHandOver();
      }
      opcode = 1;
      payload = encoder.encode(data);
      cost = payload.length + FRAME_OVERHEAD;
    } else if (data instanceof Uint8Array) {
      payload = data;
      cost = data.length + FRAME_OVERHEAD;
    } else if (ArrayBuffer.isView(data)) {
      payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      cost = payload.length + FRAME_OVERHEAD;
    } else if (data instanceof ArrayBuffer) {
      payload = new Uint8Array(data);
      cost = payload.length + FRAME_OVERHEAD;
    } else if (data instanceof Blob) {
      cost = data.size + FRAME_OVERHEAD;
    } else {
      return handled(Promise.reject(
        new TypeError(
          "Cannot send message: data is not a string, ArrayBuffer, ArrayBufferView or Blob",
        ),
      ));
    }
    if (
      payload !== undefined && typeof data !== "string" &&
      (this._busy || this._jobs !== undefined ||
        (compressor !== undefined && payload.length >= compressor.threshold))
    ) {
      // The bytes are read later: the caller's buffer may change by then.
      payload = payload.slice();
    }
    this._buffered += cost;
    let handedOver: Promise<void> | void;
    try {
      handedOver = payload === undefined
        ? this._schedule(async () => {
          const bytes = new Uint8Array(await (data as Blob).arrayBuffer());
          return this._sendData(2, bytes, cost);
        })
        : this._busy || this._jobs !== undefined
        ? this._schedule(() => this._sendData(opcode, payload, cost))
        // Nothing queued (the usual case): no job to make.
        : this._ranNow(this._sendData(opcode, payload, cost));
    } catch (error) {
      return handled(Promise.reject(error));
    }
    if (handedOver === undefined) return this._afterHandOver();
    return handled(handedOver.then(() => this._afterHandOver()));
  }

  /**
   * Queues a ping or pong; its bytes count in `bufferedAmount` (and so
   * against `maxBufferedBytes`) until written.
   */
  protected _sendControl(opcode: number, payload: Uint8Array): void {
    const cost = payload.length + (this._isClient ? 6 : 2) + FRAME_OVERHEAD;
    this._buffered += cost;
    const result = this._schedule((): void => {
      if (this._state === "closed" || this._transportClosed) {
        this._onControlWritten(opcode, cost);
        return;
      }
      this._writeFrame(
        opcode,
        payload,
        false,
        0,
        (error) => this._onControlWritten(opcode, cost, error),
      );
    });
    if (result !== undefined) result.catch(ignore);
  }

  /** Sends our close frame (once), in order after every queued message. */
  protected _sendClose(
    code: number | undefined,
    reason: string,
  ): Promise<void> {
    this._closeSent = true;
    const payload = code === undefined
      ? EMPTY
      : encodeClosePayload(code, reason);
    const written = withResolvers<void>();
    // The frame counts in `bufferedAmount` until written.
    const cost = payload.length + (this._isClient ? 6 : 2) + FRAME_OVERHEAD;
    this._buffered += cost;
    const done = (): void => {
      this._buffered -= cost;
      written.resolve();
    };
    const result = this._schedule(() => {
      if (this._transportClosed) return done();
      this._writeFrame(8, payload, false, 0, done);
    });
    if (result !== undefined) result.then(undefined, done);
    this._closeWritten = written.promise;
    return written.promise;
  }
}
