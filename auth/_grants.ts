// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: whether the serverpush claim of a token grants an action on a
// topic.

import { topicMatches } from "../_internal/topic_pattern.ts";

/** What a grant allows: subscribing to or publishing to a topic. */
export type GrantAction = "subscribe" | "publish";

/**
 * Whether `claims[claim][action]` holds a pattern that covers `topic`. A
 * claim of any other shape grants nothing.
 */
export function grants(
  claims: Record<string, unknown>,
  claim: string,
  action: GrantAction,
  topic: string,
): boolean {
  const grant = claims[claim];
  if (typeof grant !== "object" || grant === null) return false;
  const patterns = (grant as Record<string, unknown>)[action];
  if (!Array.isArray(patterns)) return false;
  return patterns.some((pattern) =>
    typeof pattern === "string" && topicMatches(pattern, topic)
  );
}
