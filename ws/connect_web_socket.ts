// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// The WebSocket client: the runtime's `WebSocket` or serverpush's codec
// over TCP (`Deno.connect` on Deno; `node:net` / `node:tls` on Node and Bun,
// taken from `process.getBuiltinModule` when called, never imported).

import { backoffDelay } from "../_internal/backoff.ts";
import { checkPositiveTimeout } from "../_internal/check.ts";
import { sleep } from "../_internal/sleep.ts";
import {
  type ClientHandshake,
  createClientHandshake,
  verifyClientHandshake,
} from "./client_handshake.ts";
import { type ByteDuplex, byteSource, writeAll } from "./_byte_io.ts";
import { nodeDialer } from "./_node_socket.ts";
import { codecConnection } from "./_codec_connection.ts";
import type { WsCodec, WsConnection } from "./connection.ts";
import type { WsDeflate } from "./compressor.ts";
import { WsHandshakeError } from "./handshake_error.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import { resolveHeartbeat } from "./_heartbeat.ts";
import {
  createHttp1HeadReader,
  type Http1HeadSplit,
  parseHttp1ResponseHead,
  serializeHttp1RequestHead,
} from "./_http1.ts";
import { checkDeflateOption } from "./_deflate_option.ts";
import {
  checkConnectionOptions,
  type SocketConnectionOptions,
} from "./_connection_options.ts";
import { socketConnection } from "./_socket_connection.ts";
import { type TypedWsConnection, withCodec } from "./typed_connection.ts";

/** Default time for the opening handshake, in milliseconds. */
const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
/** Largest response head the codec engine reads, in bytes. */
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

/**
 * How {@linkcode connectWebSocket} retries a failed connection attempt:
 * exponential backoff from `retry` up to `maxRetry` milliseconds, each wait
 * drawn at random between half and all of it (jitter), so that clients
 * dropped together do not come back together.
 */
export interface ConnectWebSocketReconnectOptions {
  /**
   * The first wait, in milliseconds; each failure doubles it.
   *
   * @default {1000}
   */
  retry?: number;
  /**
   * The longest wait, in milliseconds.
   *
   * @default {30000}
   */
  maxRetry?: number;
  /**
   * Attempts in all, the first included, before the last error is thrown.
   *
   * @default {Infinity}
   */
  maxAttempts?: number;
}

/** Where the codec engine asks its `connect` function to connect. */
export interface ConnectWebSocketTransportOptions {
  /** Host name or IP address (without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Whether to speak TLS (`wss:`). */
  tls: boolean;
  /** Extra root certificates (PEM) for TLS. */
  caCerts?: string[];
}

/**
 * A connected byte stream, such as a `Deno.Conn`: what the `connect` option
 * of {@linkcode connectWebSocket} resolves with.
 */
export interface ConnectWebSocketSocket {
  /** Bytes from the server. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the server. */
  readonly writable: WritableStream<Uint8Array>;
  /** Closes both directions. */
  close(): void;
  /** Ends the sending direction only (TCP FIN), if the transport can. */
  closeWrite?(): Promise<void>;
  /** Reads into `p` (as `Deno.Conn.read`), if the transport can. */
  read?(p: Uint8Array): Promise<number | null>;
  /** Writes from `p` (as `Deno.Conn.write`), if the transport can. */
  write?(p: Uint8Array): Promise<number>;
  /** Turns Nagle's algorithm off, if the transport can. */
  setNoDelay?(noDelay?: boolean): void;
}

