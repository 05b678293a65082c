// Copyright 2026 the serverpush authors. MIT license.
// Private: the options of `serveWebSocket`, checked and resolved once per
// server, before it listens.

import { checkPositiveTimeout } from "../_internal/check.ts";
import type { CodecConnectionOptions } from "./_codec_connection.ts";
import { checkConnectionOptions } from "./_connection_options.ts";
import type { WsDeflate } from "./compressor.ts";
import { checkDeflateOption } from "./_deflate_option.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import { resolveHeartbeat } from "./_heartbeat.ts";
import { createHttp1HeadReader, DEFAULT_MAX_HEAD_BYTES } from "./_http1.ts";

/** Default time for a client to send its whole request head, in ms. */
const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** The options {@linkcode resolveServeSettings} reads. */
export interface ServeSettingsOptions {
  maxMessageBytes?: number;
  maxBufferedBytes?: number;
  maxUnreadBytes?: number;
  closeTimeout?: number;
  heartbeat?: HeartbeatOptions | number | false;
  deflate?: WsDeflate | false;
  handshakeTimeout?: number;
  maxHeadBytes?: number;
  cert?: string;
  key?: string;
}

/** What a server keeps of its options, checked. */
export interface ServeSettings {
  handshakeTimeout: number;
  maxHeadBytes: number;
  /** `undefined` when deflate is off. */
  deflate: WsDeflate | undefined;
  tls: boolean;
  /** The options every connection gets (limits, timers, heartbeat). */
  connection: Omit<CodecConnectionOptions, "role">;
}

/**
 * Checks `options` and resolves their defaults.
 *
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 * @throws {TypeError} If only one of `cert` and `key` is given.
 */
export function resolveServeSettings(
  options: ServeSettingsOptions,
): ServeSettings {
  const heartbeat = resolveHeartbeat(options.heartbeat);
  checkConnectionOptions(options);
  const handshakeTimeout = checkPositiveTimeout(
    "serve WebSocket",
    "handshakeTimeout",
    options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
  );
  const maxHeadBytes = options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  // Validates maxHeadBytes up front.
  createHttp1HeadReader({ maxHeadBytes });
  const deflate = checkDeflateOption("serve WebSocket", options.deflate);
  const tls = options.cert !== undefined && options.key !== undefined;
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError(
      "Cannot serve WebSocket: cert and key must be given together",
    );
  }
  return {
    handshakeTimeout,
    maxHeadBytes,
    deflate,
    tls,
    connection: {
      ...(options.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: options.maxMessageBytes }),
      ...(options.maxBufferedBytes === undefined
        ? {}
        : { maxBufferedBytes: options.maxBufferedBytes }),
      ...(options.maxUnreadBytes === undefined
        ? {}
        : { maxUnreadBytes: options.maxUnreadBytes }),
      ...(options.closeTimeout === undefined
        ? {}
        : { closeTimeout: options.closeTimeout }),
      ...(heartbeat === undefined ? {} : { heartbeat }),
    },
  };
}
