// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a `WsConnection` run by serverpush's own codec over any byte
// duplex (a Deno TCP or TLS connection, or an in-memory pair in tests), for
// either role. Used by `serveWebSocket` and by the codec client engine.

import {
  type ByteDuplex,
  byteSink,
  byteSource,
  type WriteCallback,
} from "./_byte_io.ts";
import type { WsCompressor } from "./compressor.ts";
import type { WsCloseInfo, WsConnection, WsSendData } from "./connection.ts";
import { encodeClosePayload } from "./encode_close_payload.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";
import { createFrameEncoder } from "./frame_encoder.ts";
import type { WsFrame } from "./frame.ts";
import { headerLength, writeHeader } from "./_frame_header.ts";
import { createFrameParser } from "./frame_parser.ts";
import { parseClosePayload } from "./parse_close_payload.ts";
import type { WsMessage } from "./message.ts";
import { WsMessageDecoderStream } from "./message_decoder_stream.ts";
import { WsProtocolError } from "./protocol_error.ts";
import type { HeartbeatTiming } from "./_heartbeat.ts";
import {
  checkConnectionOptions,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_UNREAD_BYTES,
  fitCloseReason,
  type SocketConnectionOptions,
  UNREAD_MESSAGE_OVERHEAD,
} from "./_socket_connection.ts";

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

/** Headroom of the frame size limit over the message size limit. */
const FRAME_HEADROOM = 64 * 1024;
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
let slab = new Uint8Array(0);
let slabPos = 0;
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
const EMPTY = new Uint8Array(0);
// Shared by every connection: a whole-message decode keeps no state.
/** Checks text strictly, for text the lenient decoder may have changed. */
const strictDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});
/** The fast decoder; its output is checked for U+FFFD. */
const looseDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
/** What `send()` returns when the data fits under `maxBufferedBytes`. */
const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();

/** Marks a promise's rejection as handled while keeping it for awaiters. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/**
 * Intentionally empty: used where a failure is already reported through
 * `closed` (a write or read on a transport that went away), so the promise
 * that carried it must not become an unhandled rejection.
 */
function ignore(): void {}

function stateError(state: string): DOMException {
  return new DOMException(
    `Cannot send message: the connection ${state}`,
    "InvalidStateError",
  );
}