/** Options for {@linkcode connectWebSocket}. */
export interface ConnectWebSocketOptions {
  /**
   * Which engine runs the connection:
   *
   * - `"codec"`: serverpush's own handshake and codec over TCP
   *   (`Deno.connect` / `Deno.connectTls` on Deno, `node:net` / `node:tls`
   *   on Node and Bun): permessage-deflate, the heartbeat, a hard bound on
   *   message size (checked before a message is buffered), and reading
   *   that pauses while messages are unread.
   * - `"native"`: the runtime's `WebSocket` (no permessage-deflate, no
   *   heartbeat; messages are checked against `maxMessageBytes` once
   *   received). The only engine in a browser.
   *
   * @default {"codec" where the runtime has TCP sockets, else "native"}
   */
  engine?: "codec" | "native";
  /**
   * Subprotocols to offer, most preferred first.
   *
   * @default {[]}
   */
  protocols?: string | readonly string[];
  /**
   * More request headers, such as `Authorization`, `Cookie` or `Origin`.
   * The codec engine sends them; the native engine passes them to the
   * runtime's `WebSocket` as an extension to the standard that Deno, Bun
   * and Node take and browsers do not (a browser fails the connection). The handshake's own headers (`Upgrade`,
   * `Connection`, `Sec-WebSocket-*`) may not be set: `TypeError`.
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /**
   * Aborts the opening handshake and the waits between attempts; the
   * promise then rejects with the signal's reason. It does not close a
   * connection once it is open: call `close()` for that.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Largest message accepted, in bytes; a bigger one closes with 1009.
   *
   * @default {16777216}
   */
  maxMessageBytes?: number;
  /**
   * `send()` resolves only once the connection's `bufferedAmount` is at or
   * below this many bytes.
   *
   * @default {1048576}
   */
  maxBufferedBytes?: number;
  /**
   * Received messages the application has not read yet (each counts its
   * size plus 64 bytes) above which the codec engine stops reading from the
   * network; the native engine, which cannot stop, closes with 1008.
   *
   * @default {16777216}
   */
  maxUnreadBytes?: number;
  /**
   * Milliseconds `close()` waits for the server's close frame before
   * `closed` resolves with 1006.
   *
   * @default {5000}
   */
  closeTimeout?: number;
  /**
   * Offer permessage-deflate (codec engine only): `permessageDeflate()`
   * from `@serverpush/serverpush/ws/deflate`, which needs `node:zlib`, or
   * `false`. Leaving it out offers no compression.
   *
   * @default {false}
   */
  deflate?: WsDeflate | false;
  /**
   * Ping a quiet server and close with 1001 if it does not answer (codec
   * engine only; a WHATWG `WebSocket` cannot send pings, so the native
   * engine refuses it with a `TypeError`). Off by default on the client.
   *
   * @default {false}
   */
  heartbeat?: HeartbeatOptions | number | false;
  /**
   * Milliseconds for one attempt: connecting, TLS and the HTTP handshake.
   *
   * @default {30000}
   */
  handshakeTimeout?: number;
  /**
   * Retry failed attempts with exponential backoff and jitter: `true` for
   * the defaults, or settings. Retried: network errors, timeouts, and
   * answers with status 408, 429 or 5xx. Not retried: other statuses
   * (such as 401, 403 or 404), invalid handshakes, and an abort.
   *
   * This covers the opening handshake only: a connection that closes later
   * stays closed, as {@linkcode WsConnection} requires. For a client that
   * outlives server restarts, loop: connect (with `reconnect`), read until
   * the connection closes, and connect again.
   *
   * @default {false}
   */
  reconnect?: boolean | ConnectWebSocketReconnectOptions;
  /**
   * Extra root certificates (PEM) trusted for `wss:` (codec engine only).
   *
   * @default {undefined}
   */
  caCerts?: string[];
  /**
   * Opens the TCP or TLS connection of the codec engine; unit tests pass a
   * fake, and a `Deno.connect` result fits.
   *
   * @default {Deno.connect or Deno.connectTls on Deno; node:net or node:tls on Node and Bun}
   */
  connect?: (
    options: ConnectWebSocketTransportOptions,
  ) => Promise<ConnectWebSocketSocket>;
}

/**
 * Options for {@linkcode connectWebSocket} with a codec.
 *
 * @typeParam T The application's message type.
 */
export interface ConnectTypedWebSocketOptions<T>
  extends ConnectWebSocketOptions {
  /**
   * Encodes and decodes messages (see {@linkcode withCodec}); a message it
   * cannot decode closes with 1007, or 1003 for the wrong frame type.
   */
  codec: WsCodec<T>;
}

/** The part of the `Deno` namespace the codec engine dials with. */
interface DenoNet {
  connect(options: {
    hostname: string;
    port: number;
    transport: "tcp";
  }): Promise<ConnectWebSocketSocket>;
  connectTls(options: {
    hostname: string;
    port: number;
    caCerts?: string[];
  }): Promise<ConnectWebSocketSocket>;
}

/** The dialer of this runtime, or `undefined` where it has no TCP. */
function platformConnect():
  | ((options: ConnectWebSocketTransportOptions) => Promise<
    ConnectWebSocketSocket
  >)
  | undefined {
  // Read by name: a browser has no such global, and this file names none.
  const deno = (globalThis as Record<string, unknown>)["Deno"] as
    | DenoNet
    | undefined;
  if (deno !== undefined) {
    return (options) => {
      const { hostname, port } = options;
      if (options.tls) {
        return deno.connectTls({
          hostname,
          port,
          ...(options.caCerts === undefined
            ? {}
            : { caCerts: options.caCerts }),
        });
      }
      return deno.connect({ hostname, port, transport: "tcp" });
    };
  }
  return nodeDialer();
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ??
    new DOMException("Cannot connect WebSocket: aborted", "AbortError");
}

