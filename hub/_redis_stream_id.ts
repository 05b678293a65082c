// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/** Redis stream ids, `<ms>-<seq>`: two unsigned 64-bit integers. */

const ID_REGEXP = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;
const MAX_ID_PART = "18446744073709551615";

/** Orders two canonical unsigned decimals (no leading zero). */
function comparePart(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two well-formed `ms-seq` ids. */
export function compareStreamIds(a: string, b: string): number {
  const i = a.indexOf("-");
  const j = b.indexOf("-");
  return comparePart(a.slice(0, i), b.slice(0, j)) ||
    comparePart(a.slice(i + 1), b.slice(j + 1));
}

/** Whether `id` is a canonical Redis stream id, `ms-seq`. */
export function isStreamId(id: unknown): id is string {
  if (typeof id !== "string") return false;
  const match = ID_REGEXP.exec(id);
  return match !== null && comparePart(match[1]!, MAX_ID_PART) <= 0 &&
    comparePart(match[2]!, MAX_ID_PART) <= 0;
}
