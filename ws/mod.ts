// Copyright 2026 the serverpush authors. MIT license.

/**
 * WebSocket: the RFC 6455 frame and message codec as Web Streams, the opening
 * handshake, and permessage-deflate (RFC 7692).
 *
 * @module
 */

export type * from "./compressor.ts";
export * from "./accept_key.ts";
export * from "./handshake_error.ts";
export * from "./server_handshake.ts";
export * from "./check_origin.ts";
export * from "./client_handshake.ts";
export * from "./deflate_negotiation.ts";
export * from "./deflate_limiter.ts";
export * from "./permessage_deflate.ts";
