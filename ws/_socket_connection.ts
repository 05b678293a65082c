// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: wraps a WHATWG `WebSocket` (Deno's server-side socket from
// `Deno.upgradeWebSocket`, or any client `new WebSocket(url)`) as a
// `WsConnection`. Used by `acceptWebSocket` and by the native client engine.

import type { WsCloseInfo, WsConnection, WsSendData } from "./connection.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";

/** Default largest message, in bytes: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Default `bufferedAmount` above which `send()` waits: 1 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Default bound of received messages nobody has read yet: 16 MiB. */
export const DEFAULT_MAX_UNREAD_BYTES = 16 * 1024 * 1024;
/** Default wait for the peer's close frame, in milliseconds. */
export const DEFAULT_CLOSE_TIMEOUT = 5_000;
/** What each unread message costs on top of its payload, in bytes. */
export const UNREAD_MESSAGE_OVERHEAD = 64;

/** The longest close reason RFC 6455 allows, in UTF-8 bytes. */
const MAX_REASON_BYTES = 123;
/** Longest pause between two `bufferedAmount` checks, in milliseconds. */
const MAX_DRAIN_POLL_MS = 64;

// WebSocket.readyState OPEN (the constant is not on every fake).
const OPEN = 1;

/** Options for {@linkcode socketConnection}. */
export interface SocketConnectionOptions {
  /**
   * Largest message accepted, in bytes (UTF-8 bytes for text). A bigger one
   * closes the connection with 1009. The socket has already received the
   * whole message by then: this bounds what reaches the application, not
   * what the platform buffers.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * `send()` resolves only once `socket.bufferedAmount` is at or below this.
   *
   * @default {1048576}
   */
  maxBufferedBytes?: number;
  /**
   * Bound on received messages queued in `readable` that nobody has read
   * yet (each counts its size plus 64 bytes). A WHATWG `WebSocket` cannot
   * stop reading, so going past it closes the connection with 1008. One
   * message is always accepted into an empty queue.
   *
   * @default {16777216}
   */
  maxUnreadBytes?: number;
  /**
   * Milliseconds `close()` waits for the peer's close frame before `closed`
   * resolves with 1006.
   *
   * @default {5000}
   */
  closeTimeout?: number;
  /**
   * The negotiated subprotocol to report; `socket.protocol` when absent
   * (Deno's server-side socket reads `""` there, so its adapter passes it).
   *
   * @default {undefined}
   */
  protocol?: string;
  /**
   * The negotiated extensions to report; `socket.extensions` when absent.
   *
   * @default {undefined}
   */
  extensions?: string;
  /**
   * The peer's address, where the caller knows it.
   *
   * @default {undefined}
   */
  remoteAddr?: { hostname: string; port: number };
}

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

/** What an unread message costs against `maxUnreadBytes`. */
function unreadSize(chunk: string | Uint8Array): number {
  return (typeof chunk === "string" ? chunk.length : chunk.byteLength) +
    UNREAD_MESSAGE_OVERHEAD;
}

function closedError(action: string): DOMException {
  return new DOMException(
    `Cannot send message: the connection ${action}`,
    "InvalidStateError",
  );
}

/** Whether `text` takes more than `limit` bytes in UTF-8. */
export function exceedsUtf8(text: string, limit: number): boolean {
  // Each UTF-16 code unit takes 1 to 3 UTF-8 bytes (a surrogate pair, 4).
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else bytes += 3; // a surrogate pair counts 3 + 3 >= its 4 bytes
    if (bytes > limit) break;
  }
  return bytes > limit && new TextEncoder().encode(text).length > limit;
}

