// Copyright 2026 the serverpush authors. MIT license.

/**
 * The hub behind the demo's transports page: a {@linkcode Hub} with a
 * `ticker` topic that a timer publishes to, served under `/hub/` over every
 * transport by the hub handler (WebSocket, SSE, long and short polling, the
 * forever iframe; `POST` to publish is refused).
 *
 * @module
 */

import { Hub } from "../../hub/mod.ts";
import { smoothNoise } from "./noise.ts";
import { createHubHandler, type HubHandler } from "../../serve/mod.ts";

/** The topic the ticker publishes to. */
export const TICKER_TOPIC = "ticker";
/** The path prefix the hub is served under. */
export const HUB_PREFIX = "/hub";

/** Options for {@linkcode createDemoTicker}. */
export interface DemoTickerOptions {
  /**
   * Milliseconds between two ticks.
   *
   * @default {2000}
   */
  intervalMs?: number;
  /**
   * Publish to this hub (the demo's shared one) instead of a hub of its
   * own; `close()` then leaves it open.
   *
   * @default {undefined}
   */
  hub?: Hub;
  /**
   * Whether this instance publishes the tick now: when several instances
   * share a hub (Redis), only the holder of the topic's lease does.
   *
   * @default {() => true}
   */
  mayPublish?: (topic: string) => boolean;
}

/** The running ticker hub. See {@linkcode createDemoTicker}. */
export interface DemoTicker {
  /** The hub. */
  readonly hub: Hub;
  /** Serves `/hub/<topic>` over every transport. */
  readonly handler: HubHandler;
  /** Whether `pathname` is under {@linkcode HUB_PREFIX}. */
  handles(pathname: string): boolean;
  /** Stops the timer, ends every stream and closes the hub. */
  close(): Promise<void>;
}

/**
 * Tick `n` of the ticker: a price that wanders, as text. A pure function
 * of `n`.
 *
 * @param n The tick number.
 * @returns The message data, e.g. `"#12 ACME 101.37"`.
 */
export function tickerText(n: number): string {
  const price = 100 + 8 * (smoothNoise(n / 6, 7) - 0.5);
  return `#${n} ACME ${price.toFixed(2)}`;
}

/**
 * Starts a hub whose `ticker` topic gets {@linkcode tickerText} every
 * `intervalMs`. It keeps the last 20 ticks, so a client that comes back
 * with its last id, or polls without one, gets at most 20 old ticks.
 *
 * @param options The tick interval.
 * @returns The running ticker.
 */
export function createDemoTicker(options: DemoTickerOptions = {}): DemoTicker {
  const { intervalMs = 2000 } = options;
  const ownHub = options.hub === undefined;
  const hub = options.hub ?? new Hub({ replay: { maxMessages: 20 } });
  const streams = new AbortController();
  const handler = createHubHandler(hub, {
    prefix: HUB_PREFIX,
    // Sent first on every SSE stream: a first byte at once, so a client
    // can tell a working stream from one a proxy holds back.
    retry: 1000,
    signal: streams.signal,
    longPoll: { timeout: 25_000 },
  });
  let n = 0;
  let publishing: Promise<unknown> = Promise.resolve();
  const mayPublish = options.mayPublish ?? ((): boolean => true);
  const timer = setInterval(() => {
    n++;
    if (!mayPublish(TICKER_TOPIC)) return;
    publishing = hub.publish(TICKER_TOPIC, { data: tickerText(n) });
  }, intervalMs);
  let closing: Promise<void> | undefined;
  return {
    hub,
    handler,
    handles(pathname: string): boolean {
      return pathname.startsWith(`${HUB_PREFIX}/`);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        clearInterval(timer);
        streams.abort();
        await publishing;
        if (ownHub) await hub.close();
      })();
      return closing;
    },
  };
}
