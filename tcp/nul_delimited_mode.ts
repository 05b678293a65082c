// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * How messages are delimited on a raw TCP push connection.
 *
 * - `"nul"`: each message is UTF-8 text followed by one NUL byte (`0x00`),
 *   the framing of the Flash `XMLSocket` and of the Java applet socket
 *   servers built for it.
 * - `"line"`: each message is UTF-8 text followed by one LF (`0x0A`), for
 *   plain tools such as `nc` or `telnet`. Decoders also accept CRLF: one CR
 *   right before the LF is dropped.
 *
 * Neither byte ever occurs inside a multi-byte UTF-8 sequence, so splitting
 * on it is safe before decoding.
 *
 * @example Pick the framing for a command-line client
 * ```ts
 * import {
 *   type NulDelimitedMode,
 *   NulDelimitedEncoderStream,
 * } from "@serverpush/serverpush/tcp";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const mode: NulDelimitedMode = "line";
 * const bytes = await Array.fromAsync(
 *   ReadableStream.from(["hi"]).pipeThrough(new NulDelimitedEncoderStream({ mode })),
 * );
 * deepStrictEqual(bytes, [new Uint8Array([0x68, 0x69, 0x0a])]);
 * ```
 */
export type NulDelimitedMode = "nul" | "line";
