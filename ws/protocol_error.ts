// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Machine-readable reason of a {@linkcode WsProtocolError}. Each maps to one
 * close code:
 *
 * | code                         | close code | meaning                                                        |
 * | ---------------------------- | ---------- | -------------------------------------------------------------- |
 * | `"unmasked-frame"`           | 1002       | a client sent a frame without a masking key                    |
 * | `"masked-frame"`             | 1002       | a server sent a masked frame                                   |
 * | `"reserved-bits"`            | 1002       | RSV1, RSV2 or RSV3 set where no extension allows it            |
 * | `"reserved-opcode"`          | 1002       | opcode 3-7 or 11-15                                            |
 * | `"control-frame-too-long"`   | 1002       | close, ping or pong payload over 125 bytes                     |
 * | `"fragmented-control-frame"` | 1002       | close, ping or pong with FIN clear                             |
 * | `"invalid-length"`           | 1002       | 64-bit payload length with the most significant bit set        |
 * | `"frame-too-large"`          | 1009       | frame payload over `maxFrameBytes` (seen in the header)        |
 * | `"message-too-large"`        | 1009       | message over `maxMessageBytes`, decompressed size included     |
 * | `"unexpected-continuation"`  | 1002       | continuation frame with no fragmented message in progress      |
 * | `"expected-continuation"`    | 1002       | new text or binary frame while a fragmented message is open    |
 * | `"invalid-utf8"`             | 1007       | text message that is not UTF-8 (detected per fragment)         |
 * | `"invalid-close-payload"`    | 1002       | close frame with a 1-byte payload                              |
 * | `"invalid-close-code"`       | 1002       | close code that may not be sent (for example 1005 or 2999)     |
 * | `"invalid-close-reason"`     | 1007       | close reason that is not UTF-8                                 |
 * | `"invalid-compressed-data"`  | 1007       | the compressor could not decompress a message                  |
 * | `"unexpected-end"`           | 1006       | input ended inside a frame or inside a fragmented message      |
 */
export type WsProtocolErrorCode =
  | "unmasked-frame"
  | "masked-frame"
  | "reserved-bits"
  | "reserved-opcode"
  | "control-frame-too-long"
  | "fragmented-control-frame"
  | "invalid-length"
  | "frame-too-large"
  | "message-too-large"
  | "unexpected-continuation"
  | "expected-continuation"
  | "invalid-utf8"
  | "invalid-close-payload"
  | "invalid-close-code"
  | "invalid-close-reason"
  | "invalid-compressed-data"
  | "unexpected-end";

const CLOSE_CODES: Readonly<Record<WsProtocolErrorCode, number>> = Object
  .freeze({
    "unmasked-frame": 1002,
    "masked-frame": 1002,
    "reserved-bits": 1002,
    "reserved-opcode": 1002,
    "control-frame-too-long": 1002,
    "fragmented-control-frame": 1002,
    "invalid-length": 1002,
    "frame-too-large": 1009,
    "message-too-large": 1009,
    "unexpected-continuation": 1002,
    "expected-continuation": 1002,
    "invalid-utf8": 1007,
    "invalid-close-payload": 1002,
    "invalid-close-code": 1002,
    "invalid-close-reason": 1007,
    "invalid-compressed-data": 1007,
    "unexpected-end": 1006,
  });

/** Options for {@linkcode WsProtocolError}. */
export interface WsProtocolErrorOptions {
  /** Machine-readable reason. */
  code: WsProtocolErrorCode;
  /**
   * Close code to report; the one the table on
   * {@linkcode WsProtocolErrorCode} gives for `code` when left out.
   *
   * @default {the close code of `code`}
   */
  closeCode?: number;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The peer broke RFC 6455: the connection must be failed with
 * {@linkcode WsProtocolError.closeCode}.
 *
 * The WebSocket decoder streams error with this class; switch on
 * {@linkcode WsProtocolError.code} to tell the cases apart. A `closeCode` of
 * 1006 (`"unexpected-end"`) means the input simply stopped: there is no peer
 * left to send a close frame to.
 *
 * @example Read the close code to answer with
 * ```ts
 * import { WsProtocolError } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const error = new WsProtocolError("Cannot decode frame: opcode 3 is reserved", {
 *   code: "reserved-opcode",
 * });
 * strictEqual(error.closeCode, 1002);
 * strictEqual(error.name, "WsProtocolError");
 * ```
 */
export class WsProtocolError extends Error {
  /** Machine-readable reason; safe to switch on. */
  readonly code: WsProtocolErrorCode;
  /** Close code to send to the peer, such as 1002, 1007 or 1009. */
  readonly closeCode: number;

  /**
   * Creates an error.
   *
   * @param message What went wrong, in the form "Cannot <verb> <thing>: <state>".
   * @param options The reason code, and optionally the close code and cause.
   */
  constructor(message: string, options: WsProtocolErrorOptions) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "WsProtocolError";
    this.code = options.code;
    this.closeCode = options.closeCode ?? CLOSE_CODES[options.code];
  }
}