/** Whether a failed attempt is worth another one. */
function isRetryable(error: unknown): boolean {
  if (error instanceof WsHandshakeError) {
    return error.code === "unexpected-status" &&
      (error.status === 408 || error.status === 429 || error.status >= 500);
  }
  if (error instanceof DOMException) {
    return error.name === "TimeoutError" || error.name === "NetworkError";
  }
  if (error instanceof Error && error.name === "AbortError") return false;
  // Connection refused or reset, DNS failure, TLS failure, and the like:
  // Deno's error classes by name, Node's by code.
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return RETRYABLE_ERROR_NAMES.has(error.name) ||
    (typeof code === "string" && RETRYABLE_ERROR_CODES.has(code));
}

/** Names of Deno's network errors worth another attempt. */
const RETRYABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "NotConnected",
  "TimedOut",
  "UnexpectedEof",
  "Interrupted",
  "BadResource",
  "AddrNotAvailable",
  "NotFound",
  "InvalidData",
]);

/** Node's error codes worth another attempt. */
const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);

/** Runs `attempt` under a timeout and the caller's signal. */
async function bounded<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  timeout: number,
  outer: AbortSignal | undefined,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new DOMException(
          `Cannot connect WebSocket: the handshake took longer than ${timeout} ms`,
          "TimeoutError",
        ),
      ),
    timeout,
  );
  const onAbort = (): void => controller.abort(abortReason(outer!));
  outer?.addEventListener("abort", onAbort, { once: true });
  try {
    return await attempt(controller.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onAbort);
  }
}

/** Rejects with the signal's reason once it aborts. */
function whenAborted(signal: AbortSignal): {
  promise: Promise<never>;
  dispose(): void;
} {
  let onAbort!: () => void;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => {});
  return {
    promise,
    dispose: () => signal.removeEventListener("abort", onAbort),
  };
}

