// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the receiving half of a codec connection (as ws's
// `receiver.js`): the reading loop (paused for backpressure), frames
// parsed and unmasked in place in a reused buffer, whole messages and
// fragments assembled with fail-fast UTF-8 checks, compressed messages
// through the message decoder stream, and protocol errors held back until
// the reader took what came before them.

import type { ByteDuplex, ByteSource } from "./_byte_io.ts";
import { byteSource } from "./_byte_io.ts";
import type { WsCompressor } from "./compressor.ts";
import type { WsFrame } from "./frame.ts";
import { createFrameParser, type WsFrameParser } from "./frame_parser.ts";
import { parseClosePayload } from "./parse_close_payload.ts";
import { appendToMessage, finishMessage } from "./_message_buffer.ts";
import { checkUtf8, UTF8_ACCEPT, UTF8_REJECT } from "./_utf8.ts";
import type { WsMessage } from "./message.ts";
import { WsMessageDecoderStream } from "./message_decoder_stream.ts";
import { WsProtocolError } from "./protocol_error.ts";
import { ignore } from "./_handled.ts";
import { CodecSender, RESOLVED } from "./_codec_sender.ts";
import {
  ASSEMBLING,
  DECODING,
  FRESH_CHUNKS,
  HEARD,
  INPUT_ENDED,
  LEND,
  PAUSED,
  PEER_CLOSED,
} from "./_codec_extras.ts";

/** Headroom of the frame size limit over the message size limit. */
const FRAME_HEADROOM = 64 * 1024;
// Shared by every connection: a whole-message decode keeps no state.
/** Checks text strictly, for text the lenient decoder may have changed. */
const strictDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});
/** The fast decoder; its output is checked for U+FFFD. */
const looseDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Frames the parser of the connection decoding right now completed. */
let parsed: WsFrame[] = [];
/**
 * An empty array for `parsed`, given back by a decode that finished at once:
 * the arrays are reused from chunk to chunk instead of one made per chunk.
 */
let spareParsed: WsFrame[] | undefined;
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

/**
 * The receiving half of a codec connection, as fields and shared methods
 * of the connection itself (it extends this class). The connection says
 * what a peer's close, a protocol error and the end of input do.
 */
