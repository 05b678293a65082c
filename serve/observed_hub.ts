// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubCounters } from "../hub/counters.ts";
import type { HubStats } from "../hub/hub.ts";

/**
 * What {@linkcode createMetricsHandler} and {@linkcode createInspector} read
 * from a hub: its counters and its stats. A `Hub` is one.
 *
 * @example A Hub is an ObservedHub
 * ```ts
 * import { Hub } from "@serverpush/serverpush/hub";
 * import type { ObservedHub } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub: ObservedHub = new Hub();
 * strictEqual(hub.counters.published, 0);
 * strictEqual(hub.stats().subscribers, 0);
 * ```
 */
export interface ObservedHub {
  /** The running counts of the hub and of the handlers that serve it. */
  readonly counters: HubCounters;
  /** Counts subscriptions and queued messages. */
  stats(): HubStats;
}
