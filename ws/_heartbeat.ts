// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: normalises the `heartbeat` option of the server engines.

import { checkPositiveTimeout } from "../_internal/check.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";

/** Default heartbeat interval, in milliseconds. */
export const DEFAULT_HEARTBEAT_INTERVAL = 30_000;

/** A heartbeat with every value filled in, in milliseconds. */
export interface HeartbeatTiming {
  interval: number;
  timeout: number;
}

function check(name: string, value: number): number {
  return checkPositiveTimeout("use heartbeat", name, value);
}

/**
 * Fills in a `heartbeat` option: `undefined` means the defaults, `false`
 * means none (returns `undefined`), a number is the interval.
 *
 * @throws {RangeError} If the interval or timeout is not positive.
 */
export function resolveHeartbeat(
  heartbeat: HeartbeatOptions | number | false | undefined,
): HeartbeatTiming | undefined {
  if (heartbeat === false) return undefined;
  const options = typeof heartbeat === "number"
    ? { interval: heartbeat }
    : heartbeat ?? {};
  const interval = check(
    "interval",
    options.interval ?? DEFAULT_HEARTBEAT_INTERVAL,
  );
  const timeout = check("timeout", options.timeout ?? interval);
  return { interval, timeout };
}
