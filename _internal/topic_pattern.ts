// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the topic patterns of JWT grants and of the command line's
// options (`news/*`).

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
