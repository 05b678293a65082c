// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The demo's event sequence. Event `n` (n = 1, 2, 3, ...) is a pure function
 * of `n`: odd events are quote snapshots, even events are telemetry
 * snapshots, so each scenario updates every other tick. Because content
 * depends only on the id, any process can rebuild any event, and a test can
 * check a replay against the expected events.
 *
 * @module
 */

import type { SseMessage } from "../../sse/mod.ts";
import { quoteSnapshot } from "./quotes.ts";
import { telemetrySnapshot } from "./telemetry.ts";

/** The event types the demo sends. */
export type DemoEventType = "quote" | "telemetry";

/** One event of the demo sequence, ready to send as an SSE message. */
export interface DemoEvent extends SseMessage {
  /** The event number as a decimal string. */
  id: string;
  /** `quote` for odd numbers, `telemetry` for even ones. */
  event: DemoEventType;
  /** The snapshot as JSON. */
  data: string;
}

/**
 * Builds event number `n` of the demo sequence.
 *
 * @param n Event number, a positive integer.
 * @returns The event; the same `n` always gives the same event.
 * @throws {RangeError} If `n` is not a positive safe integer.
 */
export function demoEvent(n: number): DemoEvent {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot build demo event: ${n} is not a positive integer`,
    );
  }
  const step = Math.ceil(n / 2);
  return n % 2 === 1
    ? {
      id: String(n),
      event: "quote",
      data: JSON.stringify(quoteSnapshot(step)),
    }
    : {
      id: String(n),
      event: "telemetry",
      data: JSON.stringify(telemetrySnapshot(step)),
    };
}
