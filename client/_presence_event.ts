// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: presence events as the client reads them (SSE data and
// one-topic WebSocket frames), and the topic URL that asks for them.

import {
  diffMembers,
  type PresenceFields,
} from "../_internal/presence_members.ts";
import type { PushPresenceEvent } from "./push_client.ts";

export { parsePresence } from "../_internal/presence_members.ts";

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
  return diffMembers((kind, member) => deliver(presenceEvent(kind, member)));
}