async function connectCodec(
  handshake: ClientHandshake,
  options: ConnectWebSocketOptions,
  signal: AbortSignal,
): Promise<WsConnection> {
  const heartbeat = options.heartbeat === undefined
    ? undefined
    : resolveHeartbeat(options.heartbeat);
  const target = handshake.url;
  const tls = target.protocol === "https:";
  const hostname = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = target.port === "" ? (tls ? 443 : 80) : Number(target.port);
  const connect = options.connect ?? platformConnect();
  if (connect === undefined) {
    throw new TypeError(
      'Cannot connect WebSocket: engine "codec" needs TCP sockets, which this runtime lacks',
    );
  }
  const aborted = whenAborted(signal);
  let conn: ConnectWebSocketSocket | undefined;
  try {
    const connecting = connect({
      hostname,
      port,
      tls,
      ...(options.caCerts === undefined ? {} : { caCerts: options.caCerts }),
    });
    // A connection that arrives after an abort is closed at once.
    connecting.then((late) => {
      if (signal.aborted) closeQuietly(late);
    }, () => {});
    conn = await Promise.race([connecting, aborted.promise]);
    const open = conn;
    const onAbort = (): void => closeQuietly(open);
    signal.addEventListener("abort", onAbort, { once: true });
    let split: Http1HeadSplit | undefined;
    const reader = byteSource(conn);
    try {
      await writeAll(
        conn,
        serializeHttp1RequestHead({
          url: target,
          headers: handshake.headers,
        }),
      );
      const headReader = createHttp1HeadReader({
        maxHeadBytes: MAX_RESPONSE_HEAD_BYTES,
      });
      while (split === undefined) {
        const value = await Promise.race([reader.read(), aborted.promise]);
        if (value === undefined) {
          throw new DOMException(
            "Cannot connect WebSocket: the server closed the connection during the handshake",
            "NetworkError",
          );
        }
        split = headReader.push(value);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      reader.release();
    }
    if (signal.aborted) throw signal.reason;
    const response = parseHttp1ResponseHead(split.head);
    const result = await verifyClientHandshake(handshake, response);
    conn.setNoDelay?.(true);
    const deflate = options.deflate;
    return codecConnection(conn as ByteDuplex, {
      role: "client",
      head: split.rest,
      protocol: result.protocol,
      extensions: result.extensions,
      ...(result.deflate === undefined ? {} : {
        compressor: (deflate as WsDeflate).create(result.deflate, "client"),
      }),
      ...limits(options),
      ...(heartbeat === undefined ? {} : { heartbeat }),
      remoteAddr: { hostname, port },
    });
  } catch (error) {
    if (conn !== undefined) closeQuietly(conn);
    throw signal.aborted ? signal.reason : error;
  } finally {
    aborted.dispose();
  }
}

function limits(options: ConnectWebSocketOptions): SocketConnectionOptions {
  const out: SocketConnectionOptions = {};
  if (options.maxMessageBytes !== undefined) {
    out.maxMessageBytes = options.maxMessageBytes;
  }
  if (options.maxBufferedBytes !== undefined) {
    out.maxBufferedBytes = options.maxBufferedBytes;
  }
  if (options.maxUnreadBytes !== undefined) {
    out.maxUnreadBytes = options.maxUnreadBytes;
  }
  if (options.closeTimeout !== undefined) {
    out.closeTimeout = options.closeTimeout;
  }
  return out;
}

async function connectNative(
  handshake: ClientHandshake,
  url: string | URL,
  options: ConnectWebSocketOptions,
  signal: AbortSignal,
): Promise<WsConnection> {
  const headers = options.headers === undefined
    ? undefined
    : new Headers(options.headers);
  // Deno, Bun and Node take an options object with headers (an extension
  // of the standard); browsers only the standard form.
  const ExtendedWebSocket = WebSocket as unknown as new (
    url: string | URL,
    options: { protocols: string[]; headers?: Headers },
  ) => WebSocket;
  const socket = headers === undefined
    ? new WebSocket(url, [...handshake.protocols])
    : new ExtendedWebSocket(url, {
      protocols: [...handshake.protocols],
      headers,
    });
  const connection = socketConnection(socket, limits(options));
  const opened = new Promise<boolean>((resolve) => {
    socket.addEventListener("open", () => resolve(true), { once: true });
    connection.closed.then(() => resolve(false));
  });
  const aborted = whenAborted(signal);
  try {
    const open = await Promise.race([opened, aborted.promise]);
    if (!open) {
      throw new DOMException(
        `Cannot connect WebSocket: the connection to ${
          String(url).slice(0, 100)
        } failed`,
        "NetworkError",
      );
    }
    return connection;
  } catch (error) {
    socket.close();
    throw error;
  } finally {
    aborted.dispose();
  }
}

/**
 * Opens a WebSocket connection as a client, with the runtime's own
 * `WebSocket` or with serverpush's codec over TCP (the default where the
 * runtime has TCP sockets: Deno, Node 20 and later, Bun; see
 * {@linkcode ConnectWebSocketOptions.engine}).
 *
 * Resolves once the connection is open. A server that answers with a
 * status other than 101, or with an invalid handshake, fails it with a
 * {@linkcode WsHandshakeError} (codec engine; the native engine cannot see
 * the answer and fails with a `NetworkError` `DOMException`); a network
 * error fails it with the platform's error; a timeout with a
 * `TimeoutError` `DOMException`. With `reconnect`, failed attempts are
 * retried first.
 *
 * @param url A `ws:`, `wss:`, `http:` or `https:` URL.
 * @param options Engine, subprotocols, headers, limits, deflate, retries.
 * @returns The open connection.
 * @throws {TypeError} If the URL or a subprotocol is invalid, a header is
 * one the handshake owns, or an option does not apply to the engine.
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 *
 * @example Talk to an echo server
 * ```ts
 * import { connectWebSocket, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({}, async (connection) => {
 *   for await (const message of connection) await connection.send(message);
 * });
 * const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`);
 * strictEqual(client.extensions, "");
 * await client.send("ping?");
 * const reader = client.readable.getReader();
 * strictEqual((await reader.read()).value, "ping?");
 * reader.releaseLock();
 * await client.close(1000);
 * await server.shutdown();
 * ```
 *
 * @example Stay connected across server restarts
 * ```ts ignore
 * import { connectWebSocket } from "@serverpush/serverpush/ws";
 *
 * const controller = new AbortController();
 * const handle = (message: string | Uint8Array) => void message; // your code
 * while (!controller.signal.aborted) {
 *   const connection = await connectWebSocket("wss://example.com/feed", {
 *     reconnect: { retry: 500, maxRetry: 10_000 },
 *     signal: controller.signal,
 *   });
 *   for await (const message of connection) handle(message);
 * }
 * ```
 */
export function connectWebSocket(
  url: string | URL,
  options?: ConnectWebSocketOptions,
): Promise<WsConnection>;
/**
 * Opens a WebSocket connection whose messages go through a codec:
 * `for await` yields values and `send(value)` takes them. Otherwise the
 * same as the overload without `codec`.
 *
 * @typeParam T The application's message type.
 * @param url A `ws:`, `wss:`, `http:` or `https:` URL.
 * @param options The codec, and the options of the overload without it.
 * @returns The open, typed connection.
 * @throws {TypeError} If the URL or an option is invalid.
 *
 * @example Send and receive JSON
 * ```ts
 * import { connectWebSocket, jsonCodec, serveWebSocket } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const server = serveWebSocket({}, async (connection) => {
 *   for await (const message of connection) await connection.send(message);
 * });
 * const client = await connectWebSocket(`ws://127.0.0.1:${server.addr.port}/`, {
 *   codec: jsonCodec(),
 * });
 * await client.send({ n: 1 });
 * for await (const value of client) {
 *   deepStrictEqual(value, { n: 1 });
 *   break;
 * }
 * await client.closed;
 * await server.shutdown();
 * ```
 */
export function connectWebSocket<T>(
  url: string | URL,
  options: ConnectTypedWebSocketOptions<T>,
): Promise<TypedWsConnection<T>>;
export async function connectWebSocket<T>(
  url: string | URL,
  options: ConnectWebSocketOptions & { codec?: WsCodec<T> } = {},
): Promise<WsConnection | TypedWsConnection<T>> {
  const engine = options.engine ??
    (options.connect !== undefined || platformConnect() !== undefined
      ? "codec"
      : "native");
  if (engine !== "codec" && engine !== "native") {
    throw new TypeError(
      `Cannot connect WebSocket: engine ${
        JSON.stringify(String(engine).slice(0, 20))
      } is not "codec" or "native"`,
    );
  }
  checkConnectionOptions(limits(options));
  if (options.heartbeat !== undefined) resolveHeartbeat(options.heartbeat);
  if (engine === "native") {
    for (const name of ["deflate", "heartbeat", "caCerts"] as const) {
      const value = options[name];
      if (value !== undefined && value !== false) {
        throw new TypeError(
          `Cannot connect WebSocket: option ${name} needs the codec engine`,
        );
      }
    }
  }
  const deflate = checkDeflateOption("connect WebSocket", options.deflate);
  // Validates the URL, subprotocols and headers up front, for both engines.
  let handshake = createClientHandshake(url, {
    ...(options.protocols === undefined
      ? {}
      : { protocols: options.protocols }),
    deflate: deflate === undefined ? false : deflate.negotiation,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
  const timeout = checkPositiveTimeout(
    "connect WebSocket",
    "handshakeTimeout",
    options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
  );
  const reconnect = options.reconnect === true
    ? {}
    : options.reconnect === false || options.reconnect === undefined
    ? undefined
    : options.reconnect;
  const retry = reconnect?.retry ?? 1000;
  const maxRetry = reconnect?.maxRetry ?? 30_000;
  const maxAttempts = reconnect === undefined
    ? 1
    : reconnect.maxAttempts ?? Infinity;
  if (!(retry >= 0 && maxRetry >= 0 && maxAttempts >= 1)) {
    throw new RangeError(
      `Cannot connect WebSocket: reconnect ${
        JSON.stringify(reconnect)
      } needs retry and maxRetry of at least 0 and maxAttempts of at least 1`,
    );
  }
  const signal = options.signal;
  for (let attempt = 1;; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      const connection = await bounded(
        (attemptSignal) =>
          engine === "codec"
            ? connectCodec(handshake, options, attemptSignal)
            : connectNative(handshake, url, options, attemptSignal),
        timeout,
        signal,
      );
      return options.codec === undefined
        ? connection
        : withCodec(connection, options.codec);
    } catch (error) {
      if (
        signal?.aborted || attempt >= maxAttempts || !isRetryable(error)
      ) {
        throw signal?.aborted ? abortReason(signal) : error;
      }
    }
    await sleep(backoffDelay(attempt - 1, retry, maxRetry), signal);
    if (signal?.aborted) throw abortReason(signal);
    // A fresh key for every attempt.
    handshake = createClientHandshake(url, {
      ...(options.protocols === undefined
        ? {}
        : { protocols: options.protocols }),
      deflate: deflate === undefined ? false : deflate.negotiation,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
  }
}

function closeQuietly(conn: ConnectWebSocketSocket): void {
  try {
    conn.close();
  } catch (error) {
    // Already closed (a cancelled readable closes a Deno connection).
    if (!(error instanceof Error && error.name === "BadResource")) throw error;
  }
}
