// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: whether the serverpush claim of a token grants an action on a
// topic.

/** What a grant allows: subscribing to or publishing to a topic. */
export type GrantAction = "subscribe" | "publish";

/**
 * Whether `pattern` covers `topic`: `*` covers every topic, `news/*` every
 * topic under `news/` (at any depth, not `news` itself), anything else
 * that one topic.
 */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("/*")) return topic.startsWith(pattern.slice(0, -1));
  return pattern === topic;
}

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
