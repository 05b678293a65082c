// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The WebSocket close codes that RFC 6455 (and the IANA registry it set up)
 * names.
 *
 * `NoStatus` (1005), `Abnormal` (1006) and `TlsHandshake` (1015) are never
 * sent on the wire: they only report what happened locally.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1}
 *
 * @example Close normally
 * ```ts
 * import { CloseCode } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(CloseCode.Normal, 1000);
 * strictEqual(CloseCode.MessageTooBig, 1009);
 * ```
 */
export const CloseCode: {
  /** The purpose of the connection has been fulfilled. */
  readonly Normal: 1000;
  /** The endpoint is going away (server shutdown, page navigation). */
  readonly GoingAway: 1001;
  /** The peer broke the protocol. */
  readonly ProtocolError: 1002;
  /** The endpoint cannot accept this type of data. */
  readonly UnsupportedData: 1003;
  /** No close code was present (never sent on the wire). */
  readonly NoStatus: 1005;
  /** The connection ended without a close frame (never sent on the wire). */
  readonly Abnormal: 1006;
  /** A message's data did not match its type, such as invalid UTF-8 text. */
  readonly InvalidPayload: 1007;
  /** A message violated the endpoint's policy. */
  readonly PolicyViolation: 1008;
  /** A message was too big to process. */
  readonly MessageTooBig: 1009;
  /** The client expected the server to negotiate an extension. */
  readonly MandatoryExtension: 1010;
  /** The server hit an unexpected condition. */
  readonly InternalError: 1011;
  /** The TLS handshake failed (never sent on the wire). */
  readonly TlsHandshake: 1015;
} = Object.freeze(
  {
    Normal: 1000,
    GoingAway: 1001,
    ProtocolError: 1002,
    UnsupportedData: 1003,
    NoStatus: 1005,
    Abnormal: 1006,
    InvalidPayload: 1007,
    PolicyViolation: 1008,
    MessageTooBig: 1009,
    MandatoryExtension: 1010,
    InternalError: 1011,
    TlsHandshake: 1015,
  } as const,
);

/**
 * One of the values of {@linkcode CloseCode}.
 *
 * @example Type a variable as a named close code
 * ```ts
 * import { CloseCode, type CloseCode as CloseCodeValue } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const code: CloseCodeValue = CloseCode.GoingAway;
 * strictEqual(code, 1001);
 * ```
 */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];
