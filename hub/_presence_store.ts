// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: presence entries held in memory (the in-memory backend's
// presence methods), and the merge of entries into members that every
// backend shares.

import type {
  HubBackend,
  HubPresenceEntry,
  HubPresenceJoinOptions,
} from "./backend.ts";
import type { HubPresenceMember } from "../message/message.ts";
import { HubLimitError } from "./limit_error.ts";
import { quote } from "./_validate.ts";

/** The presence methods of a backend. */
export type PresenceStore = Required<
  Pick<
    HubBackend,
    "presenceJoin" | "presenceLeave" | "presenceList" | "watchPresence"
  >
>;

/** A networked backend's presence, with shorter method names. */
export interface PresenceImplementation {
  join(
    topic: string,
    entry: HubPresenceEntry,
    options: HubPresenceJoinOptions,
  ): Promise<void>;
  leave(topic: string, owner: string, clientId: string): Promise<void>;
  list(topic: string): Promise<HubPresenceMember[]>;
  watch(topic: string, onChange: () => void): () => void;
}

/** The backend methods that hand presence to `implementation`. */
export function presenceMethods(
  implementation: PresenceImplementation,
): PresenceStore {
  return {
    presenceJoin: (topic, entry, options) =>
      implementation.join(topic, entry, options),
    presenceLeave: (topic, owner, clientId) =>
      implementation.leave(topic, owner, clientId),
    presenceList: (topic) => implementation.list(topic),
    watchPresence: (topic, onChange) => implementation.watch(topic, onChange),
  };
}

/**
 * Merges entries into members: one per client id, the earliest `since`
 * (and that entry's info), sorted by `since` then id.
 */
export function membersOf(
  entries: Iterable<HubPresenceEntry>,
): HubPresenceMember[] {
  const members = new Map<string, HubPresenceMember>();
  for (const entry of entries) {
    const known = members.get(entry.clientId);
    if (known === undefined || entry.since < known.since) {
      members.set(
        entry.clientId,
        Object.freeze({
          clientId: entry.clientId,
          info: entry.info,
          since: entry.since,
        }),
      );
    }
  }
  return [...members.values()].sort((a, b) =>
    a.since - b.since ||
    (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0)
  );
}

/** The error of a join past `maxMembers`. */
export function tooManyMembers(topic: string, max: number): HubLimitError {
  return new HubLimitError(
    `Cannot join topic ${
      quote(topic)
    }: it has ${max} members, which is maxPresencePerTopic`,
    { code: "too-many-members" },
  );
}

/**
 * Presence in memory: per topic, per client, per owner one entry. Watchers
 * hear of every change at once (in this process only, which is all an
 * in-memory backend serves).
 */
export function createPresenceStore(): PresenceStore {
  const topics = new Map<string, Map<string, Map<string, HubPresenceEntry>>>();
  const watchers = new Map<string, Set<() => void>>();

  function changed(topic: string): void {
    for (const onChange of [...(watchers.get(topic) ?? [])]) onChange();
  }

  return {
    presenceJoin(topic, entry, options): Promise<void> {
      let clients = topics.get(topic);
      const owners = clients?.get(entry.clientId);
      if (owners === undefined && (clients?.size ?? 0) >= options.maxMembers) {
        return Promise.reject(tooManyMembers(topic, options.maxMembers));
      }
      if (clients === undefined) {
        clients = new Map();
        topics.set(topic, clients);
      }
      const held = owners ?? new Map<string, HubPresenceEntry>();
      clients.set(entry.clientId, held);
      held.set(entry.owner, { ...entry });
      changed(topic);
      return Promise.resolve();
    },

    presenceLeave(topic, owner, clientId): Promise<void> {
      const clients = topics.get(topic);
      const owners = clients?.get(clientId);
      if (owners?.delete(owner)) {
        if (owners.size === 0) clients!.delete(clientId);
        if (clients!.size === 0) topics.delete(topic);
        changed(topic);
      }
      return Promise.resolve();
    },

    presenceList(topic): Promise<HubPresenceMember[]> {
      const clients = topics.get(topic);
      if (clients === undefined) return Promise.resolve([]);
      const entries: HubPresenceEntry[] = [];
      for (const owners of clients.values()) entries.push(...owners.values());
      return Promise.resolve(membersOf(entries));
    },

    watchPresence(topic, onChange): () => void {
      let set = watchers.get(topic);
      if (set === undefined) {
        set = new Set();
        watchers.set(topic, set);
      }
      const watcher = (): void => onChange();
      set.add(watcher);
      const current = set;
      return () => {
        current.delete(watcher);
        if (current.size === 0 && watchers.get(topic) === current) {
          watchers.delete(topic);
        }
      };
    },
  };
}
