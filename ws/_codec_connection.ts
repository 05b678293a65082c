// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a `WsConnection` run by serverpush's own codec over any byte
// duplex (a Deno TCP or TLS connection, or an in-memory pair in tests), for
// either role. Used by `serveWebSocket` and by the codec client engine.

import {
  type ByteDuplex,
  type ByteSink,
  byteSink,
  type ByteSource,
  byteSource,
  type WriteCallback,
} from "./_byte_io.ts";
import type { WsCompressor } from "./compressor.ts";
import type { WsCloseInfo, WsConnection, WsSendData } from "./connection.ts";
import { encodeClosePayload } from "./encode_close_payload.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";
import { createFrameEncoder, type WsFrameEncoder } from "./frame_encoder.ts";
import type { WsFrame } from "./frame.ts";
import { headerLength, writeHeader } from "./_frame_header.ts";
import { createFrameParser, type WsFrameParser } from "./frame_parser.ts";
import { parseClosePayload } from "./parse_close_payload.ts";
import { appendToMessage, finishMessage } from "./_message_buffer.ts";
import { checkUtf8, UTF8_ACCEPT, UTF8_REJECT } from "./_utf8.ts";
import type { WsMessage } from "./message.ts";
import { WsMessageDecoderStream } from "./message_decoder_stream.ts";
import { WsProtocolError } from "./protocol_error.ts";
import type { HeartbeatTiming } from "./_heartbeat.ts";
import { joinTicker, leaveTicker, type Tickable } from "./_ticker.ts";
import {
  DirectIterator,
  type IteratorHost,
  type MessageResult,
  NEXT,
  RETURN,
} from "./_direct_iterator.ts";
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
  return new CodecConnection(duplex, options);
}

// Encoders shared by every connection (made on first use): an encoder keeps
// nothing between frames but a slab that small frames are carved from, and
// one per connection would hold a 64 KiB slab for each that ever sent a
// frame through it. The sink copies a slab frame that has to wait behind
// another write, so a slow peer never holds a slab.
let serverEncoder: WsFrameEncoder | undefined;
let clientEncoder: WsFrameEncoder | undefined;

/** Frames the parser of the connection decoding right now completed. */
let parsed: WsFrame[] = [];
/**
 * The `onFrame` of every connection's parser: `parser.push()` runs no other
 * code, so the frames it completed are taken from `parsed` right after.
 */
function collectFrame(frame: WsFrame): void {
  parsed.push(frame);
}

/**
 * An uncompressed fragmented message being received: one buffer that grows
 * by doubling (so at most twice the bytes so far, and at most
 * `maxMessageBytes`), and where the UTF-8 check of a text message stands.
 */
interface MessageInProgress {
  text: boolean;
  buffer: Uint8Array | undefined;
  length: number;
  utf8: number;
}

function expectedContinuation(opcode: number): WsProtocolError {
  return new WsProtocolError(
    `Cannot decode message: a frame with opcode ${opcode} arrived while a fragmented message was in progress`,
    { code: "expected-continuation" },
  );
}

function invalidUtf8(): WsProtocolError {
  return new WsProtocolError(
    "Cannot decode message: text is not valid UTF-8",
    { code: "invalid-utf8" },
  );
}

/** What an unread message costs against `maxUnreadBytes`. */
function unreadCost(data: string | Uint8Array): number {
  return (typeof data === "string" ? data.length : data.byteLength) +
    UNREAD_MESSAGE_OVERHEAD;
}

type Read = MessageResult;

/**
 * The connection of {@linkcode codecConnection}: its state in fields, its
 * logic in shared methods. Whatever most connections never need (the queue
 * of unread messages, the waiters for the buffer to drain, the queue of
 * asynchronous jobs, the frame parser before the first byte, the message
 * decoder stream, the heartbeat's pong timer) is made on first use; the
 * heartbeat's ticks come from one timer per interval shared by every
 * connection (see `_ticker.ts`).
 */
class CodecConnection implements WsConnection, IteratorHost {
  readonly send: (data: WsSendData) => Promise<void>;
  readonly close: (code?: number, reason?: string) => Promise<void>;
  readonly protocol: string;
  readonly extensions: string;
  declare remoteAddr?: { hostname: string; port: number };

  #duplex: ByteDuplex;
  #isClient: boolean;
  #maxMessageBytes: number;
  #maxBufferedBytes: number;
  #maxUnreadBytes: number;
  #closeTimeout: number;
  #compressor: (WsCompressor & { close?(): void }) | undefined;

  // ---- state ----
  /** "open" → "closing" (our close frame sent) → "closed" (tearing down). */
  #state: "open" | "closing" | "closed" = "open";
  #closeSent = false;
  #transportClosed = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;
  /** `closed`, made when first asked for (or settled, at the end). */
  #closed: Promise<WsCloseInfo> | undefined;
  #resolveClosed: ((info: WsCloseInfo) => void) | undefined;
  /** Whether reading has stopped: the end of input, or a read failed. */
  #inputEnded = false;
  /** Made only when a teardown waits for the input to end. */
  #onInputEnded: (() => void) | undefined;

