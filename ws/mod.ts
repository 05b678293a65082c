// Copyright 2026 the serverpush authors. MIT license.

/**
 * WebSocket: the RFC 6455 frame and message codec as Web Streams, the opening
 * handshake, the negotiation of permessage-deflate (RFC 7692; its zlib
 * engine is the separate entry `./ws/deflate`), and the servers and the
 * client. Loads in a browser: no module here imports a `node:` module, and
 * none names `Deno` at import time.
 *
 * @example A text frame through the codec, masked by a client and read by a server
 * ```ts
 * import {
 *   Opcode,
 *   WsFrameDecoderStream,
 *   WsFrameEncoderStream,
 *   WsMessageDecoderStream,
 * } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const payload = new TextEncoder().encode("hi");
 * const frame = { fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: Opcode.Text, payload };
 * const messages = await Array.fromAsync(
 *   ReadableStream.from([frame])
 *     .pipeThrough(new WsFrameEncoderStream({ role: "client" }))
 *     .pipeThrough(new WsFrameDecoderStream({ role: "server" }))
 *     .pipeThrough(new WsMessageDecoderStream()),
 * );
 * deepStrictEqual(messages, [{ type: "text", data: "hi" }]);
 * ```
 *
 * @module
 */

export type * from "./compressor.ts";
export * from "./accept_key.ts";
export * from "./handshake_error.ts";
export * from "./server_handshake.ts";
export * from "./check_host.ts";
export * from "./check_origin.ts";
export * from "./client_handshake.ts";
export * from "./deflate_negotiation.ts";
export * from "./deflate_limiter.ts";
export * from "./opcode.ts";
export * from "./close_code.ts";
export * from "./protocol_error.ts";
export * from "./frame.ts";
export * from "./encode_frame.ts";
export * from "./frame_parser.ts";
export * from "./frame_encoder.ts";
export * from "./frame_encoder_stream.ts";
export * from "./frame_decoder_stream.ts";
export * from "./message.ts";
export * from "./message_decoder_stream.ts";
export * from "./message_encoder_stream.ts";
export * from "./is_valid_close_code.ts";
export * from "./encode_close_payload.ts";
export * from "./parse_close_payload.ts";
export type * from "./connection.ts";
export * from "./admit_upgrade.ts";
export * from "./decode_error.ts";
export * from "./typed_connection.ts";
export * from "./for_each_message.ts";
export * from "./json_codec.ts";
export type * from "./heartbeat.ts";
export * from "./accept_web_socket.ts";
export * from "./serve_web_socket.ts";
export * from "./connect_web_socket.ts";
export * from "./codec_web_socket.ts";
export * from "./upgrade_provider.ts";
