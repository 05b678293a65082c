// Copyright 2026 the serverpush authors. MIT license.

/**
 * Raw TCP push: NUL- or line-delimited messages and a push relay, the Flash
 * `XMLSocket` / Java applet socket pattern, for clients that are not
 * browsers (devices, monitors, command-line tools).
 *
 * - {@linkcode NulDelimitedEncoderStream} and
 *   {@linkcode NulDelimitedDecoderStream} frame text messages: UTF-8, each
 *   ended by one NUL byte, or by LF in `"line"` mode
 *   ({@linkcode NulDelimitedMode}). They are bounded, run in linear time and
 *   use only web APIs.
 * - {@linkcode serveTcpPush} runs the relay on `Deno.listen`: each client
 *   gets an id as its first message, then receives what the application
 *   pushes to that id ({@linkcode TcpPushRelay.send}, or `POST /relay/:id`
 *   through {@linkcode TcpPushRelay.handler}) and the hub topics it
 *   subscribes to with `subscribe <topic>`. It answers Flash socket policy
 *   requests.
 *
 * @example Frame messages and read them back, however the bytes are cut
 * ```ts
 * import {
 *   NulDelimitedDecoderStream,
 *   NulDelimitedEncoderStream,
 * } from "@serverpush/serverpush/tcp";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(["<hello/>", "é"]).pipeThrough(new NulDelimitedEncoderStream()),
 * );
 * // One byte at a time, as a slow network might deliver them.
 * const bytes = chunks.flatMap((chunk) => Array.from(chunk, (b) => new Uint8Array([b])));
 * const messages = ReadableStream.from(bytes).pipeThrough(new NulDelimitedDecoderStream());
 * deepStrictEqual(await Array.fromAsync(messages), ["<hello/>", "é"]);
 * ```
 *
 * @module
 */
export * from "./nul_delimited_mode.ts";
export * from "./nul_delimited_encoder_stream.ts";
export * from "./nul_delimited_decoder_stream.ts";
export * from "./serve_tcp_push.ts";
export type * from "../message/source.ts";
export type * from "../message/message.ts";
