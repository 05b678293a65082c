// Copyright 2026 the serverpush authors. MIT license.

/**
 * Raw TCP push: NUL- or line-delimited messages and a push relay.
 *
 * @module
 */
export * from "./nul_delimited_mode.ts";
export * from "./nul_delimited_encoder_stream.ts";
export * from "./nul_delimited_decoder_stream.ts";
export * from "./serve_tcp_push.ts";