function sleep(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
    timer = setTimeout(r, ms);
  });
  return {
    promise,
    cancel(): void {
      clearTimeout(timer);
      resolve();
    },
  };
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
 * - A peer's ping is answered with a pong carrying the same data. A peer's
 *   close is answered with a close frame carrying its code. A server then
 *   drops the transport once the frame is written (RFC 6455 section 7.1.1);
 *   a client ends its sending direction (TCP FIN) and waits up to
 *   `closeTimeout` for the server's end of stream.
 * - `close()` sends a close frame and waits up to `closeTimeout` for the
 *   peer's; without one, `closed` resolves with 1006 and the transport is
 *   dropped.
 * - A protocol violation (a `WsProtocolError` from the decoders) sends a
 *   close frame with its close code and a short reason; `closed` resolves
 *   with that code and `wasClean: false`.
 * - With `heartbeat`, a ping goes out once the peer has been silent for
 *   `interval` ms (checked every `interval` ms, so after one to two
 *   intervals of silence); when nothing at all arrives within `timeout` ms
 *   of it, the connection closes with 1001 at once (the peer is presumed
 *   gone). While reading is paused for backpressure no ping is sent.
 * - `send()` encodes (and compresses) in order, hands the frame to the
 *   writer and resolves once `bufferedAmount` (bytes accepted by `send()`
 *   and not yet written to the transport) is at or below
 *   `maxBufferedBytes`. It rejects with an `InvalidStateError`
 *   `DOMException` once the connection is closing (marked handled).
 * - `closed` resolves only once the transport is closed and every read and
 *   write on it has settled.
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
  const role = options.role;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxBufferedBytes = options.maxBufferedBytes ??
    DEFAULT_MAX_BUFFERED_BYTES;
  const maxUnreadBytes = options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES;
  const closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  const heartbeat = options.heartbeat;
  const compressor = options.compressor;
  const isClient = role === "client";

  // ---- state ----
  /** "open" → "closing" (our close frame sent) → "closed" (tearing down). */
  let state: "open" | "closing" | "closed" = "open";
  let closeSent = false;
  let transportClosed = false;
  let closeTimer: ReturnType<typeof setTimeout> | undefined;
  let closing: Promise<void> | undefined;
  const closedResolvers = Promise.withResolvers<WsCloseInfo>();
  const inputEnded = Promise.withResolvers<void>();

  // ---- output ----
  const sink = byteSink(duplex);
  let buffered = 0;
  /** Settles once our close frame is written (or could not be). */
  let closeWritten: Promise<void> = Promise.resolve();
  let drainWaiters: PromiseWithResolvers<void>[] = [];
  /** Jobs waiting behind an asynchronous one (compression, Blob reading). */
  const jobs: (() => void | Promise<void>)[] = [];
  let busy = false;
  const frameEncoder = createFrameEncoder({ role });
  // `write` is done with the bytes once it resolves (they are in the
  // kernel); a writable stream may pass the very chunk on to its reader.
  const poolFrames = duplex.write !== undefined;

  /**
   * Queues a server's uncompressed text frame encoded straight from `text`
   * (into a slab for short text, a pooled buffer for long ASCII text: one
   * buffer instead of two); returns `false` when the text is long and not
   * ASCII (then the usual path runs).
   */
  function sendTextDirect(text: string): boolean {
    const worst = MAX_SERVER_HEADER + 3 * text.length;
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
      const cost = frame.length;
      buffered += cost;
      sink.write(frame, (error) => {
        buffered -= cost;
        drained(error);
      }, true);
      return true;
    }
    const large = poolFrames && text.length <= LARGE_POOLED_TEXT_CHARS;
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
    const cost = frame.length;
    buffered += cost;
    sink.write(frame, (error) => {
      if (large) giveLargeBuffer(out);
      buffered -= cost;
      drained(error);
    });
    return true;
  }

  function drained(error?: unknown): void {
    if (error !== undefined) {
      void abort(error);
      return;
    }
    if (buffered <= maxBufferedBytes && drainWaiters.length > 0) {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  /** Writes one frame; `cost` is what it added to `buffered`. */
  function writeFrame(
    opcode: number,
    payload: Uint8Array,
    rsv1: boolean,
    cost: number,
    done?: WriteCallback,
  ): void {
    const bytes = frameEncoder.encode({
      fin: true,
      rsv1,
      rsv2: false,
      rsv3: false,
      opcode,
      payload,
    });
    writeBytes(bytes, cost, done);
  }

  /** Queues an encoded frame; `cost` is what it added to `buffered`. */
  function writeBytes(
    bytes: Uint8Array,
    cost: number,
    done?: WriteCallback,
  ): void {
    if (cost === 0) {
      sink.write(bytes, done ?? onControlWritten);
      return;
    }
    sink.write(bytes, (error) => {
      buffered -= cost;
      drained(error);
    });
  }

  function onControlWritten(error?: unknown): void {
    if (error !== undefined) void abort(error);
  }

  /** Runs `job` after every job queued before it. */
  function schedule(job: () => void | Promise<void>): Promise<void> | void {
    if (busy || jobs.length > 0) {
      const done = Promise.withResolvers<void>();
      jobs.push(() => {
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
    const result = job();
    if (result === undefined) return;
    busy = true;
    return result.finally(runJobs);
  }

  function runJobs(): void {
    busy = false;
    while (jobs.length > 0) {
      const result = jobs.shift()!();
      if (result !== undefined) {
        busy = true;
        result.then(runJobs, runJobs);
        return;
      }
    }
  }

  function sendData(
    opcode: number,
    payload: Uint8Array,
    cost: number,
  ): void | Promise<void> {
    if (state === "closed") {
      buffered -= cost;
      throw stateError("is closed");
    }
    if (compressor === undefined || payload.length < compressor.threshold) {
      writeFrame(opcode, payload, false, cost);
      return;
    }
    return compressor.compress(payload).then((compressed) => {
      if (state === "closed") {
        buffered -= cost;
        throw stateError("is closed");
      }
      writeFrame(opcode, compressed, true, cost);
    }, (error) => {
      buffered -= cost;
      throw error;
    });
  }

  function afterHandOver(): Promise<void> {
    if (buffered <= maxBufferedBytes) return RESOLVED;
    if (state === "closed") {
      return Promise.reject(stateError("closed before the data was sent"));
    }
    const waiter = Promise.withResolvers<void>();
    drainWaiters.push(waiter);
    return waiter.promise;
  }

  function send(data: WsSendData): Promise<void> {
    if (state !== "open") {
      return handled(
        Promise.reject(
          stateError(state === "closed" ? "is closed" : "is closing"),
        ),
      );
    }
    let opcode = 2;
    let payload: Uint8Array | undefined;
    let cost: number;
    if (typeof data === "string") {
      if (
        !isClient && compressor === undefined && !busy && jobs.length === 0 &&
        sendTextDirect(data)
      ) {
        return afterHandOver();
      }
      opcode = 1;
      payload = encoder.encode(data);
      cost = payload.length;
    } else if (data instanceof Uint8Array) {
      payload = data;
      cost = data.length;
    } else if (ArrayBuffer.isView(data)) {
      payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      cost = payload.length;
    } else if (data instanceof ArrayBuffer) {
      payload = new Uint8Array(data);
      cost = payload.length;
    } else if (data instanceof Blob) {
      cost = data.size;
    } else {
      return handled(Promise.reject(
        new TypeError(
          "Cannot send message: data is not a string, ArrayBuffer, ArrayBufferView or Blob",
        ),
      ));
    }
    if (
      payload !== undefined && typeof data !== "string" &&
      (busy || jobs.length > 0 ||
        (compressor !== undefined && payload.length >= compressor.threshold))
    ) {
      // The bytes are read later: the caller's buffer may change by then.
      payload = payload.slice();
    }
    buffered += cost;
    let handedOver: Promise<void> | void;
    try {
      handedOver = payload !== undefined
        ? schedule(() => sendData(opcode, payload, cost))
        : schedule(async () => {
          const bytes = new Uint8Array(await (data as Blob).arrayBuffer());
          return sendData(2, bytes, cost);
        });
    } catch (error) {
      return handled(Promise.reject(error));
    }
    if (handedOver === undefined) return afterHandOver();
    return handled(handedOver.then(afterHandOver));
  }

  function sendControl(opcode: number, payload: Uint8Array): void {
    const job = (): void => {
      if (state === "closed" || transportClosed) return;
      writeFrame(opcode, payload, false, 0);
    };
    const result = schedule(job);
    if (result !== undefined) result.catch(ignore);
  }

  /** Sends our close frame (once), in order after every queued message. */
  function sendClose(code: number | undefined, reason: string): Promise<void> {
    closeSent = true;
    const payload = code === undefined
      ? EMPTY
      : encodeClosePayload(code, reason);
    const written = Promise.withResolvers<void>();
    const result = schedule(() => {
      if (transportClosed) return written.resolve();
      writeFrame(8, payload, false, 0, () => written.resolve());
    });
    if (result !== undefined) result.then(undefined, written.resolve);
    closeWritten = written.promise;
    return written.promise;
  }

  // ---- input ----
  // A server reading a Deno connection reads into one reused buffer, and its
  // parser unmasks payloads in place there: a text message is decoded
  // before the next read, and anything that outlives the chunk (a binary
  // message, a fragment, a ping's data) is copied out by `own`. A client's
  // payloads are views into the chunk: they get chunks of their own. So do
  // chunks from a stream (whose writer may still hold them).
  const lend = !isClient && duplex.read !== undefined;
  const source = byteSource(duplex, { lend });
  const fill = source.fill;
  /** A payload as memory of its own (it may be a view into a lent chunk). */
  function own(payload: Uint8Array): Uint8Array {
    return lend ? payload.slice() : payload;
  }
  /** Frames the parser completed from the current chunk. */
  let parsed: WsFrame[] = [];
  const parser = createFrameParser((frame) => void parsed.push(frame), {
    role,
    maxFrameBytes: maxMessageBytes + FRAME_HEADROOM,
    allowRsv1: compressor !== undefined,
    inPlace: lend,
  });
  // Whole, uncompressed one-frame messages and control frames are handled
  // here; fragmented and compressed messages go through the message decoder
  // stream, one frame at a time, which keeps them in order. The stream is
  // made on the first such frame: most connections never need it.
  let assemblerWriter: WritableStreamDefaultWriter<WsFrame> | undefined;
  let assemblerReader: ReadableStreamDefaultReader<WsMessage> | undefined;
  let assembling = false;
  let pendingRead: Promise<ReadableStreamReadResult<WsMessage>> | undefined;
  let decoding = true;
  let peerClosed = false;
  let paused = false;
  let wake: (() => void) | undefined;

  // Messages go to the reader through a small queue of their own rather
  // than a ReadableStream: the connection's async iterator takes from it
  // directly (two promises fewer a message); `readable` is only made when
  // asked for, and then pulls from the same queue.
  /** Whether messages are still accepted (not cancelled, not torn down). */
  let readableOpen = true;
  /** Unread messages from `inboxHead` on; `unread` is their cost. */
  let inbox: (string | Uint8Array)[] = [];
  let inboxHead = 0;
  let unread = 0;
  /** No message will come anymore (once the queue is read). */
  let inboxEnded = false;
  /** A reader waiting for the next message. */
  let waiting:
    | PromiseWithResolvers<IteratorResult<string | Uint8Array, undefined>>
    | undefined;
  let stream: ReadableStream<string | Uint8Array> | undefined;
  /** Whether the fast async iterator holds the messages (a lock). */
  let iterating = false;
  /** Called once the fast iterator has yielded the end. */
  let releaseIterator: (() => void) | undefined;
  /** Locks `stream` while the fast iterator runs, when both exist. */
  let iteratorLock:
    | ReadableStreamDefaultReader<string | Uint8Array>
    | undefined;

  function cost(data: string | Uint8Array): number {
    return (typeof data === "string" ? data.length : data.byteLength) +
      UNREAD_MESSAGE_OVERHEAD;
  }

  /** The next message, or the end. */
  function take(): Promise<IteratorResult<string | Uint8Array, undefined>> {
    if (waiting !== undefined) {
      // Reads queue up behind the pending one, in order.
      return waiting.promise.then(take);
    }
    if (inboxHead < inbox.length) {
      const value = inbox[inboxHead]!;
      inbox[inboxHead++] = "";
      if (inboxHead === inbox.length) {
        inbox = [];
        inboxHead = 0;
      }
      unread -= cost(value);
      if (unread < maxUnreadBytes) wakeReceiver();
      return Promise.resolve({ value, done: false });
    }
    if (inboxEnded) {
      releaseIterator?.();
      return Promise.resolve({ value: undefined, done: true });
    }
    waiting = Promise.withResolvers();
    const promise = waiting.promise;
    wakeReceiver();
    return promise;
  }

  /** Ends the messages: queued ones can still be read. */
  function endInbox(): void {
    readableOpen = false;
    inboxEnded = true;
    const reader = waiting;
    if (reader === undefined) return;
    waiting = undefined;
    releaseIterator?.();
    reader.resolve({ value: undefined, done: true });
  }

  /** The reader gave up: drop the messages and close with 1000. */
  function cancelInbox(): void {
    if (inboxEnded && inboxHead === inbox.length) return;
    inbox = [];
    inboxHead = 0;
    unread = 0;
    endInbox();
    wakeReceiver();
    void close(1000).catch(ignore);
  }

  function makeStream(): ReadableStream<string | Uint8Array> {
    return new ReadableStream<string | Uint8Array>({
      async pull(controller): Promise<void> {
        const result = await take();
        if (!result.done) {
          controller.enqueue(result.value);
          return;
        }
        try {
          controller.close();
        } catch {
          // Cancelled meanwhile: already closed.
        }
      },
      cancel(): void {
        cancelInbox();
      },
    }, { highWaterMark: 0 });
  }

  /** The connection's async iterator, over the queue. */
  function iterate(): AsyncIterableIterator<string | Uint8Array> {
    if (stream !== undefined && !iterating) return stream.values();
    if (iterating) {
      throw new TypeError(
        "Cannot iterate connection: its messages are already being read",
      );
    }
    iterating = true;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      iterating = false;
      releaseIterator = undefined;
      iteratorLock?.releaseLock();
      iteratorLock = undefined;
    };
    releaseIterator = finish;
    return {
      next(): Promise<IteratorResult<string | Uint8Array, undefined>> {
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return take();
      },
      return(
        value?: unknown,
      ): Promise<IteratorResult<string | Uint8Array, undefined>> {
        if (!finished) {
          finish();
          cancelInbox();
        }
        return Promise.resolve({ value: value as undefined, done: true });
      },
      [Symbol.asyncIterator](): AsyncIterableIterator<string | Uint8Array> {
        return this;
      },
    };
  }

  function wakeReceiver(): void {
    const resume = wake;
    wake = undefined;
    resume?.();
  }

  function deliver(data: string | Uint8Array): void {
    if (!readableOpen || state === "closed") return;
    if (state === "closing" && unread >= maxUnreadBytes) return;
    const reader = waiting;
    if (reader !== undefined) {
      waiting = undefined;
      reader.resolve({ value: data, done: false });
      return;
    }
    inbox.push(data);
    unread += cost(data);
  }

  function onMessage(message: WsMessage): void {
    switch (message.type) {
      case "text":
      case "binary":
        deliver(message.data);
        break;
      case "ping":
        if (!closeSent) sendControl(10, message.data);
        break;
      case "pong":
        break;
      case "close":
        peerClosed = true;
        onPeerClose(message.code, message.reason);
        break;
    }
  }

  /** The data of a whole, uncompressed message in one frame. */
  function messageData(frame: WsFrame): string | Uint8Array {
    const payload = frame.payload;
    if (payload.length > maxMessageBytes) {
      throw new WsProtocolError(
        `Cannot decode message: message of ${payload.length} bytes exceeds maxMessageBytes of ${maxMessageBytes}`,
        { code: "message-too-large" },
      );
    }
    if (frame.opcode === 2) return own(payload);
    // The lenient decoder is the fast one; only text in which it put a
    // replacement character (maybe an invalid sequence) is checked strictly.
    let data = looseDecoder.decode(payload);
    if (!data.includes("\uFFFD")) return data;
    try {
      data = strictDecoder.decode(payload);
    } catch (cause) {
      throw new WsProtocolError(
        "Cannot decode message: text is not valid UTF-8",
        { code: "invalid-utf8", cause },
      );
    }
    return data;
  }

  /** A ping, pong or close frame (the parser checked its length and FIN). */
  function controlMessage(frame: WsFrame): WsMessage {
    if (frame.opcode === 9) return { type: "ping", data: own(frame.payload) };
    if (frame.opcode === 10) return { type: "pong", data: frame.payload };
    return { type: "close", ...parseClosePayload(frame.payload) };
  }

  /** Handles one frame; returns a promise when the assembler takes it. */
  function onFrame(frame: WsFrame): void | Promise<void> {
    if (peerClosed) return;
    const opcode = frame.opcode;
    if (!assembling && !frame.rsv1) {
      if (opcode === 8 || opcode === 9 || opcode === 10) {
        return onMessage(controlMessage(frame));
      }
      if (frame.fin && (opcode === 1 || opcode === 2)) {
        return deliver(messageData(frame));
      }
    }
    // The assembler may keep the payload past this chunk.
    return assemble(lend ? { ...frame, payload: own(frame.payload) } : frame);
  }

  async function assemble(frame: WsFrame): Promise<void> {
    const opcode = frame.opcode;
    // Whether the decoder yields a message for this frame: a control frame,
    // or the last frame of a message.
    const completes = opcode >= 8 || frame.fin;
    if (opcode < 8) assembling = !frame.fin;
    if (assemblerWriter === undefined || assemblerReader === undefined) {
      const assembler = new WsMessageDecoderStream({
        maxMessageBytes,
        ...(compressor === undefined ? {} : { compressor }),
      });
      assemblerWriter = assembler.writable.getWriter();
      assemblerReader = assembler.readable.getReader();
    }
    if (pendingRead === undefined) {
      pendingRead = assemblerReader.read();
      pendingRead.catch(ignore);
    }
    await assemblerWriter.write(frame);
    if (!completes) return;
    const result = await pendingRead;
    pendingRead = undefined;
    if (!result.done) onMessage(result.value);
  }

  /**
   * Parses a chunk and handles its frames, in order; returns a promise only
   * when a frame went to the assembler (the usual chunk is handled at once).
   */
  function decode(chunk: Uint8Array): void | Promise<void> {
    let failure: { error: unknown } | undefined;
    try {
      parser.push(chunk);
    } catch (error) {
      // The frames before the bad one are handled first.
      failure = { error };
    }
    const frames = parsed;
    parsed = [];
    for (let i = 0; i < frames.length; i++) {
      const pending = onFrame(frames[i]!);
      if (pending !== undefined) {
        return finishDecode(pending, frames, i + 1, failure);
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  /** The rest of {@linkcode decode} once a frame went to the assembler. */
  async function finishDecode(
    pending: Promise<void>,
    frames: WsFrame[],
    next: number,
    failure: { error: unknown } | undefined,
  ): Promise<void> {
    await pending;
    for (let i = next; i < frames.length; i++) {
      const more = onFrame(frames[i]!);
      if (more !== undefined) await more;
    }
    if (failure !== undefined) throw failure.error;
  }

  async function receive(): Promise<void> {
    let chunk = options.head !== undefined && options.head.length > 0
      ? options.head
      : undefined;
    try {
      while (true) {
        if (chunk === undefined) {
          while (
            state === "open" && readableOpen && unread >= maxUnreadBytes &&
            waiting === undefined
          ) {
            paused = true;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            paused = false;
          }
          chunk = fill !== undefined
            ? source.chunk!(await fill.call(source))
            : await source.read();
          if (chunk === undefined) break;
          heard = true;
          if (pongTimer !== undefined) markAlive();
        }
        if (decoding && !peerClosed) {
          try {
            const pending = decode(chunk);
            if (pending !== undefined) await pending;
          } catch (error) {
            // Keep reading (and discarding) so the peer's end of stream is
            // noticed.
            decoding = false;
            onInputError(error);
          }
        }
        chunk = undefined;
      }
    } catch {
      // The transport failed or was closed under us: reported as 1006.
    } finally {
      inputEnded.resolve();
    }
    onInputEnd();
  }

  // ---- closing ----
  function onPeerClose(code: number, reason: string): void {
    if (state === "closed") return;
    if (!closeSent) {
      // Echo the peer's code (RFC 6455 section 5.5.1); 1005 means none.
      void sendClose(code === 1005 ? undefined : code, "");
    }
    // A server drops the transport once the handshake is complete (RFC 6455
    // section 7.1.1); a client lets the server go first.
    void teardown(
      { code, reason, wasClean: true },
      isClient ? "drain" : "flush",
    );
  }

  function onInputError(error: unknown): void {
    if (state === "closed") return;
    if (error instanceof WsProtocolError && error.closeCode !== 1006) {
      const reason = fitCloseReason(error.message);
      if (!closeSent) void sendClose(error.closeCode, reason);
      void teardown(
        { code: error.closeCode, reason, wasClean: false },
        "drain",
      );
      return;
    }
    void teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  function onInputEnd(): void {
    if (state === "closed") return;
    void teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  function abort(_error: unknown): void {
    if (state === "closed") return;
    void teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  /**
   * Ends the connection. `"flush"` first waits (up to `closeTimeout`) for
   * our close frame to be written; `"drain"` also ends our sending direction
   * and waits for the peer's end of stream, so that its last bytes are read
   * rather than answered with a TCP reset. Then the transport is closed and
   * everything settles.
   */
  async function teardown(
    info: WsCloseInfo,
    mode: "drop" | "flush" | "drain",
  ): Promise<void> {
    if (state === "closed") return;
    state = "closed";
    stopHeartbeat();
    clearTimeout(closeTimer);
    if (readableOpen) endInbox();
    wakeReceiver();
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const waiter of waiters) {
      handled(waiter.promise);
      waiter.reject(stateError("closed before the data was sent"));
    }
    if (mode !== "drop") {
      const deadline = sleep(closeTimeout);
      await Promise.race([closeWritten, deadline.promise]);
      if (mode === "drain") {
        if (duplex.closeWrite !== undefined) {
          await Promise.race([
            duplex.closeWrite().catch(ignore),
            deadline.promise,
          ]);
        }
        await Promise.race([inputEnded.promise, deadline.promise]);
      }
      deadline.cancel();
    }
    transportClosed = true;
    source.cancel();
    assemblerReader?.cancel().catch(ignore);
    sink.abort();
    try {
      duplex.close();
    } catch {
      // Already closed: cancelling a Deno connection's readable closes it.
    }
    compressor?.close?.();
    await receiving;
    closedResolvers.resolve(info);
  }

  function close(code?: number, reason?: string): Promise<void> {
    if (closing !== undefined) return closing;
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
    const done = closedResolvers.promise.then(() => {});
    closing = done;
    if (state !== "open" || closeSent) return done;
    state = "closing";
    wakeReceiver();
    void sendClose(code, reason ?? "");
    closeTimer = setTimeout(() => {
      // Without the peer's close frame (which tears down through
      // onPeerClose) in time, drop the connection.
      void teardown({ code: 1006, reason: "", wasClean: false }, "drop");
    }, closeTimeout);
    return done;
  }

  // ---- heartbeat ----
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether anything arrived since the last tick of the heartbeat. */
  let heard = false;
  function stopHeartbeat(): void {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    pongTimer = undefined;
  }
  /** Anything from the peer proves it is there: stop waiting for a pong. */
  function markAlive(): void {
    clearTimeout(pongTimer);
    pongTimer = undefined;
  }
  function onPongTimeout(): void {
    pongTimer = undefined;
    if (paused || state !== "open") return;
    const reason =
      "Cannot keep connection: nothing arrived within the heartbeat timeout";
    void sendClose(1001, reason);
    void teardown({ code: 1001, reason, wasClean: false }, "drop");
  }
  if (heartbeat !== undefined && heartbeat.interval > 0) {
    const timing = heartbeat;
    pingTimer = setInterval(() => {
      if (state !== "open" || pongTimer !== undefined) return;
      if (heard || paused) {
        heard = false;
        return;
      }
      sendControl(9, EMPTY);
      pongTimer = setTimeout(onPongTimeout, timing.timeout);
    }, timing.interval);
  }

  const receiving = receive();

  return {
    get readable(): ReadableStream<string | Uint8Array> {
      if (stream === undefined) {
        stream = makeStream();
        // The fast iterator holds the messages: the stream shows as locked.
        if (iterating) iteratorLock = stream.getReader();
      }
      return stream;
    },
    send,
    close,
    closed: closedResolvers.promise,
    protocol: options.protocol ?? "",
    extensions: options.extensions ?? "",
    get bufferedAmount(): number {
      return buffered;
    },
    ...(options.remoteAddr === undefined
      ? {}
      : { remoteAddr: options.remoteAddr }),
    [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array> {
      return iterate();
    },
  };
}