/** Cuts `reason` to at most 123 UTF-8 bytes, on a code point boundary. */
export function fitCloseReason(reason: string): string {
  if (!exceedsUtf8(reason, MAX_REASON_BYTES)) return reason;
  const bytes = new TextEncoder().encode(reason);
  let end = MAX_REASON_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function checkLimit(name: string, value: number): number {
  if (!(value >= 0)) {
    throw new RangeError(
      `Cannot create WebSocket connection: ${name} ${value} is not a non-negative number`,
    );
  }
  return value;
}

/**
 * Checks the limits of {@linkcode SocketConnectionOptions}, as
 * {@linkcode socketConnection} does, so an adapter can refuse bad options
 * before it upgrades anything.
 *
 * @throws {RangeError} If a limit is negative or not a number.
 */
export function checkConnectionOptions(options: SocketConnectionOptions): void {
  checkLimit("maxMessageBytes", options.maxMessageBytes ?? 0);
  checkLimit("maxBufferedBytes", options.maxBufferedBytes ?? 0);
  checkLimit("maxUnreadBytes", options.maxUnreadBytes ?? 0);
  checkTimeout(options.closeTimeout ?? 0);
}

function checkTimeout(value: number): number {
  if (!(value >= 0 && value < 2 ** 31)) {
    throw new RangeError(
      `Cannot create WebSocket connection: closeTimeout ${value} is not a number of milliseconds below 2 ** 31`,
    );
  }
  return value;
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
 *   event). It rejects with an `InvalidStateError` `DOMException` when the
 *   connection is closing or closed (also when it closes while waiting);
 *   that rejection is marked handled, so a fire-and-forget `send()` never
 *   becomes an unhandled rejection, while an awaiting caller still sees it.
 * - `close()` validates the code (RangeError), sends the close frame and
 *   resolves once `closed` does; if the peer does not answer within
 *   `closeTimeout`, `closed` resolves with 1006 (the platform socket itself
 *   cannot be torn down from here). Calling it again joins the first close.
 * - `closed` resolves with the code of the close frame received (RFC 6455
 *   section 7.1.5), 1006 when the connection dropped or the socket reported
 *   code 0, and never rejects.
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
  const maxMessageBytes = checkLimit(
    "maxMessageBytes",
    options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  );
  const maxBufferedBytes = checkLimit(
    "maxBufferedBytes",
    options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
  );
  const maxUnreadBytes = checkLimit(
    "maxUnreadBytes",
    options.maxUnreadBytes ?? DEFAULT_MAX_UNREAD_BYTES,
  );
  const closeTimeout = checkTimeout(
    options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
  );
  socket.binaryType = "arraybuffer";

  let resolveClosed!: (info: WsCloseInfo) => void;
  const closed = new Promise<WsCloseInfo>((resolve) => {
    resolveClosed = resolve;
  });
  // Made only when send() is called before the socket opened.
  let openResolvers: PromiseWithResolvers<boolean> | undefined;
  let opened = socket.readyState === OPEN;
  let finished = false;
  let closing: Promise<void> | undefined;
  let receiving = true;
  let readableOpen = true;
  let closeTimer: ReturnType<typeof setTimeout> | undefined;
  let closeCode: number | undefined;
  let closeReason: string | undefined;

  let drain: PromiseWithResolvers<void> | undefined;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  let drainDelay = 1;

  // Unread messages wait here until `readable` is first asked for (they
  // then move into it) or `[Symbol.asyncIterator]()` takes them directly:
  // a connection that is only iterated never builds a ReadableStream.
  let unread: (string | Uint8Array)[] = [];
  let unreadHead = 0;
  let unreadBytes = 0;
  /** `next()` calls of the direct iterator waiting for a message. */
  let reads: PromiseWithResolvers<IteratorResult<string | Uint8Array>>[] = [];
  /** Whether the direct iterator holds the messages (the stream's lock). */
  let iterating = false;
  let readable: ReadableStream<string | Uint8Array> | undefined;
  let controller: ReadableStreamDefaultController<string | Uint8Array>;
  /** Whether `readable` exists and is neither closed nor cancelled. */
  let streamOpen = false;
  /** The lock standing in for the direct iterator's, if `readable` exists. */
  let lock: ReadableStreamDefaultReader<string | Uint8Array> | undefined;

  /** Builds `readable` on first use, with what is unread so far. */
  function getReadable(): ReadableStream<string | Uint8Array> {
    if (readable !== undefined) return readable;
    readable = new ReadableStream<string | Uint8Array>({
      start(c): void {
        controller = c;
      },
      cancel(): void {
        readableOpen = false;
        streamOpen = false;
        void close(1000);
      },
    }, {
      highWaterMark: maxUnreadBytes,
      size: unreadSize,
    });
    streamOpen = true;
    if (iterating) {
      // The direct iterator has the messages: the stream looks as
      // `values()` leaves it, locked, and ends with the connection.
      lock = readable.getReader();
      if (!readableOpen) closeStream();
      return readable;
    }
    for (let i = unreadHead; i < unread.length; i++) {
      controller.enqueue(unread[i]!);
    }
    unread = [];
    unreadHead = 0;
    unreadBytes = 0;
    if (!readableOpen) closeStream();
    return readable;
  }

  function closeStream(): void {
    if (!streamOpen) return;
    streamOpen = false;
    controller.close();
  }

  /** Ends the direct iterator's waiting reads. */
  function endReads(): void {
    const waiting = reads;
    reads = [];
    for (const read of waiting) read.resolve({ value: undefined, done: true });
  }

  /**
   * What `[Symbol.asyncIterator]()` returns: `readable.values()` once
   * `readable` exists, else an iterator over the unread messages that
   * behaves the same (one at a time; `return()` closes with 1000).
   */
  function iterate(): AsyncIterableIterator<string | Uint8Array> {
    if (readable !== undefined || iterating) return getReadable().values();
    iterating = true;
    let released = false;
    const release = (): void => {
      released = true;
      iterating = false;
      // As `values()` releases the stream's lock once done; the stream has
      // ended by now (the connection closed or `return()` cancelled it).
      if (lock !== undefined) {
        closeStream();
        lock.releaseLock();
        lock = undefined;
      }
    };
    const iterator: AsyncIterableIterator<string | Uint8Array> = {
      next(): Promise<IteratorResult<string | Uint8Array>> {
        if (released) return Promise.resolve({ value: undefined, done: true });
        if (unreadHead < unread.length) {
          const value = unread[unreadHead]!;
          unread[unreadHead++] = "";
          unreadBytes -= unreadSize(value);
          if (unreadHead === unread.length) {
            unread = [];
            unreadHead = 0;
          } else if (unreadHead >= 1024 && unreadHead * 2 >= unread.length) {
            unread = unread.slice(unreadHead);
            unreadHead = 0;
          }
          return Promise.resolve({ value, done: false });
        }
        if (!readableOpen) {
          release();
          return Promise.resolve({ value: undefined, done: true });
        }
        const read = Promise.withResolvers<
          IteratorResult<string | Uint8Array>
        >();
        reads.push(read);
        return read.promise;
      },
      return(value?: unknown): Promise<IteratorResult<string | Uint8Array>> {
        if (!released) {
          release();
          unread = [];
          unreadHead = 0;
          unreadBytes = 0;
          if (readableOpen) {
            readableOpen = false;
            endReads();
            void close(1000);
          }
        }
        return Promise.resolve({
          value: value as string | Uint8Array,
          done: true,
        });
      },
      [Symbol.asyncIterator](): AsyncIterableIterator<string | Uint8Array> {
        return iterator;
      },
    };
    return iterator;
  }

  function finish(info: WsCloseInfo): void {
    if (finished) return;
    finished = true;
    receiving = false;
    clearTimeout(closeTimer);
    clearTimeout(drainTimer);
    socket.removeEventListener("open", listener);
    socket.removeEventListener("message", listener);
    socket.removeEventListener("close", listener);
    socket.removeEventListener("error", listener);
    openResolvers?.resolve(false);
    openResolvers = undefined;
    if (drain !== undefined) {
      drain.reject(closedError("closed before the data was sent"));
      drain = undefined;
    }
    if (readableOpen) {
      readableOpen = false;
      closeStream();
      endReads();
    }
    resolveClosed(info);
  }

  /** Closes because of something the peer sent; stops delivering messages. */
  function fail(code: number, reason: string): void {
    receiving = false;
    void close(code, fitCloseReason(reason));
  }

  // One listener object for the four events rather than four functions.
  const listener: EventListenerObject = {
    handleEvent(event: Event): void {
      switch (event.type) {
        case "message":
          receive((event as MessageEvent).data);
          break;
        case "open":
          // Neither event matters once open: fewer listeners to keep.
          socket.removeEventListener("open", listener);
          socket.removeEventListener("error", listener);
          opened = true;
          openResolvers?.resolve(true);
          openResolvers = undefined;
          // Deno's server-side socket ignores a close() made before it
          // opened.
          if (closing !== undefined && !finished) closeSocket();
          break;
        case "close": {
          const { code, reason, wasClean } = event as CloseEvent;
          // Deno reports code 0 when the TCP connection dropped.
          finish({ code: code === 0 ? 1006 : code, reason, wasClean });
          break;
        }
        case "error":
          // A socket that never opened may not fire `close` (Deno's
          // server-side socket when the upgrade fails); otherwise `close`
          // follows.
          if (!opened) finish({ code: 1006, reason: "", wasClean: false });
      }
    },
  };

  function receive(data: unknown): void {
    if (!receiving) return;
    let message: string | Uint8Array;
    let tooBig: boolean;
    if (typeof data === "string") {
      message = data;
      tooBig = exceedsUtf8(data, maxMessageBytes);
    } else if (data instanceof ArrayBuffer) {
      message = new Uint8Array(data);
      tooBig = data.byteLength > maxMessageBytes;
    } else {
      fail(1003, "Cannot receive message: binaryType is not arraybuffer");
      return;
    }
    if (tooBig) {
      fail(
        1009,
        `Cannot receive message: it exceeds maxMessageBytes of ${maxMessageBytes}`,
      );
      return;
    }
    const read = reads.shift();
    if (read !== undefined) {
      // A waiting `next()` takes it at once, as a pending read does.
      read.resolve({ value: message, done: false });
      return;
    }
    const room = readable === undefined || iterating
      ? maxUnreadBytes - unreadBytes
      : controller.desiredSize ?? 0;
    const cost = unreadSize(message);
    if (room < maxUnreadBytes && cost > room) {
      fail(
        1008,
        `Cannot queue message: unread messages exceed maxUnreadBytes of ${maxUnreadBytes}`,
      );
      return;
    }
    if (!readableOpen) return;
    if (readable === undefined || iterating) {
      unread.push(message);
      unreadBytes += cost;
    } else {
      controller.enqueue(message);
    }
  }

  if (!opened) {
    socket.addEventListener("open", listener);
    socket.addEventListener("error", listener);
  }
  socket.addEventListener("message", listener);
  socket.addEventListener("close", listener);

  function pollDrain(): void {
    drainTimer = undefined;
    if (drain === undefined) return;
    if (socket.bufferedAmount <= maxBufferedBytes) {
      const done = drain;
      drain = undefined;
      done.resolve();
      return;
    }
    drainDelay = Math.min(drainDelay * 2, MAX_DRAIN_POLL_MS);
    drainTimer = setTimeout(pollDrain, drainDelay);
  }

  function waitForDrain(): Promise<void> {
    if (drain === undefined) {
      drain = Promise.withResolvers<void>();
      drainDelay = 1;
      drainTimer = setTimeout(pollDrain, drainDelay);
    }
    return drain.promise;
  }

  function sendNow(data: WsSendData): Promise<void> {
    if (finished) return Promise.reject(closedError("is closed"));
    if (closing !== undefined || socket.readyState !== OPEN) {
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
    if (socket.bufferedAmount <= maxBufferedBytes) return SENT;
    return waitForDrain();
  }

  function send(data: WsSendData): Promise<void> {
    if (opened || finished) {
      const sent = sendNow(data);
      return sent === SENT ? sent : handled(sent);
    }
    openResolvers ??= Promise.withResolvers<boolean>();
    return handled(
      openResolvers.promise.then((open) =>
        open ? sendNow(data) : Promise.reject(closedError("did not open"))
      ),
    );
  }

  function close(code?: number, reason?: string): Promise<void> {
    if (closing !== undefined) return closing;
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
    const done = closed.then(() => {});
    closing = done;
    if (finished) return done;
    closeCode = code;
    closeReason = reason;
    closeTimer = setTimeout(
      () => finish({ code: 1006, reason: "", wasClean: false }),
      closeTimeout,
    );
    closeSocket();
    return done;
  }

  function closeSocket(): void {
    try {
      socket.close(closeCode, closeReason);
    } catch {
      // The platform refused the code: a client socket (browser or Deno)
      // sends only 1000 and 3000-4999. Close without a code instead.
      socket.close();
    }
  }

  // Built without a spread, which would leave it in slow (dictionary) mode.
  const connection: { -readonly [K in keyof WsConnection]: WsConnection[K] } = {
    get readable(): ReadableStream<string | Uint8Array> {
      return getReadable();
    },
    send,
    close,
    closed,
    get protocol(): string {
      return options.protocol ?? socket.protocol;
    },
    get extensions(): string {
      return options.extensions ?? socket.extensions;
    },
    get bufferedAmount(): number {
      return socket.bufferedAmount;
    },
    [Symbol.asyncIterator](): AsyncIterator<string | Uint8Array> {
      return iterate();
    },
  };
  if (options.remoteAddr !== undefined) {
    connection.remoteAddr = options.remoteAddr;
  }
  return connection;
}