  // ---- output ----
  #sink: ByteSink;
  #buffered = 0;
  /** Settles once our close frame is written (or could not be). */
  #closeWritten: Promise<void> | undefined;
  /**
   * `send()` calls waiting for `bufferedAmount` to come down (`undefined`
   * rather than empty).
   */
  #drainWaiters: PromiseWithResolvers<void>[] | undefined;
  /**
   * Jobs waiting behind an asynchronous one (compression, Blob reading;
   * `undefined` rather than empty).
   */
  #jobs: (() => void | Promise<void>)[] | undefined;
  #busy = false;

  // ---- input ----
  // A server reading a Deno connection reads into one reused buffer, and its
  // parser unmasks payloads in place there: a text message is decoded
  // before the next read, and anything that outlives the chunk (a binary
  // message, a fragment, a ping's data) is copied out by `#own`. A client's
  // payloads are views into the chunk: they get chunks of their own. So do
  // chunks from a stream (whose writer may still hold them).
  #lend: boolean;
  #source: ByteSource;
  /** What a read settles with: bound once, for every read. */
  #onRead: (result: number | null | Uint8Array | undefined) => void;
  #onReadFailed: () => void;
  /** Made on the first bytes. */
  #parser: WsFrameParser | undefined;
  // Whole, uncompressed one-frame messages and control frames are handled
  // here; fragmented and compressed messages go through the message decoder
  // stream, one frame at a time, which keeps them in order. The stream is
  // made on the first such frame: most connections never need it.
  #assemblerWriter: WritableStreamDefaultWriter<WsFrame> | undefined;
  #assemblerReader: ReadableStreamDefaultReader<WsMessage> | undefined;
  #assembling = false;
  #pendingRead: Promise<ReadableStreamReadResult<WsMessage>> | undefined;
  /** An uncompressed fragmented message in progress (assembled here). */
  #message: MessageInProgress | undefined;
  /**
   * Payload bytes of the frame in progress already checked as UTF-8 (a
   * text frame arriving in pieces), and the check's state after them.
   */
  #partialChecked = 0;
  #partialUtf8 = UTF8_ACCEPT;
  /**
   * A protocol error held back until the reader has taken, and could
   * answer, the messages that came before it (at most `closeTimeout`).
   */
  #failLater:
    | { error: unknown; timer: ReturnType<typeof setTimeout> }
    | undefined;
  /** A reader got messages and has not asked for the next one since. */
  #unanswered = false;
  /** Whether a pong is on its way (queued or being written). */
  #pongInFlight = false;
  /** The latest ping that came meanwhile: answered once that pong is out. */
  #nextPong: Uint8Array | undefined;
  #decoding = true;
  #peerClosed = false;
  #paused = false;
  #wake: (() => void) | undefined;

  // Messages go to the reader through a small queue of their own rather
  // than a ReadableStream: the connection's async iterator takes from it
  // directly (two promises fewer a message); `readable` is only made when
  // asked for, and then pulls from the same queue.
  /** Whether messages are still accepted (not cancelled, not torn down). */
  #readableOpen = true;
  /**
   * Unread messages from `#inboxHead` on (`undefined` rather than empty:
   * made on the first message that has to wait, dropped once all are
   * read); `#unread` is their cost.
   */
  #inbox: (string | Uint8Array)[] | undefined;
  #inboxHead = 0;
  #unread = 0;
  /** No message will come anymore (once the queue is read). */
  #inboxEnded = false;
  /** What a reader waiting for the next message gets, and its resolver. */
  #waiting: Promise<Read> | undefined;
  #resolveWaiting: ((result: Read) => void) | undefined;
  #stream: ReadableStream<string | Uint8Array> | undefined;
  /** The fast async iterator, while it holds the messages (a lock). */
  #iterator: DirectIterator | undefined;
  /** Locks `#stream` while the fast iterator runs, when both exist. */
  #iteratorLock:
    | ReadableStreamDefaultReader<string | Uint8Array>
    | undefined;

  // ---- heartbeat ----
  #heartbeat: HeartbeatTiming | undefined;
  /** This connection's member of the heartbeat's shared ticker. */
  #ticked: Tickable | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether anything arrived since the last tick of the heartbeat. */
  #heard = false;

