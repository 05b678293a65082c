// Copyright 2026 the serverpush authors. MIT license.
// The fault test's checker: compares what a subscriber delivered with what
// the publishers had acknowledged, and a backend's history with the
// acknowledgements. Pure functions, tested on their own in check_test.ts.

import type { Ack } from "./_publisher.ts";
import type { Delivered } from "./_subscribers.ts";

/** The counts of one subscriber's sequence. */
export interface SequenceCounts {
  /** Messages delivered, repeats included. */
  delivered: number;
  /** Resets delivered. */
  resets: number;
  /** Acknowledged messages never delivered, with no reset in their gap. */
  lost: number;
  /** Acknowledged messages never delivered, with a reset in their gap. */
  coveredByReset: number;
  /** Messages delivered again with no reset since the first time. */
  duplicated: number;
  /**
   * Messages delivered again after a reset (the backend lost its history,
   * keys included, and a publisher's retry stored the message anew).
   */
  repeatedAfterReset: number;
  /**
   * Messages delivered after a later message of the same publisher (who
   * publishes one at a time), or, where `order` is given, after a message
   * that comes later in the backend's history.
   */
  outOfOrder: number;
}

/** All counts at zero. */
export const NO_COUNTS: Readonly<SequenceCounts> = Object.freeze({
  delivered: 0,
  resets: 0,
  lost: 0,
  coveredByReset: 0,
  duplicated: 0,
  repeatedAfterReset: 0,
  outOfOrder: 0,
});

/** `<publisher>:<seq>` split. */
function parse(data: string): [string, number] {
  const at = data.lastIndexOf(":");
  return [data.slice(0, at), Number(data.slice(at + 1))];
}

/**
 * Checks one subscriber's `delivered` sequence against `acks`, every
 * acknowledged publish. A gap (an acknowledged message not delivered)
 * counts as covered by a reset when a reset was delivered between the
 * delivered neighbours of the missing message in its publisher's sequence
 * (or before the end, when no later message of that publisher came);
 * otherwise it is lost. `order`, when the backend's history survived,
 * maps each id to its position there.
 */
export function checkSequence(
  delivered: readonly Delivered[],
  acks: readonly Ack[],
  order?: ReadonlyMap<string, number>,
): SequenceCounts {
  const counts: SequenceCounts = { ...NO_COUNTS };
  /** For each data delivered, the resets delivered before it. */
  const seen = new Map<string, number>();
  /** For each publisher, [seq, resets before] of each message, in order. */
  const positions = new Map<string, [number, number][]>();
  const maxSeq = new Map<string, number>();
  let lastPosition = -1;
  for (const event of delivered) {
    if (event.kind === "reset") {
      counts.resets++;
      continue;
    }
    counts.delivered++;
    const before = seen.get(event.data);
    if (before !== undefined) {
      if (before < counts.resets) counts.repeatedAfterReset++;
      else counts.duplicated++;
      continue;
    }
    seen.set(event.data, counts.resets);
    const [publisher, seq] = parse(event.data);
    const position = order?.get(event.id);
    if (
      seq < (maxSeq.get(publisher) ?? 0) ||
      (position !== undefined && position < lastPosition)
    ) {
      counts.outOfOrder++;
    }
    if (position !== undefined) lastPosition = position;
    maxSeq.set(publisher, Math.max(seq, maxSeq.get(publisher) ?? 0));
    let list = positions.get(publisher);
    if (list === undefined) positions.set(publisher, list = []);
    list.push([seq, counts.resets]);
  }
  for (const list of positions.values()) list.sort((a, b) => a[0] - b[0]);
  for (const { data } of acks) {
    if (seen.has(data)) continue;
    const [publisher, seq] = parse(data);
    const list = positions.get(publisher) ?? [];
    let resetsBefore = 0;
    let resetsAfter = counts.resets;
    for (const [delivered, resets] of list) {
      if (delivered < seq) resetsBefore = resets;
      else {
        resetsAfter = resets;
        break;
      }
    }
    if (resetsAfter > resetsBefore) counts.coveredByReset++;
    else counts.lost++;
  }
  return counts;
}

/** How a backend's history compares with the acknowledgements. */
export interface HistoryCounts {
  /** Acknowledged publishes checked (those the history should hold). */
  checked: number;
  /** Of those, missing from the history. */
  missing: number;
  /** Of those, stored under another id than the one acknowledged. */
  otherId: number;
  /** Messages the history holds more than once (the same data). */
  duplicated: number;
}

/**
 * Checks that each of `acks` appears exactly once in `history` (`[id,
 * data]` pairs, oldest first), with the acknowledged id.
 */
export function checkHistory(
  history: readonly (readonly [string, unknown])[],
  acks: readonly Ack[],
): HistoryCounts {
  const byData = new Map<unknown, string>();
  let duplicated = 0;
  for (const [id, data] of history) {
    if (byData.has(data)) duplicated++;
    else byData.set(data, id);
  }
  let missing = 0;
  let otherId = 0;
  for (const { data, id } of acks) {
    const stored = byData.get(data);
    if (stored === undefined) missing++;
    else if (stored !== id) otherId++;
  }
  return { checked: acks.length, missing, otherId, duplicated };
}
