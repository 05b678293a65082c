// Copyright 2026 the serverpush authors. MIT license.

/**
 * WebSocket: the RFC 6455 frame and message codec as Web Streams, the opening
 * handshake, and permessage-deflate (RFC 7692).
 *
 * @module
 */

export type * from "./compressor.ts";