export abstract class CodecReceiver extends CodecSender {
  protected _maxMessageBytes: number;
  protected _closeTimeout: number;
  // A server's parser unmasks payloads in place, in the chunk it was
  // given. Reading a Deno connection, that chunk is one reused buffer: a
  // text message is decoded before the next read, and anything that
  // outlives the chunk (a binary message, a fragment, a ping's data) is
  // copied out by `_own`. A Node socket's chunks are allocated per read and
  // never reused (`_freshChunks`): a payload may stay a view into its chunk
  // (see `_own`). A client's payloads are views into the chunk: they get
  // chunks of their own (`_lend` is false). So do chunks from a stream
  // (whose writer may still hold them).
  protected _source: ByteSource;
  /** What a read settles with: bound once, for every read. */
  protected _onRead: (result: number | null | Uint8Array | undefined) => void;
  protected _onReadFailed: () => void;
  /** Made on the first bytes. */
  protected _parser: WsFrameParser | undefined;
  // Whole, uncompressed one-frame messages and control frames are handled
  // here; fragmented and compressed messages go through the message decoder
  // stream (`_assemblerWriter`, `_assemblerReader`), one frame at a time,
  // which keeps them in order. The stream is made on the first such frame:
  // most connections never need it.
  /** An uncompressed fragmented message in progress (assembled here). */
  protected _message: MessageInProgress | undefined;
  /**
   * Payload bytes of the frame in progress already checked as UTF-8 (a
   * text frame arriving in pieces), and the check's state after them.
   */
  protected _partialChecked = 0;
  protected _partialUtf8 = UTF8_ACCEPT;
  /** The heartbeat's wait for an answer to its ping, if one is out. */
  protected _pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    duplex: ByteDuplex,
    isClient: boolean,
    limits: {
      maxMessageBytes: number;
      maxBufferedBytes: number;
      maxUnreadBytes: number;
      closeTimeout: number;
    },
    compressor: (WsCompressor & { close?(): void }) | undefined,
  ) {
    super(
      duplex,
      isClient,
      limits.maxBufferedBytes,
      limits.maxUnreadBytes,
      compressor,
    );
    this._maxMessageBytes = limits.maxMessageBytes;
    this._closeTimeout = limits.closeTimeout;
    this._flags |= DECODING;
    const lend = !isClient &&
      (duplex.read !== undefined || duplex.readChunk !== undefined);
    this._lend = lend;
    this._freshChunks = lend && duplex.readChunk !== undefined;
    this._source = byteSource(duplex, { lend });
    this._onRead = (result) => this._received(result);
    this._onReadFailed = () => this._endInput();
  }

  // Flags and rare slots (see `_codec_extras.ts`).
  protected get _inputEnded(): boolean {
    return (this._flags & INPUT_ENDED) !== 0;
  }
  protected set _inputEnded(on: boolean) {
    this._setFlag(INPUT_ENDED, on);
  }
  protected get _lend(): boolean {
    return (this._flags & LEND) !== 0;
  }
  protected set _lend(on: boolean) {
    this._setFlag(LEND, on);
  }
  protected get _freshChunks(): boolean {
    return (this._flags & FRESH_CHUNKS) !== 0;
  }
  protected set _freshChunks(on: boolean) {
    this._setFlag(FRESH_CHUNKS, on);
  }
  protected get _assembling(): boolean {
    return (this._flags & ASSEMBLING) !== 0;
  }
  protected set _assembling(on: boolean) {
    this._setFlag(ASSEMBLING, on);
  }
  protected get _decoding(): boolean {
    return (this._flags & DECODING) !== 0;
  }
  protected set _decoding(on: boolean) {
    this._setFlag(DECODING, on);
  }
  protected get _peerClosed(): boolean {
    return (this._flags & PEER_CLOSED) !== 0;
  }
  protected set _peerClosed(on: boolean) {
    this._setFlag(PEER_CLOSED, on);
  }
  protected get _paused(): boolean {
    return (this._flags & PAUSED) !== 0;
  }
  protected set _paused(on: boolean) {
    this._setFlag(PAUSED, on);
  }
  protected get _heard(): boolean {
    return (this._flags & HEARD) !== 0;
  }
  protected set _heard(on: boolean) {
    this._setFlag(HEARD, on);
  }
  protected get _onInputEnded(): (() => void) | undefined {
    return this._more?.onInputEnded;
  }
  protected set _onInputEnded(value: (() => void) | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().onInputEnded = value;
    }
  }
  protected get _assemblerWriter():
    | WritableStreamDefaultWriter<WsFrame>
    | undefined {
    return this._more?.assemblerWriter;
  }
  protected set _assemblerWriter(
    value: WritableStreamDefaultWriter<WsFrame> | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().assemblerWriter = value;
    }
  }
  protected get _assemblerReader():
    | ReadableStreamDefaultReader<WsMessage>
    | undefined {
    return this._more?.assemblerReader;
  }
  protected set _assemblerReader(
    value: ReadableStreamDefaultReader<WsMessage> | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().assemblerReader = value;
    }
  }
  protected get _pendingRead():
    | Promise<ReadableStreamReadResult<WsMessage>>
    | undefined {
    return this._more?.pendingRead;
  }
  protected set _pendingRead(
    value: Promise<ReadableStreamReadResult<WsMessage>> | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().pendingRead = value;
    }
  }
  protected get _failLater(): {
    error: unknown;
    timer: ReturnType<typeof setTimeout>;
  } | undefined {
    return this._more?.failLater;
  }
  protected set _failLater(
    value: { error: unknown; timer: ReturnType<typeof setTimeout> } | undefined,
  ) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().failLater = value;
    }
  }
  protected get _wake(): (() => void) | undefined {
    return this._more?.wake;
  }
  protected set _wake(value: (() => void) | undefined) {
    if (value !== undefined || this._more !== undefined) {
      this._extras().wake = value;
    }
  }

  /** The peer's close frame arrived. */
  protected abstract _onPeerClose(code: number, reason: string): void;
  /** The bytes broke the protocol (or reading failed). */
  protected abstract _onInputError(error: unknown): void;
  /** Reading stopped: the end of input, or the transport went away. */
  protected abstract _onInputEnd(): void;

  /**
   * A payload as memory of its own (it may be a view into a lent chunk),
   * which nothing changes later: a user may keep it.
   */
  protected _own(payload: Uint8Array): Uint8Array {
    if (!this._lend) return payload;
    const pinned = payload.buffer.byteLength;
    // A payload that fills its whole buffer is the parser's own buffer for
    // a frame that arrived in pieces (a view into a chunk always leaves
    // the frame's header out): nothing reuses it, so it is not copied.
    if (payload.byteLength === pinned) return payload;
    // A fresh chunk is the payload's to keep: a view saves allocating and
    // copying (on V8 every buffer over 64 bytes is a separate allocation
    // with a finaliser). Only while the payload is at least half of the
    // chunk, so that a message kept (unread, counted by its size against
    // `maxUnreadBytes`, or by the user) holds at most twice its bytes, not
    // a whole chunk of other frames.
    if (this._freshChunks && payload.byteLength * 2 >= pinned) return payload;
    return payload.slice();
  }

  protected _wakeReceiver(): void {
    const resume = this._wake;
    if (resume === undefined) return;
    this._wake = undefined;
    resume();
  }

  protected _deliver(data: string | Uint8Array): void {
    const state = this._state;
    if (!this._readableOpen || state === "closed") return;
    const sink = this._messageSink;
    if (sink !== undefined) {
      // Pushed to a sink (`pushMessages`), which keeps its own bound.
      sink.message(data);
      return;
    }
    if (state === "closing" && this._unread >= this._maxUnreadBytes) return;
    this._push(data);
  }

  protected _onMessage(message: WsMessage): void {
    switch (message.type) {
      case "text":
      case "binary":
        this._deliver(message.data);
        break;
      case "ping":
        if (!this._closeSent) this._sendPong(message.data);
        break;
      case "pong":
        break;
      case "close":
        this._peerClosed = true;
        this._onPeerClose(message.code, message.reason);
        break;
    }
  }

  /** The data of a whole, uncompressed message in one frame. */
  protected _messageData(frame: WsFrame): string | Uint8Array {
    const payload = frame.payload;
    const maxMessageBytes = this._maxMessageBytes;
    if (payload.length > maxMessageBytes) {
      throw new WsProtocolError(
        `Cannot decode message: message of ${payload.length} bytes exceeds maxMessageBytes of ${maxMessageBytes}`,
        { code: "message-too-large" },
      );
    }
    if (frame.opcode === 2) return this._own(payload);
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
  protected _controlMessage(frame: WsFrame): WsMessage {
    if (frame.opcode === 9) {
      return { type: "ping", data: this._own(frame.payload) };
    }
    if (frame.opcode === 10) return { type: "pong", data: frame.payload };
    return { type: "close", ...parseClosePayload(frame.payload) };
  }

  /** Handles one frame; returns a promise when the assembler takes it. */
  protected _onFrame(frame: WsFrame): void | Promise<void> {
    if (this._peerClosed) return;
    const opcode = frame.opcode;
    if (!this._assembling) {
      if (!frame.rsv1) {
        if (opcode >= 8) return this._onMessage(this._controlMessage(frame));
        const checked = this._partialChecked;
        this._partialChecked = 0;
        if (opcode === 0) return this._continueMessage(frame, checked);
        if (this._message !== undefined) throw expectedContinuation(opcode);
        if (frame.fin) return this._deliver(this._messageData(frame));
        return this._startMessage(frame, checked);
      }
      if (this._message !== undefined) throw expectedContinuation(opcode);
    }
    // A compressed message goes through the assembler, which may keep the
    // payload past this chunk.
    return this._assemble(
      this._lend && frame.payload.byteLength !== frame.payload.buffer.byteLength
        ? { ...frame, payload: frame.payload.slice() }
        : frame,
    );
  }

  /** The first frame of an uncompressed fragmented message. */
  protected _startMessage(frame: WsFrame, checked: number): void {
    const message: MessageInProgress = {
      text: frame.opcode === 1,
      buffer: undefined,
      length: 0,
      utf8: UTF8_ACCEPT,
    };
    this._message = message;
    this._appendFragment(message, frame.payload, checked);
  }

  /** A continuation frame; the message is delivered on its last one. */
  protected _continueMessage(frame: WsFrame, checked: number): void {
    const message = this._message;
    if (message === undefined) {
      throw new WsProtocolError(
        "Cannot decode message: a continuation frame arrived with no message in progress",
        { code: "unexpected-continuation" },
      );
    }
    this._appendFragment(message, frame.payload, checked);
    if (!frame.fin) return;
    this._message = undefined;
    const bytes = finishMessage(message.buffer, message.length);
    if (!message.text) return this._deliver(bytes);
    if (message.utf8 !== UTF8_ACCEPT) throw invalidUtf8();
    // Checked already: the fast decoder gives the exact text.
    this._deliver(looseDecoder.decode(bytes));
  }

  /**
   * Adds a fragment's payload to the message: checked against
   * `maxMessageBytes` and (text) UTF-8 first, from byte `checked` on when
   * its start was checked as it arrived.
   */
  protected _appendFragment(
    message: MessageInProgress,
    payload: Uint8Array,
    checked: number,
  ): void {
    const length = message.length + payload.length;
    const maxMessageBytes = this._maxMessageBytes;
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
        checked > 0 ? this._partialUtf8 : message.utf8,
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
  protected _checkPartial(parser: WsFrameParser): void {
    if (this._assembling || this._peerClosed) return;
    const partial = parser.partial();
    if (partial === undefined) return;
    const b0 = partial.b0;
    // Compressed bytes are checked once inflated.
    if ((b0 & 0x40) !== 0) return;
    const opcode = b0 & 0x0f;
    const message = this._message;
    const checked = this._partialChecked;
    let state: number;
    if (opcode === 1 && message === undefined) {
      state = checked > 0 ? this._partialUtf8 : UTF8_ACCEPT;
    } else if (opcode === 0 && message !== undefined && message.text) {
      state = checked > 0 ? this._partialUtf8 : message.utf8;
    } else {
      return;
    }
    const payload = partial.payload;
    state = checkUtf8(payload, checked, payload.length, state);
    if (state === UTF8_REJECT) throw invalidUtf8();
    this._partialChecked = payload.length;
    this._partialUtf8 = state;
  }

  protected async _assemble(frame: WsFrame): Promise<void> {
    const opcode = frame.opcode;
    // Whether the decoder yields a message for this frame: a control frame,
    // or the last frame of a message.
    const completes = opcode >= 8 || frame.fin;
    if (opcode < 8) this._assembling = !frame.fin;
    let writer = this._assemblerWriter;
    let reader = this._assemblerReader;
    if (writer === undefined || reader === undefined) {
      const compressor = this._compressor;
      const assembler = new WsMessageDecoderStream({
        maxMessageBytes: this._maxMessageBytes,
        ...(compressor === undefined ? {} : { compressor }),
      });
      this._assemblerWriter = writer = assembler.writable.getWriter();
      this._assemblerReader = reader = assembler.readable.getReader();
    }
    if (this._pendingRead === undefined) {
      this._pendingRead = reader.read();
      this._pendingRead.catch(ignore);
    }
    await writer.write(frame);
    if (!completes) return;
    const result = await this._pendingRead;
    this._pendingRead = undefined;
    if (!result.done) this._onMessage(result.value);
  }

  /**
   * Parses a chunk and handles its frames, in order; returns a promise only
   * when a frame went to the assembler (the usual chunk is handled at once).
   */
  protected _decode(chunk: Uint8Array): void | Promise<void> {
    const parser = this._parser ??= createFrameParser(collectFrame, {
      role: this._isClient ? "client" : "server",
      maxFrameBytes: this._maxMessageBytes + FRAME_HEADROOM,
      allowRsv1: this._compressor !== undefined,
      inPlace: this._lend,
    });
    let failure: { error: unknown } | undefined;
    try {
      parser.push(chunk);
    } catch (error) {
      // The frames before the bad one are handled first.
      failure = { error };
    }
    const frames = parsed;
    parsed = spareParsed ?? [];
    spareParsed = undefined;
    for (let i = 0; i < frames.length; i++) {
      const pending = this._onFrame(frames[i]!);
      if (pending !== undefined) {
        return this._finishDecode(pending, frames, i + 1, failure);
      }
    }
    // Usually one frame: `pop` is inlined where setting `length` calls
    // into the runtime.
    if (frames.length === 1) frames.pop();
    else frames.length = 0;
    spareParsed = frames;
    if (failure !== undefined) throw failure.error;
    this._checkPartial(parser);
  }

  /** The rest of {@linkcode _decode} once a frame went to the assembler. */
  protected async _finishDecode(
    pending: Promise<void>,
    frames: WsFrame[],
    next: number,
    failure: { error: unknown } | undefined,
  ): Promise<void> {
    await pending;
    for (let i = next; i < frames.length; i++) {
      const more = this._onFrame(frames[i]!);
      if (more !== undefined) await more;
    }
    if (failure !== undefined) throw failure.error;
    this._checkPartial(this._parser!);
  }

  // an idle connection then holds one pending read and no suspended frame.
  // Each step handles a chunk, then reads the next one, unless reading is
  // paused for backpressure.

  // The receiving loop, as promise callbacks rather than an async function:
  /** Handles `chunk` (the head, or what a read gave), then reads on. */
  protected _receive(chunk: Uint8Array | undefined): void {
    if (chunk !== undefined && this._decoding && !this._peerClosed) {
      let pending: void | Promise<void>;
      try {
        pending = this._decode(chunk);
      } catch (error) {
        this._decodeFailed(error);
        return;
      }
      if (pending !== undefined) {
        pending.then(
          () => this._read(),
          (error) => this._decodeFailed(error),
        );
        return;
      }
    }
    this._read();
  }

  /** Reads the next chunk, once the unread messages allow. */
  protected _read(): void {
    if (
      this._state === "open" &&
      ((this._readableOpen && this._unread >= this._maxUnreadBytes &&
        this._waiting === undefined) ||
        this._buffered > this._maxBufferedBytes)
    ) {
      this._paused = true;
      new Promise<void>((resolve) => {
        this._wake = resolve;
      }).then(() => {
        this._paused = false;
        this._read();
      });
      return;
    }
    const source = this._source;
    if (source.saturated !== undefined && source.saturated()) {
      // The peer keeps every read full: let the other connections run.
      setTimeout(() => this._read(), 0);
      return;
    }
    let read: Promise<number | null | Uint8Array | undefined>;
    try {
      if (source.readTo !== undefined) {
        // No promise: the transport calls back (an idle connection holds
        // only the two callbacks made once, in the constructor).
        source.readTo(this._onRead, this._onReadFailed);
        return;
      }
      read = source.fill !== undefined ? source.fill() : source.read();
    } catch {
      // The transport failed or was closed under us: reported as 1006.
      this._endInput();
      return;
    }
    read.then(this._onRead, this._onReadFailed);
  }

  protected _received(result: number | null | Uint8Array | undefined): void {
    const chunk = result === null || typeof result === "number"
      ? this._source.chunk!(result)
      : result;
    if (chunk === undefined) {
      this._endInput();
      return;
    }
    this._heard = true;
    if (this._pongTimer !== undefined) this._markAlive();
    this._receive(chunk);
  }

  /**
   * The bytes broke the protocol: fail the connection, but keep reading
   * (and discarding) so the peer's end of stream is noticed.
   */
  protected _decodeFailed(error: unknown): void {
    this._decoding = false;
    if (this._unanswered && this._state === "open" && this._readableOpen) {
      // Messages that came before the error go first: the reader takes
      // them (and may answer) before the connection fails, when it next
      // asks for a message, or after closeTimeout at the latest. Reading
      // waits meanwhile.
      this._failLater = {
        error,
        timer: setTimeout(() => this._failNow(), this._closeTimeout),
      };
      return;
    }
    this._failInput(error);
  }

  /** Fails the connection for a protocol error held back until now. */
  protected _failNow(): boolean {
    const later = this._failLater;
    if (later === undefined) return false;
    this._failLater = undefined;
    clearTimeout(later.timer);
    this._failInput(later.error);
    return true;
  }

  /** Fails the connection for `error`, reading on to the peer's end. */
  protected _failInput(error: unknown): void {
    try {
      this._onInputError(error);
    } catch {
      this._endInput();
      return;
    }
    this._read();
  }

  /**
   * Reading has stopped: the end of input, or the transport failed or was
   * closed under us (reported as 1006).
   */
  protected _endInput(): void {
    this._inputEnded = true;
    const resolve = this._onInputEnded;
    this._onInputEnded = undefined;
    resolve?.();
    this._onInputEnd();
  }

  /** Settles once reading has stopped. */
  protected _inputEndedPromise(): Promise<void> {
    if (this._inputEnded) return RESOLVED;
    return new Promise<void>((resolve) => {
      this._onInputEnded = resolve;
    });
  }

  /** Anything from the peer proves it is there: stop waiting for a pong. */
  protected _markAlive(): void {
    clearTimeout(this._pongTimer);
    this._pongTimer = undefined;
  }
}
