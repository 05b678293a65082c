// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The WebSocket frame opcodes that RFC 6455 defines.
 *
 * Opcodes 3 to 7 (data) and 11 to 15 (control) are reserved; a frame that
 * uses one fails the connection with close code 1002.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-5.2}
 *
 * @example Tell control frames from data frames
 * ```ts
 * import { Opcode } from "@serverpush/serverpush/ws";
 * import { ok } from "node:assert/strict";
 *
 * ok(Opcode.Ping >= 0x8);
 * ok(Opcode.Text < 0x8);
 * ```
 */
export const Opcode: {
  /** Continues a fragmented message. */
  readonly Continuation: 0;
  /** First (or only) frame of a UTF-8 text message. */
  readonly Text: 1;
  /** First (or only) frame of a binary message. */
  readonly Binary: 2;
  /** Closing handshake; carries an optional close code and reason. */
  readonly Close: 8;
  /** Keep-alive probe; the peer answers with a pong. */
  readonly Ping: 9;
  /** Answer to a ping, or a unidirectional heartbeat. */
  readonly Pong: 10;
} = Object.freeze(
  {
    Continuation: 0,
    Text: 1,
    Binary: 2,
    Close: 8,
    Ping: 9,
    Pong: 10,
  } as const,
);

/**
 * One of the values of {@linkcode Opcode}.
 *
 * @example Type a variable as an opcode
 * ```ts
 * import { Opcode, type Opcode as OpcodeValue } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const op: OpcodeValue = Opcode.Binary;
 * strictEqual(op, 2);
 * ```
 */
export type Opcode = typeof Opcode[keyof typeof Opcode];
