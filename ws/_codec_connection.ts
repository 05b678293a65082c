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
 * Text at least this long, sent uncompressed by a server, is encoded
 * straight into its frame (one buffer instead of two) when it is ASCII.
 */
const DIRECT_TEXT_CHARS = 8 * 1024;
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
 *   Cancelling it closes with 1000.
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

  /**
   * A server's frame for a long ASCII text, encoded into one buffer; or
   * `undefined` when the text is not ASCII (then the usual path runs).
   */
  function directTextFrame(text: string): Uint8Array | undefined {
    const out = new Uint8Array(MAX_SERVER_HEADER + text.length);
    const { read, written } = encoder.encodeInto(
      text,
      out.subarray(MAX_SERVER_HEADER),
    );
    if (read < text.length) return undefined;
    const start = MAX_SERVER_HEADER - headerLength(written, false);
    writeHeader(out.subarray(start), TEXT_FRAME, written, undefined);
    return out.subarray(start, MAX_SERVER_HEADER + written);
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
    if (buffered <= maxBufferedBytes) return Promise.resolve();
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
        !isClient && compressor === undefined &&
        data.length >= DIRECT_TEXT_CHARS && !busy && jobs.length === 0
      ) {
        const frame = directTextFrame(data);
        if (frame !== undefined) {
          buffered += frame.length;
          writeBytes(frame, frame.length);
          return afterHandOver();
        }
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
  const source = byteSource(duplex);
  /** Frames the parser completed from the current chunk. */
  let parsed: WsFrame[] = [];
  const parser = createFrameParser((frame) => void parsed.push(frame), {
    role,
    maxFrameBytes: maxMessageBytes + FRAME_HEADROOM,
    allowRsv1: compressor !== undefined,
  });
  // Whole, uncompressed one-frame messages and control frames are handled
  // here; fragmented and compressed messages go through the message decoder
  // stream, one frame at a time, which keeps them in order.
  const assembler = new WsMessageDecoderStream({
    maxMessageBytes,
    ...(compressor === undefined ? {} : { compressor }),
  });
  const assemblerWriter = assembler.writable.getWriter();
  const assemblerReader = assembler.readable.getReader();
  let assembling = false;
  let pendingRead: Promise<ReadableStreamReadResult<WsMessage>> | undefined;
  const textDecoder = new TextDecoder("utf-8", {
    fatal: true,
    ignoreBOM: true,
  });
  let decoding = true;
  let peerClosed = false;
  let paused = false;
  let wake: (() => void) | undefined;

  let controller!: ReadableStreamDefaultController<string | Uint8Array>;
  let readableOpen = true;
  const readable = new ReadableStream<string | Uint8Array>({
    start(c): void {
      controller = c;
    },
    pull(): void {
      const resume = wake;
      wake = undefined;
      resume?.();
    },
    cancel(): void {
      readableOpen = false;
      const resume = wake;
      wake = undefined;
      resume?.();
      void close(1000).catch(ignore);
    },
  }, {
    highWaterMark: maxUnreadBytes,
    size(chunk): number {
      return (typeof chunk === "string" ? chunk.length : chunk.byteLength) +
        UNREAD_MESSAGE_OVERHEAD;
    },
  });

  function wakeReceiver(): void {
    const resume = wake;
    wake = undefined;
    resume?.();
  }

  function deliver(data: string | Uint8Array): void {
    if (!readableOpen || state === "closed") return;
    if (state === "closing" && (controller.desiredSize ?? 0) <= 0) return;
    controller.enqueue(data);
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

  /** A whole, uncompressed text or binary message in one frame. */
  function dataMessage(frame: WsFrame): WsMessage {
    const payload = frame.payload;
    if (payload.length > maxMessageBytes) {
      throw new WsProtocolError(
        `Cannot decode message: message of ${payload.length} bytes exceeds maxMessageBytes of ${maxMessageBytes}`,
        { code: "message-too-large" },
      );
    }
    if (frame.opcode === 2) return { type: "binary", data: payload };
    let data: string;
    try {
      data = textDecoder.decode(payload);
    } catch (cause) {
      throw new WsProtocolError(
        "Cannot decode message: text is not valid UTF-8",
        { code: "invalid-utf8", cause },
      );
    }
    return { type: "text", data };
  }

  /** A ping, pong or close frame (the parser checked its length and FIN). */
  function controlMessage(frame: WsFrame): WsMessage {
    if (frame.opcode === 9) return { type: "ping", data: frame.payload };
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
        return onMessage(dataMessage(frame));
      }
    }
    return assemble(frame);
  }

  async function assemble(frame: WsFrame): Promise<void> {
    const opcode = frame.opcode;
    // Whether the decoder yields a message for this frame: a control frame,
    // or the last frame of a message.
    const completes = opcode >= 8 || frame.fin;
    if (opcode < 8) assembling = !frame.fin;
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

  /** Parses a chunk and handles its frames, in order. */
  async function decode(chunk: Uint8Array): Promise<void> {
    let failure: { error: unknown } | undefined;
    try {
      parser.push(chunk);
    } catch (error) {
      // The frames before the bad one are handled first.
      failure = { error };
    }
    const frames = parsed;
    parsed = [];
    for (const frame of frames) {
      const pending = onFrame(frame);
      if (pending !== undefined) await pending;
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
            state === "open" && readableOpen &&
            (controller.desiredSize ?? 1) <= 0
          ) {
            paused = true;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            paused = false;
          }
          chunk = await source.read();
          if (chunk === undefined) break;
          heard = true;
          if (pongTimer !== undefined) markAlive();
        }
        if (decoding && !peerClosed) {
          try {
            await decode(chunk);
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
    if (readableOpen) {
      readableOpen = false;
      controller.close();
    }
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
    assemblerReader.cancel().catch(ignore);
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
    readable,
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
      return readable.values();
    },
  };
}
