// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * When a server pings a quiet peer, and how long it waits for an answer
 * before closing with 1001 (Going Away). A value of `false` turns the
 * heartbeat off; a number is the interval.
 *
 * @example Ping after 10 s of silence, give up 5 s later
 * ```ts
 * import type { HeartbeatOptions } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const heartbeat: HeartbeatOptions = { interval: 10_000, timeout: 5_000 };
 * strictEqual(heartbeat.interval, 10_000);
 * ```
 */
export interface HeartbeatOptions {
  /**
   * Milliseconds without hearing from the peer before a ping is sent.
   *
   * @default {30000}
   */
  interval?: number;
  /**
   * Milliseconds to wait, after the ping, for a pong (or any frame) before
   * the connection is closed with 1001.
   *
   * @default {the interval}
   */
  timeout?: number;
}
