// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a `WsConnection` run by serverpush's own codec over any byte
// duplex (a Deno TCP or TLS connection, or an in-memory pair in tests), for
// either role. Used by `serveWebSocket` and by the codec client engine.

import type { WsCompressor } from "./compressor.ts";
import type { WsCloseInfo, WsConnection, WsSendData } from "./connection.ts";
import { encodeClosePayload } from "./encode_close_payload.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";
import { encodeFrame } from "./encode_frame.ts";
import { WsFrameDecoderStream } from "./frame_decoder_stream.ts";
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
 * A bidirectional byte stream: what a `Deno.Conn` offers, and what a test
 * builds in memory.
 */
export interface ByteDuplex {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes both directions at once; may throw if already closed. */
  close(): void;
  /** Ends the sending direction only (TCP FIN), if the transport can. */
  closeWrite?(): Promise<void>;
}

/** Options for {@linkcode codecConnection}: those of the native engine's wrapper, plus the codec's own. */
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
/** Random bytes drawn at once for client masking keys (256 keys). */
const KEY_POOL_BYTES = 1024;
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
 * - `readable` yields text as strings and binary as `Uint8Array` and ends
 *   (never errors) when the connection closes; `closed` tells how. Reading
 *   from the network pauses while unread messages exceed `maxUnreadBytes`.
 *   Cancelling it closes with 1000.
 * - A peer's ping is answered with a pong carrying the same data. A peer's
 *   close is answered with a close frame carrying its code; then our sending
 *   direction ends (TCP FIN), we wait up to `closeTimeout` for the peer's
 *   end of stream, and drop the transport.
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
  const writer = duplex.writable.getWriter();
  let buffered = 0;
  let lastWrite: Promise<void> = Promise.resolve();
  /** Settles once our close frame is written (or could not be). */
  let closeWritten: Promise<void> = Promise.resolve();
  let drainWaiters: PromiseWithResolvers<void>[] = [];
  /** Jobs waiting behind an asynchronous one (compression, Blob reading). */
  const jobs: (() => void | Promise<void>)[] = [];
  let busy = false;
  let keys = EMPTY;
  let nextKey = 0;

  function maskKey(): Uint8Array | false {
    if (!isClient) return false;
    if (nextKey === keys.length) {
      keys = crypto.getRandomValues(new Uint8Array(KEY_POOL_BYTES));
      nextKey = 0;
    }
    const key = keys.subarray(nextKey, nextKey + 4);
    nextKey += 4;
    return key;
  }

  /** Writes one frame; `cost` is what it added to `buffered`. */
  function writeFrame(
    opcode: number,
    payload: Uint8Array,
    rsv1: boolean,
    cost: number,
  ): void {
    const bytes = encodeFrame(
      { fin: true, rsv1, rsv2: false, rsv3: false, opcode, payload },
      { mask: maskKey() },
    );
    const write = writer.write(bytes);
    lastWrite = write;
    write.then(() => {
      if (cost === 0) return;
      buffered -= cost;
      if (buffered <= maxBufferedBytes && drainWaiters.length > 0) {
        const waiters = drainWaiters;
        drainWaiters = [];
        for (const waiter of waiters) waiter.resolve();
      }
    }, (error) => void abort(error));
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
      writeFrame(8, payload, false, 0);
      lastWrite.then(written.resolve, written.resolve);
    });
    if (result !== undefined) result.then(undefined, written.resolve);
    closeWritten = written.promise;
    return written.promise;
  }

  // ---- input ----
  const source = duplex.readable.getReader();
  const frames = new WsFrameDecoderStream({
    role,
    maxFrameBytes: maxMessageBytes + FRAME_HEADROOM,
    allowRsv1: compressor !== undefined,
  });
  const messages = new WsMessageDecoderStream({
    maxMessageBytes,
    ...(compressor === undefined ? {} : { compressor }),
  });
  frames.readable.pipeTo(messages.writable).catch(ignore);
  const bytes = frames.writable.getWriter();
  const messageReader = messages.readable.getReader();
  let decoding = true;
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

  async function feed(): Promise<void> {
    try {
      if (options.head !== undefined && options.head.length > 0) {
        await bytes.write(options.head);
      }
      while (true) {
        const { done, value } = await source.read();
        if (done) break;
        heard = true;
        if (pongTimer !== undefined) markAlive();
        if (!decoding) continue;
        try {
          await bytes.write(value);
        } catch {
          // The decoder failed: `receive` sees its error. Keep reading (and
          // discarding) so the peer's end of stream is noticed.
          decoding = false;
        }
      }
      if (decoding) bytes.close().catch(ignore);
    } catch (error) {
      // The transport failed or was closed under us.
      bytes.abort(error).catch(ignore);
    } finally {
      inputEnded.resolve();
    }
  }

  function deliver(data: string | Uint8Array): void {
    if (!readableOpen || state === "closed") return;
    if (state === "closing" && (controller.desiredSize ?? 0) <= 0) return;
    controller.enqueue(data);
  }

  async function receive(): Promise<void> {
    while (true) {
      while (
        state === "open" && readableOpen && (controller.desiredSize ?? 1) <= 0
      ) {
        paused = true;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        paused = false;
      }
      let result: ReadableStreamReadResult<WsMessage>;
      try {
        result = await messageReader.read();
      } catch (error) {
        onInputError(error);
        return;
      }
      if (result.done) {
        onInputEnd();
        return;
      }
      const message = result.value;
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
          onPeerClose(message.code, message.reason);
          break;
      }
    }
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
    source.cancel().catch(ignore);
    messageReader.cancel().catch(ignore);
    writer.abort().catch(ignore);
    try {
      duplex.close();
    } catch {
      // Already closed: cancelling a Deno connection's readable closes it.
    }
    compressor?.close?.();
    await Promise.allSettled([feeding, receiving]);
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

  const feeding = feed();
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
