// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { WsCloseInfo, WsCodec, WsConnection } from "./connection.ts";
import { isValidCloseCode } from "./is_valid_close_code.ts";
import { fitCloseReason } from "./_fit_close_reason.ts";

/**
 * A {@linkcode WsConnection} that speaks application values instead of raw
 * messages, through a {@linkcode WsCodec}: `for await` yields values and
 * `send(value)` takes them. Made by {@linkcode withCodec}.
 *
 * @typeParam T The application's message type.
 */
export interface TypedWsConnection<T> extends AsyncIterable<T> {
  /** Decoded incoming values; ends when the connection closes. */
  readonly readable: ReadableStream<T>;
  /**
   * Encodes and sends one value; resolves as {@linkcode WsConnection.send}
   * does. Rejects with the codec's error if `encode` throws.
   */
  send(value: T): Promise<void>;
  /** Starts (or completes) the close handshake; resolves once closed. */
  close(code?: number, reason?: string): Promise<void>;
  /**
   * Resolves once the connection is closed. When a decode failure ended it,
   * this reports the code and reason this side closed with (1007 or 1003,
   * with the error's message), whatever the peer answered.
   */
  readonly closed: Promise<WsCloseInfo>;
  /** The negotiated subprotocol, or `""`. */
  readonly protocol: string;
  /** The negotiated extensions, or `""`. */
  readonly extensions: string;
  /** Bytes accepted by `send()` but not yet written to the network. */
  readonly bufferedAmount: number;
  /** The peer's address, where the engine knows it. */
  readonly remoteAddr?: { hostname: string; port: number };
  /** The untyped connection underneath (its `readable` is locked). */
  readonly connection: WsConnection;
}

function closeCodeOf(error: unknown): number {
  if (typeof error === "object" && error !== null && "closeCode" in error) {
    const code = error.closeCode;
    if (typeof code === "number" && isValidCloseCode(code)) return code;
  }
  return 1007;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.startsWith("Cannot decode message: ")
    ? text
    : `Cannot decode message: ${text}`;
}

/**
 * Puts a {@linkcode WsCodec} on a connection: incoming messages are decoded
 * into values, and `send(value)` encodes them.
 *
 * Messages are decoded as the application reads them. A message that
 * `decode` refuses never reaches the application and never throws into it: the connection closes with the error's `closeCode` (see
 * {@linkcode WsDecodeError}; 1003 for the wrong frame type) or 1007, the
 * reason is the error's message (cut to 123 bytes), `readable` ends, and
 * `closed` reports that code and reason. So one client sending garbage
 * cannot crash a server.
 *
 * @typeParam T The application's message type.
 * @param connection The connection; its `readable` becomes locked.
 * @param codec How to encode and decode values.
 * @returns The typed connection.
 *
 * @example Exchange JSON values
 * ```ts
 * import { jsonCodec, withCodec, type WsConnection } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * // A stand-in connection that has received one text message.
 * const sent: unknown[] = [];
 * const raw: WsConnection = {
 *   readable: ReadableStream.from(['{"text":"hi"}']),
 *   send: async (data) => void sent.push(data),
 *   close: async () => {},
 *   closed: new Promise(() => {}),
 *   protocol: "",
 *   extensions: "",
 *   bufferedAmount: 0,
 *   [Symbol.asyncIterator]: () => raw.readable.values(),
 * };
 * const chat = withCodec(raw, jsonCodec());
 * for await (const value of chat) deepStrictEqual(value, { text: "hi" });
 * await chat.send({ text: "hello" });
 * deepStrictEqual(sent, ['{"text":"hello"}']);
 * ```
 */
export function withCodec<T>(
  connection: WsConnection,
  codec: WsCodec<T>,
): TypedWsConnection<T> {
  let failure: { code: number; reason: string } | undefined;
  const readable = connection.readable.pipeThrough(
    new TransformStream<string | Uint8Array, T>({
      transform(data, controller): void {
        let value: T;
        try {
          value = codec.decode(data);
        } catch (error) {
          failure = {
            code: closeCodeOf(error),
            reason: fitCloseReason(messageOf(error)),
          };
          void connection.close(failure.code, failure.reason);
          controller.terminate();
          return;
        }
        controller.enqueue(value);
      },
    }),
  );
  const closed = connection.closed.then((info) =>
    failure === undefined ? info : { ...failure, wasClean: info.wasClean }
  );
  return {
    readable,
    send(value: T): Promise<void> {
      let data: string | Uint8Array;
      try {
        data = codec.encode(value);
      } catch (error) {
        return Promise.reject(error);
      }
      return connection.send(data);
    },
    close(code?: number, reason?: string): Promise<void> {
      return connection.close(code, reason);
    },
    closed,
    get protocol(): string {
      return connection.protocol;
    },
    get extensions(): string {
      return connection.extensions;
    },
    get bufferedAmount(): number {
      return connection.bufferedAmount;
    },
    ...(connection.remoteAddr === undefined
      ? {}
      : { remoteAddr: connection.remoteAddr }),
    connection,
    [Symbol.asyncIterator](): AsyncIterator<T> {
      return readable.values();
    },
  };
}