  constructor(duplex: ByteDuplex, options: CodecConnectionOptions) {
    checkConnectionOptions(options);
    const isClient = options.role === "client";
    this.#duplex = duplex;
    this.#isClient = isClient;
    this.#maxMessageBytes = options.maxMessageBytes ??
      DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxBufferedBytes = options.maxBufferedBytes ??
      DEFAULT_MAX_BUFFERED_BYTES;
    this.#maxUnreadBytes = options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES;
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.#compressor = options.compressor;
    this.protocol = options.protocol ?? "";
    this.extensions = options.extensions ?? "";
    if (options.remoteAddr !== undefined) this.remoteAddr = options.remoteAddr;
    this.send = (data) => this.#send(data);
    this.close = (code, reason) => this.#close(code, reason);
    this.#sink = byteSink(duplex);
    const lend = !isClient && duplex.read !== undefined;
    this.#lend = lend;
    this.#source = byteSource(duplex, { lend });
    this.#onRead = (result) => this.#received(result);
    this.#onReadFailed = () => this.#endInput();
    const heartbeat = options.heartbeat;
    if (heartbeat !== undefined && heartbeat.interval > 0) {
      // The shared timer's first tick may come at once: count it as heard,
      // so a ping needs a whole period of silence.
      this.#heard = true;
      this.#heartbeat = heartbeat;
      joinTicker(
        heartbeat.interval,
        this.#ticked = {
          tick: () => this.#onHeartbeat(),
        },
      );
    }
    const head = options.head;
    this.#receive(head !== undefined && head.length > 0 ? head : undefined);
  }

  get readable(): ReadableStream<string | Uint8Array> {
    if (this.#stream === undefined) {
      this.#stream = this.#makeStream();
      // The fast iterator holds the messages: the stream shows as locked.
      if (this.#iterator !== undefined) {
        this.#iteratorLock = this.#stream.getReader();
      }
    }
    return this.#stream;
  }

  get closed(): Promise<WsCloseInfo> {
    if (this.#closed === undefined) {
      const { promise, resolve } = Promise.withResolvers<WsCloseInfo>();
      this.#closed = promise;
      this.#resolveClosed = resolve;
    }
    return this.#closed;
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** The connection's async iterator, over the queue. */
  [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array> {
    if (this.#stream !== undefined && this.#iterator === undefined) {
      return this.#stream.values();
    }
    if (this.#iterator !== undefined) {
      throw new TypeError(
        "Cannot iterate connection: its messages are already being read",
      );
    }
    const iterator = new DirectIterator(this);
    this.#iterator = iterator;
    return iterator;
  }

  [NEXT](iterator: DirectIterator): Promise<Read> {
    if (iterator.done) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return this.#take();
  }

  [RETURN](iterator: DirectIterator, value: unknown): Promise<Read> {
    if (!iterator.done) {
      this.#finishIterator(iterator);
      this.#cancelInbox();
    }
    return Promise.resolve({ value: value as undefined, done: true });
  }

  /** The fast iterator is done: it releases the messages (and the lock). */
  #finishIterator(iterator: DirectIterator): void {
    if (iterator.done) return;
    iterator.done = true;
    this.#iterator = undefined;
    this.#iteratorLock?.releaseLock();
    this.#iteratorLock = undefined;
  }

  /** Called once the messages have ended: the fast iterator is done. */
  #releaseIterator(): void {
    const iterator = this.#iterator;
    if (iterator !== undefined) this.#finishIterator(iterator);
  }

  // ---- output ----

  /**
   * Queues a server's uncompressed text frame encoded straight from `text`
   * (into a slab for short text, a pooled buffer for long ASCII text: one
   * buffer instead of two); returns `false` when the text is long and not
   * ASCII (then the usual path runs).
   */
  #sendTextDirect(text: string): boolean {
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
      this.#buffered += cost;
      this.#sink.write(frame, (error) => {
        this.#buffered -= cost;
        this.#drained(error);
      }, true);
      return true;
    }
    // `write` is done with the bytes once it resolves (they are in the
    // kernel); a writable stream may pass the very chunk on to its reader.
    const large = this.#duplex.write !== undefined &&
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
    const cost = frame.length;
    this.#buffered += cost;
    this.#sink.write(frame, (error) => {
      if (large) giveLargeBuffer(out);
      this.#buffered -= cost;
      this.#drained(error);
    });
    return true;
  }

  #drained(error?: unknown): void {
    if (error !== undefined) {
      this.#abort(error);
      return;
    }
    if (this.#buffered > this.#maxBufferedBytes) return;
    const waiters = this.#drainWaiters;
    if (waiters !== undefined) {
      this.#drainWaiters = undefined;
      for (const waiter of waiters) waiter.resolve();
    }
    // Reading stopped while too much was queued for the peer.
    if (this.#wake !== undefined) this.#wakeReceiver();
  }

  /** Writes one frame; `cost` is what it added to `buffered`. */
  #writeFrame(
    opcode: number,
    payload: Uint8Array,
    rsv1: boolean,
    cost: number,
    done?: WriteCallback,
  ): void {
    const frameEncoder = this.#isClient
      ? clientEncoder ??= createFrameEncoder({ role: "client" })
      : serverEncoder ??= createFrameEncoder({ role: "server" });
    const bytes = frameEncoder.encode({
      fin: true,
      rsv1,
      rsv2: false,
      rsv3: false,
      opcode,
      payload,
    });
    // A small frame is a view into the encoder's slab.
    const shared = bytes.byteLength < bytes.buffer.byteLength;
    if (cost === 0) {
      this.#sink.write(
        bytes,
        done,
        shared,
      );
      return;
    }
    this.#sink.write(bytes, (error) => {
      this.#buffered -= cost;
      this.#drained(error);
    }, shared);
  }

  /** A control frame of `cost` bytes was written (or dropped). */
  #onControlWritten(opcode: number, cost: number, error?: unknown): void {
    this.#buffered -= cost;
    if (opcode === 10) {
      this.#pongInFlight = false;
      const next = this.#nextPong;
      this.#nextPong = undefined;
      if (next !== undefined && error === undefined && !this.#closeSent) {
        this.#sendPong(next);
      }
    }
    this.#drained(error);
  }

  /**
   * Answers a ping. While a pong is on its way, a newer ping only replaces
   * the one waiting for an answer (RFC 6455 section 5.5.3), so a peer that
   * pings and never reads gets one pong queued at a time.
   */
  #sendPong(data: Uint8Array): void {
    if (this.#pongInFlight) {
      this.#nextPong = data;
      return;
    }
    this.#pongInFlight = true;
    this.#sendControl(10, data);
  }

  /** Runs `job` after every job queued before it. */
  #schedule(job: () => void | Promise<void>): Promise<void> | void {
    if (this.#busy || this.#jobs !== undefined) {
      const done = Promise.withResolvers<void>();
      (this.#jobs ??= []).push(() => {
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
    this.#busy = true;
    return result.finally(() => this.#runJobs());
  }

  #runJobs(): void {
    this.#busy = false;
    let jobs: (() => void | Promise<void>)[] | undefined;
    while ((jobs = this.#jobs) !== undefined) {
      const job = jobs.shift()!;
      if (jobs.length === 0) this.#jobs = undefined;
      const result = job();
      if (result !== undefined) {
        this.#busy = true;
        const next = (): void => this.#runJobs();
        result.then(next, next);
        return;
      }
    }
  }

  #sendData(
    opcode: number,
    payload: Uint8Array,
    cost: number,
  ): void | Promise<void> {
    if (this.#state === "closed") {
      this.#buffered -= cost;
      throw stateError("is closed");
    }
    const compressor = this.#compressor;
    if (compressor === undefined || payload.length < compressor.threshold) {
      this.#writeFrame(opcode, payload, false, cost);
      return;
    }
    return compressor.compress(payload).then((compressed) => {
      if (this.#state === "closed") {
        this.#buffered -= cost;
        throw stateError("is closed");
      }
      this.#writeFrame(opcode, compressed, true, cost);
    }, (error) => {
      this.#buffered -= cost;
      throw error;
    });
  }

  #afterHandOver(): Promise<void> {
    if (this.#buffered <= this.#maxBufferedBytes) return RESOLVED;
    if (this.#state === "closed") {
      return Promise.reject(stateError("closed before the data was sent"));
    }
    const waiter = Promise.withResolvers<void>();
    (this.#drainWaiters ??= []).push(waiter);
    return waiter.promise;
  }

  #send(data: WsSendData): Promise<void> {
    const state = this.#state;
    if (state !== "open") {
      return handled(
        Promise.reject(
          stateError(state === "closed" ? "is closed" : "is closing"),
        ),
      );
    }
    const compressor = this.#compressor;
    let opcode = 2;
    let payload: Uint8Array | undefined;
    let cost: number;
    if (typeof data === "string") {
      if (
        !this.#isClient && compressor === undefined && !this.#busy &&
        this.#jobs === undefined && this.#sendTextDirect(data)
      ) {
        return this.#afterHandOver();
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
      (this.#busy || this.#jobs !== undefined ||
        (compressor !== undefined && payload.length >= compressor.threshold))
    ) {
      // The bytes are read later: the caller's buffer may change by then.
      payload = payload.slice();
    }
    this.#buffered += cost;
    let handedOver: Promise<void> | void;
    try {
      handedOver = payload !== undefined
        ? this.#schedule(() => this.#sendData(opcode, payload, cost))
        : this.#schedule(async () => {
          const bytes = new Uint8Array(await (data as Blob).arrayBuffer());
          return this.#sendData(2, bytes, cost);
        });
    } catch (error) {
      return handled(Promise.reject(error));
    }
    if (handedOver === undefined) return this.#afterHandOver();
    return handled(handedOver.then(() => this.#afterHandOver()));
  }

  /**
   * Queues a ping or pong; its bytes count in `bufferedAmount` (and so
   * against `maxBufferedBytes`) until written.
   */
  #sendControl(opcode: number, payload: Uint8Array): void {
    const cost = payload.length + (this.#isClient ? 6 : 2);
    this.#buffered += cost;
    const result = this.#schedule((): void => {
      if (this.#state === "closed" || this.#transportClosed) {
        this.#onControlWritten(opcode, cost);
        return;
      }
      this.#writeFrame(
        opcode,
        payload,
        false,
        0,
        (error) => this.#onControlWritten(opcode, cost, error),
      );
    });
    if (result !== undefined) result.catch(ignore);
  }

  /** Sends our close frame (once), in order after every queued message. */
  #sendClose(code: number | undefined, reason: string): Promise<void> {
    this.#closeSent = true;
    const payload = code === undefined
      ? EMPTY
      : encodeClosePayload(code, reason);
    const written = Promise.withResolvers<void>();
    // The frame counts in `bufferedAmount` until written.
    const cost = payload.length + (this.#isClient ? 6 : 2);
    this.#buffered += cost;
    const done = (): void => {
      this.#buffered -= cost;
      written.resolve();
    };
    const result = this.#schedule(() => {
      if (this.#transportClosed) return done();
      this.#writeFrame(8, payload, false, 0, done);
    });
    if (result !== undefined) result.then(undefined, done);
    this.#closeWritten = written.promise;
    return written.promise;
  }

  // ---- input ----

  /** A payload as memory of its own (it may be a view into a lent chunk). */
  #own(payload: Uint8Array): Uint8Array {
    return this.#lend ? payload.slice() : payload;
  }

  /** The next message, or the end. */
  #take(): Promise<Read> {
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      // Reads queue up behind the pending one, in order.
      return waiting.then(() => this.#take());
    }
    const inbox = this.#inbox;
    if (inbox !== undefined) {
      const value = inbox[this.#inboxHead]!;
      inbox[this.#inboxHead++] = "";
      if (this.#inboxHead === inbox.length) {
        this.#inbox = undefined;
        this.#inboxHead = 0;
      }
      this.#unread -= unreadCost(value);
      if (this.#unread < this.#maxUnreadBytes) this.#wakeReceiver();
      return Promise.resolve({ value, done: false });
    }
    if (this.#inboxEnded) {
      this.#releaseIterator();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#failLater !== undefined) {
      // The reader is done with what came before the protocol error.
      this.#failNow();
      return this.#take();
    }
    this.#unanswered = false;
    const { promise, resolve } = Promise.withResolvers<Read>();
    this.#waiting = promise;
    this.#resolveWaiting = resolve;
    this.#wakeReceiver();
    return promise;
  }

  /** Ends the messages: queued ones can still be read. */
  #endInbox(): void {
    this.#readableOpen = false;
    this.#inboxEnded = true;
    const resolve = this.#resolveWaiting;
    if (resolve === undefined) return;
    this.#waiting = undefined;
    this.#resolveWaiting = undefined;
    this.#releaseIterator();
    resolve({ value: undefined, done: true });
  }

  /** The reader gave up: drop the messages and close with 1000. */
  #cancelInbox(): void {
    this.#failNow();
    if (this.#inboxEnded && this.#inbox === undefined) return;
    this.#inbox = undefined;
    this.#inboxHead = 0;
    this.#unread = 0;
    this.#endInbox();
    this.#wakeReceiver();
    void this.#close(1000).catch(ignore);
  }

  #makeStream(): ReadableStream<string | Uint8Array> {
    return new ReadableStream<string | Uint8Array>({
      pull: async (controller): Promise<void> => {
        const result = await this.#take();
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
      cancel: (): void => {
        this.#cancelInbox();
      },
    }, { highWaterMark: 0 });
  }

  #wakeReceiver(): void {
    const resume = this.#wake;
    this.#wake = undefined;
    resume?.();
  }

  #deliver(data: string | Uint8Array): void {
    const state = this.#state;
    if (!this.#readableOpen || state === "closed") return;
    if (state === "closing" && this.#unread >= this.#maxUnreadBytes) return;
    const resolve = this.#resolveWaiting;
    if (resolve !== undefined) {
      this.#waiting = undefined;
      this.#resolveWaiting = undefined;
      this.#unanswered = true;
      resolve({ value: data, done: false });
      return;
    }
    (this.#inbox ??= []).push(data);
    this.#unread += unreadCost(data);
    if (this.#iterator !== undefined || this.#stream !== undefined) {
      this.#unanswered = true;
    }
  }

  #onMessage(message: WsMessage): void {
    switch (message.type) {
      case "text":
      case "binary":
        this.#deliver(message.data);
        break;
      case "ping":
        if (!this.#closeSent) this.#sendPong(message.data);
        break;
      case "pong":
        break;
      case "close":
        this.#peerClosed = true;
        this.#onPeerClose(message.code, message.reason);
        break;
    }
  }

  /** The data of a whole, uncompressed message in one frame. */
  #messageData(frame: WsFrame): string | Uint8Array {
    const payload = frame.payload;
    const maxMessageBytes = this.#maxMessageBytes;
    if (payload.length > maxMessageBytes) {
      throw new WsProtocolError(
        `Cannot decode message: message of ${payload.length} bytes exceeds maxMessageBytes of ${maxMessageBytes}`,
        { code: "message-too-large" },
      );
    }
    if (frame.opcode === 2) return this.#own(payload);
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
  #controlMessage(frame: WsFrame): WsMessage {
    if (frame.opcode === 9) {
      return { type: "ping", data: this.#own(frame.payload) };
    }
    if (frame.opcode === 10) return { type: "pong", data: frame.payload };
    return { type: "close", ...parseClosePayload(frame.payload) };
  }

  /** Handles one frame; returns a promise when the assembler takes it. */
  #onFrame(frame: WsFrame): void | Promise<void> {
    if (this.#peerClosed) return;
    const opcode = frame.opcode;
    if (!this.#assembling) {
      if (!frame.rsv1) {
        if (opcode >= 8) return this.#onMessage(this.#controlMessage(frame));
        const checked = this.#partialChecked;
        this.#partialChecked = 0;
        if (opcode === 0) return this.#continueMessage(frame, checked);
        if (this.#message !== undefined) throw expectedContinuation(opcode);
        if (frame.fin) return this.#deliver(this.#messageData(frame));
        return this.#startMessage(frame, checked);
      }
      if (this.#message !== undefined) throw expectedContinuation(opcode);
    }
    // A compressed message goes through the assembler, which may keep the
    // payload past this chunk.
    return this.#assemble(
      this.#lend ? { ...frame, payload: frame.payload.slice() } : frame,
    );
  }

  /** The first frame of an uncompressed fragmented message. */
  #startMessage(frame: WsFrame, checked: number): void {
    const message: MessageInProgress = {
      text: frame.opcode === 1,
      buffer: undefined,
      length: 0,
      utf8: UTF8_ACCEPT,
    };
    this.#message = message;
    this.#appendFragment(message, frame.payload, checked);
  }

  /** A continuation frame; the message is delivered on its last one. */
  #continueMessage(frame: WsFrame, checked: number): void {
    const message = this.#message;
    if (message === undefined) {
      throw new WsProtocolError(
        "Cannot decode message: a continuation frame arrived with no message in progress",
        { code: "unexpected-continuation" },
      );
    }
    this.#appendFragment(message, frame.payload, checked);
    if (!frame.fin) return;
    this.#message = undefined;
    const bytes = finishMessage(message.buffer, message.length);
    if (!message.text) return this.#deliver(bytes);
    if (message.utf8 !== UTF8_ACCEPT) throw invalidUtf8();
    // Checked already: the fast decoder gives the exact text.
    this.#deliver(looseDecoder.decode(bytes));
  }

  /**
   * Adds a fragment's payload to the message: checked against
   * `maxMessageBytes` and (text) UTF-8 first, from byte `checked` on when
   * its start was checked as it arrived.
   */
  #appendFragment(
    message: MessageInProgress,
    payload: Uint8Array,
    checked: number,
  ): void {
    const length = message.length + payload.length;
    const maxMessageBytes = this.#maxMessageBytes;
    if (length > maxMessageBytes) {
      throw new WsProtocolError(
        `Cannot decode message: message of ${length} bytes exceeds maxMessageBytes of ${maxMessageBytes}`,
        { code: "message-too-large" },
      );
    }
    if (message.text) {
      const state = checkUtf8(
        payload,
        checked,
        payload.length,
        checked > 0 ? this.#partialUtf8 : message.utf8,
      );
      if (state === UTF8_REJECT) throw invalidUtf8();
      message.utf8 = state;
    }
    if (payload.length === 0) return;
    message.buffer = appendToMessage(
      message.buffer,
      message.length,
      payload,
      maxMessageBytes,
    );
    message.length = length;
  }

  /**
   * Checks the bytes of a text frame still arriving as they come, so that
   * invalid UTF-8 fails the connection before the rest of the frame is in.
   */
  #checkPartial(parser: WsFrameParser): void {
    if (this.#assembling || this.#peerClosed) return;
    const partial = parser.partial();
    if (partial === undefined) return;
    const b0 = partial.b0;
    // Compressed bytes are checked once inflated.
    if ((b0 & 0x40) !== 0) return;
    const opcode = b0 & 0x0f;
    const message = this.#message;
    const checked = this.#partialChecked;
    let state: number;
    if (opcode === 1 && message === undefined) {
      state = checked > 0 ? this.#partialUtf8 : UTF8_ACCEPT;
    } else if (opcode === 0 && message !== undefined && message.text) {
      state = checked > 0 ? this.#partialUtf8 : message.utf8;
    } else {
      return;
    }
    const payload = partial.payload;
    state = checkUtf8(payload, checked, payload.length, state);
    if (state === UTF8_REJECT) throw invalidUtf8();
    this.#partialChecked = payload.length;
    this.#partialUtf8 = state;
  }

  async #assemble(frame: WsFrame): Promise<void> {
    const opcode = frame.opcode;
    // Whether the decoder yields a message for this frame: a control frame,
    // or the last frame of a message.
    const completes = opcode >= 8 || frame.fin;
    if (opcode < 8) this.#assembling = !frame.fin;
    let writer = this.#assemblerWriter;
    let reader = this.#assemblerReader;
    if (writer === undefined || reader === undefined) {
      const compressor = this.#compressor;
      const assembler = new WsMessageDecoderStream({
        maxMessageBytes: this.#maxMessageBytes,
        ...(compressor === undefined ? {} : { compressor }),
      });
      this.#assemblerWriter = writer = assembler.writable.getWriter();
      this.#assemblerReader = reader = assembler.readable.getReader();
    }
    if (this.#pendingRead === undefined) {
      this.#pendingRead = reader.read();
      this.#pendingRead.catch(ignore);
    }
    await writer.write(frame);
    if (!completes) return;
    const result = await this.#pendingRead;
    this.#pendingRead = undefined;
    if (!result.done) this.#onMessage(result.value);
  }

  /**
   * Parses a chunk and handles its frames, in order; returns a promise only
   * when a frame went to the assembler (the usual chunk is handled at once).
   */
  #decode(chunk: Uint8Array): void | Promise<void> {
    const parser = this.#parser ??= createFrameParser(collectFrame, {
      role: this.#isClient ? "client" : "server",
      maxFrameBytes: this.#maxMessageBytes + FRAME_HEADROOM,
      allowRsv1: this.#compressor !== undefined,
      inPlace: this.#lend,
    });
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
      const pending = this.#onFrame(frames[i]!);
      if (pending !== undefined) {
        return this.#finishDecode(pending, frames, i + 1, failure);
      }
    }
    if (failure !== undefined) throw failure.error;
    this.#checkPartial(parser);
  }

  /** The rest of {@linkcode #decode} once a frame went to the assembler. */
  async #finishDecode(
    pending: Promise<void>,
    frames: WsFrame[],
    next: number,
    failure: { error: unknown } | undefined,
  ): Promise<void> {
    await pending;
    for (let i = next; i < frames.length; i++) {
      const more = this.#onFrame(frames[i]!);
      if (more !== undefined) await more;
    }
    if (failure !== undefined) throw failure.error;
    this.#checkPartial(this.#parser!);
  }

  // The receiving loop, as promise callbacks rather than an async function:
  // an idle connection then holds one pending read and no suspended frame.
  // Each step handles a chunk, then reads the next one, unless reading is
  // paused for backpressure.

  /** Handles `chunk` (the head, or what a read gave), then reads on. */
  #receive(chunk: Uint8Array | undefined): void {
    if (chunk !== undefined && this.#decoding && !this.#peerClosed) {
      let pending: void | Promise<void>;
      try {
        pending = this.#decode(chunk);
      } catch (error) {
        this.#decodeFailed(error);
        return;
      }
      if (pending !== undefined) {
        pending.then(
          () => this.#read(),
          (error) => this.#decodeFailed(error),
        );
        return;
      }
    }
    this.#read();
  }

  /** Reads the next chunk, once the unread messages allow. */
  #read(): void {
    if (
      this.#state === "open" &&
      ((this.#readableOpen && this.#unread >= this.#maxUnreadBytes &&
        this.#waiting === undefined) ||
        this.#buffered > this.#maxBufferedBytes)
    ) {
      this.#paused = true;
      new Promise<void>((resolve) => {
        this.#wake = resolve;
      }).then(() => {
        this.#paused = false;
        this.#read();
      });
      return;
    }
    const source = this.#source;
    if (source.saturated !== undefined && source.saturated()) {
      // The peer keeps every read full: let the other connections run.
      setTimeout(() => this.#read(), 0);
      return;
    }
    let read: Promise<number | null | Uint8Array | undefined>;
    try {
      read = source.fill !== undefined ? source.fill() : source.read();
    } catch {
      // The transport failed or was closed under us: reported as 1006.
      this.#endInput();
      return;
    }
    read.then(this.#onRead, this.#onReadFailed);
  }

  #received(result: number | null | Uint8Array | undefined): void {
    const chunk = result === null || typeof result === "number"
      ? this.#source.chunk!(result)
      : result;
    if (chunk === undefined) {
      this.#endInput();
      return;
    }
    this.#heard = true;
    if (this.#pongTimer !== undefined) this.#markAlive();
    this.#receive(chunk);
  }

  /**
   * The bytes broke the protocol: fail the connection, but keep reading
   * (and discarding) so the peer's end of stream is noticed.
   */
  #decodeFailed(error: unknown): void {
    this.#decoding = false;
    if (this.#unanswered && this.#state === "open" && this.#readableOpen) {
      // Messages that came before the error go first: the reader takes
      // them (and may answer) before the connection fails, when it next
      // asks for a message, or after closeTimeout at the latest. Reading
      // waits meanwhile.
      this.#failLater = {
        error,
        timer: setTimeout(() => this.#failNow(), this.#closeTimeout),
      };
      return;
    }
    this.#failInput(error);
  }

  /** Fails the connection for a protocol error held back until now. */
  #failNow(): void {
    const later = this.#failLater;
    if (later === undefined) return;
    this.#failLater = undefined;
    clearTimeout(later.timer);
    this.#failInput(later.error);
  }

  /** Fails the connection for `error`, reading on to the peer's end. */
  #failInput(error: unknown): void {
    try {
      this.#onInputError(error);
    } catch {
      this.#endInput();
      return;
    }
    this.#read();
  }

  /**
   * Reading has stopped: the end of input, or the transport failed or was
   * closed under us (reported as 1006).
   */
  #endInput(): void {
    this.#inputEnded = true;
    const resolve = this.#onInputEnded;
    this.#onInputEnded = undefined;
    resolve?.();
    this.#onInputEnd();
  }

  // ---- closing ----

  #onPeerClose(code: number, reason: string): void {
    if (this.#state === "closed") return;
    if (!this.#closeSent) {
      // Echo the peer's code (RFC 6455 section 5.5.1); 1005 means none.
      void this.#sendClose(code === 1005 ? undefined : code, "");
    }
    // A server drops the transport once the handshake is complete (RFC 6455
    // section 7.1.1); a client lets the server go first.
    void this.#teardown(
      { code, reason, wasClean: true },
      this.#isClient ? "drain" : "flush",
    );
  }

  #onInputError(error: unknown): void {
    if (this.#state === "closed") return;
    if (error instanceof WsProtocolError && error.closeCode !== 1006) {
      const reason = fitCloseReason(error.message);
      if (!this.#closeSent) void this.#sendClose(error.closeCode, reason);
      void this.#teardown(
        { code: error.closeCode, reason, wasClean: false },
        "drain",
      );
      return;
    }
    void this.#teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  #onInputEnd(): void {
    if (this.#state === "closed") return;
    void this.#teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  #abort(_error: unknown): void {
    if (this.#state === "closed") return;
    void this.#teardown({ code: 1006, reason: "", wasClean: false }, "drop");
  }

  /** Settles once reading has stopped. */
  #inputEndedPromise(): Promise<void> {
    if (this.#inputEnded) return RESOLVED;
    return new Promise<void>((resolve) => {
      this.#onInputEnded = resolve;
    });
  }

  /**
   * Ends the connection. `"flush"` first waits (up to `closeTimeout`) for
   * our close frame to be written; `"drain"` also ends our sending direction
   * and waits for the peer's end of stream, so that its last bytes are read
   * rather than answered with a TCP reset. Then the transport is closed and
   * everything settles.
   */
  async #teardown(
    info: WsCloseInfo,
    mode: "drop" | "flush" | "drain",
  ): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#failLater !== undefined) {
      clearTimeout(this.#failLater.timer);
      this.#failLater = undefined;
    }
    this.#message = undefined;
    this.#nextPong = undefined;
    this.#stopHeartbeat();
    clearTimeout(this.#closeTimer);
    if (this.#readableOpen) this.#endInbox();
    this.#wakeReceiver();
    const waiters = this.#drainWaiters;
    this.#drainWaiters = undefined;
    if (waiters !== undefined) {
      for (const waiter of waiters) {
        handled(waiter.promise);
        waiter.reject(stateError("closed before the data was sent"));
      }
    }
    const duplex = this.#duplex;
    if (mode !== "drop") {
      const deadline = sleep(this.#closeTimeout);
      await Promise.race([this.#closeWritten ?? RESOLVED, deadline.promise]);
      if (mode === "drain") {
        if (duplex.closeWrite !== undefined) {
          await Promise.race([
            duplex.closeWrite().catch(ignore),
            deadline.promise,
          ]);
        }
        await Promise.race([this.#inputEndedPromise(), deadline.promise]);
      }
      deadline.cancel();
    }
    this.#transportClosed = true;
    this.#source.cancel();
    this.#assemblerReader?.cancel().catch(ignore);
    this.#sink.abort();
    try {
      duplex.close();
    } catch {
      // Already closed: cancelling a Deno connection's readable closes it.
    }
    this.#compressor?.close?.();
    await this.#inputEndedPromise();
    if (this.#closed === undefined) {
      this.#closed = Promise.resolve(info);
    } else {
      this.#resolveClosed!(info);
      this.#resolveClosed = undefined;
    }
  }

  #close(code?: number, reason?: string): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
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
    this.#failNow();
    const done = this.closed.then(ignore);
    this.#closing = done;
    if (this.#state !== "open" || this.#closeSent) return done;
    this.#state = "closing";
    this.#wakeReceiver();
    void this.#sendClose(code, reason ?? "");
    this.#closeTimer = setTimeout(() => {
      // Without the peer's close frame (which tears down through
      // onPeerClose) in time, drop the connection.
      void this.#teardown({ code: 1006, reason: "", wasClean: false }, "drop");
    }, this.#closeTimeout);
    return done;
  }

  // ---- heartbeat ----

  #stopHeartbeat(): void {
    if (this.#ticked !== undefined) {
      leaveTicker(this.#heartbeat!.interval, this.#ticked);
      this.#ticked = undefined;
    }
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  /** Anything from the peer proves it is there: stop waiting for a pong. */
  #markAlive(): void {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  /** A tick of the heartbeat: ping a silent peer. */
  #onHeartbeat(): void {
    if (this.#state !== "open" || this.#pongTimer !== undefined) return;
    if (this.#heard || this.#paused) {
      this.#heard = false;
      return;
    }
    this.#sendControl(9, EMPTY);
    this.#pongTimer = setTimeout(
      () => this.#onPongTimeout(),
      this.#heartbeat!.timeout,
    );
  }

  #onPongTimeout(): void {
    this.#pongTimer = undefined;
    if (this.#paused || this.#state !== "open") return;
    const reason =
      "Cannot keep connection: nothing arrived within the heartbeat timeout";
    void this.#sendClose(1001, reason);
    void this.#teardown({ code: 1001, reason, wasClean: false }, "drop");
  }
}
