// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Shared: one interval timer per period, shared by every member with that
// period, instead of a timer per connection (a timer costs the runtime
// more memory than the rest of an idle connection's keep-alive).

/** Something ticked every period while it is a member. */
export interface Tickable {
  /** One period went by. */
  tick(): void;
}

interface Ticker {
  timer: ReturnType<typeof setInterval>;
  members: Set<Tickable>;
}

/** The running tickers, by period in milliseconds. */
const tickers = new Map<number, Ticker>();

/**
 * Ticks `member` every `period` ms from now on, on the period's shared
 * timer: the first tick comes at most one period after joining (maybe at
 * once), the next ones a period apart.
 */
export function joinTicker(period: number, member: Tickable): void {
  let ticker = tickers.get(period);
  if (ticker === undefined) {
    const members = new Set<Tickable>();
    ticker = {
      timer: setInterval(() => {
        for (const each of members) each.tick();
      }, period),
      members,
    };
    tickers.set(period, ticker);
  }
  ticker.members.add(member);
}

/** Stops ticking `member`; the timer stops with its last member. */
export function leaveTicker(period: number, member: Tickable): void {
  const ticker = tickers.get(period);
  if (ticker === undefined || !ticker.members.delete(member)) return;
  if (ticker.members.size > 0) return;
  clearInterval(ticker.timer);
  tickers.delete(period);
}
