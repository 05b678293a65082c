// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: presence members as clients read them (SSE data, WebSocket
// frames, polling lists), and the joins and leaves between two lists.

import { truncate } from "./truncate.ts";

/** A member of a topic with presence, as the hub describes it. */
export interface PresenceFields {
  clientId: string;
  /** Its public info; `null` when it has none. */
  info: unknown;
  /** When it joined, in epoch milliseconds. */
  since: number;
}

/**
 * Reads `{"clientId","info","since"}` (JSON text or a parsed value).
 *
 * @throws {SyntaxError} If it is not one.
 */
export function parsePresence(value: unknown, what: string): PresenceFields {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  if (typeof parsed === "object" && parsed !== null) {
    const { clientId, info = null, since } = parsed as Record<string, unknown>;
    if (typeof clientId === "string" && typeof since === "number") {
      return { clientId, info, since };
    }
  }
  throw new SyntaxError(
    `Cannot read ${what}: ${
      JSON.stringify(
        truncate(
          String(typeof value === "string" ? value : JSON.stringify(value)),
          40,
        ),
      )
    } is not a presence event`,
  );
}

/**
 * Turns member lists (polling snapshots) into joins and leaves: the first
 * list is a join per member, each next one the difference.
 */
export function diffMembers(
  change: (kind: "join" | "leave", member: PresenceFields) => void,
): (members: readonly PresenceFields[]) => void {
  let known = new Map<string, PresenceFields>();
  return (members) => {
    const next = new Map(members.map((member) => [member.clientId, member]));
    for (const [clientId, member] of known) {
      if (!next.has(clientId)) change("leave", member);
    }
    for (const [clientId, member] of next) {
      if (!known.has(clientId)) change("join", member);
    }
    known = next;
  };
}
