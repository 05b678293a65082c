// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Options for the {@linkcode WsDecodeError} constructor. */
export interface WsDecodeErrorOptions {
  /**
   * Close code to send: 1007 for data that does not parse, 1003 for a frame
   * type the codec does not take (binary to a text codec), or any other code
   * that may be sent.
   *
   * @default {1007}
   */
  closeCode?: number;
  /** The underlying error, if any. @default {undefined} */
  cause?: unknown;
}

/**
 * A {@linkcode WsCodec} could not decode a message: throw it from `decode`
 * to choose the close code that {@linkcode withCodec} answers with.
 *
 * Any error thrown by `decode` closes the connection; one that carries a
 * `closeCode` (this class, or {@linkcode WsProtocolError}) closes with that
 * code, any other with 1007.
 *
 * @example Refuse binary frames in a text codec
 * ```ts
 * import { type WsCodec, WsDecodeError } from "@serverpush/serverpush/ws";
 * import { strictEqual, throws } from "node:assert/strict";
 *
 * const upper: WsCodec<string> = {
 *   encode: (value) => value.toUpperCase(),
 *   decode(data) {
 *     if (typeof data !== "string") {
 *       throw new WsDecodeError("Cannot decode message: it is binary", { closeCode: 1003 });
 *     }
 *     return data.toLowerCase();
 *   },
 * };
 * strictEqual(upper.decode("HI"), "hi");
 * throws(() => upper.decode(new Uint8Array(1)), (error: WsDecodeError) => error.closeCode === 1003);
 * ```
 */
export class WsDecodeError extends Error {
  /** Close code to send to the peer, 1007 unless the thrower chose another. */
  readonly closeCode: number;

  /**
   * Creates a decode error.
   *
   * @param message What went wrong, in the form "Cannot decode message: <state>".
   * @param options The close code and the cause.
   */
  constructor(message: string, options: WsDecodeErrorOptions = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "WsDecodeError";
    this.closeCode = options.closeCode ?? 1007;
  }
}
