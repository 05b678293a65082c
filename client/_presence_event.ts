// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: presence events as the client reads them (SSE data and
// one-topic WebSocket frames), and the topic URL that asks for them.

import { truncate } from "../_internal/truncate.ts";
import type { PushPresenceEvent } from "./push_client.ts";

/** The member fields of a presence event. */
interface PresenceFields {
  clientId: string;
  info: unknown;
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

/** A presence event of `kind`. */
export function presenceEvent(
  kind: "join" | "leave",
  fields: PresenceFields,
): PushPresenceEvent {
  return {
    kind,
    clientId: fields.clientId,
    info: fields.info,
    since: fields.since,
  };
}

/** The topic URL, with `?presence=1` when the client asks for presence. */
export function presenceUrl(context: { url: URL; presence: boolean }): URL {
  if (!context.presence) return context.url;
  const url = new URL(context.url);
  url.searchParams.set("presence", "1");
  return url;
}

/**
 * Turns member lists (polling snapshots) into joins and leaves: the first
 * list is a join per member, each next one the difference.
 */
export function presenceDiff(
  deliver: (event: PushPresenceEvent) => void,
): (members: readonly PresenceFields[]) => void {
  let known = new Map<string, PresenceFields>();
  return (members) => {
    const next = new Map(members.map((member) => [member.clientId, member]));
    for (const [clientId, member] of known) {
      if (!next.has(clientId)) deliver(presenceEvent("leave", member));
    }
    for (const [clientId, member] of next) {
      if (!known.has(clientId)) deliver(presenceEvent("join", member));
    }
    known = next;
  };
}
