// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the hub's presence: which of its connections are members of a
// topic (one backend entry per client, however many connections it has
// here), and the join / leave events computed from the backend's member
// list each time it changes.

import type { HubBackend } from "./backend.ts";
import type {
  HubPresenceMember,
  HubPresenceMessage,
} from "../message/message.ts";
import type { PresenceIdentity } from "../message/source.ts";
import { quote } from "./_validate.ts";

import type { PresenceStore as PresenceBackend } from "./_presence_store.ts";

/** Whether `backend` has every presence method. */
export function hasPresence(
  backend: HubBackend,
): backend is HubBackend & PresenceBackend {
  return typeof backend.presenceJoin === "function" &&
    typeof backend.presenceLeave === "function" &&
    typeof backend.presenceList === "function" &&
    typeof backend.watchPresence === "function";
}

/** Longest client id, in UTF-16 code units. */
export const MAX_CLIENT_ID_LENGTH = 256;

const encoder = new TextEncoder();

/**
 * Checks a member and returns its info as stored: `null` for none, else the
 * JSON round trip of it (so that every backend hands back the same value).
 */
export function checkMember(
  topic: string,
  member: PresenceIdentity,
  maxInfoBytes: number,
): unknown {
  const what = `Cannot join topic ${quote(topic)}`;
  if (typeof member !== "object" || member === null) {
    throw new TypeError(`${what}: member is not an object`);
  }
  const { clientId, info } = member;
  if (
    typeof clientId !== "string" || clientId.length === 0 ||
    clientId.length > MAX_CLIENT_ID_LENGTH
  ) {
    throw new TypeError(
      `${what}: clientId is not a string of 1 to ${MAX_CLIENT_ID_LENGTH} characters`,
    );
  }
  if (info === undefined || info === null) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(info);
  } catch (error) {
    throw new TypeError(`${what}: info is not JSON-serialisable`, {
      cause: error,
    });
  }
  if (json === undefined) {
    throw new TypeError(`${what}: info is not JSON-serialisable`);
  }
  const bytes = encoder.encode(json).byteLength;
  if (bytes > maxInfoBytes) {
    throw new RangeError(
      `${what}: info is ${bytes} bytes of JSON, which exceeds maxPresenceInfoBytes of ${maxInfoBytes}`,
    );
  }
  return JSON.parse(json);
}

/** Someone who wants a topic's presence events. */
export type PresenceListener = (event: HubPresenceMessage) => void;

interface LocalClient {
  /** Connections of the client to the topic on this hub. */
  connections: number;
  /** The backend call in progress or done for this client: join, leave. */
  settled: Promise<void>;
  /** Whether the backend holds (or is getting) the entry. */
  joined: boolean;
  /** The last join: rejects when the backend refused it. */
  membership: Promise<void>;
}

interface TopicWatch {
  listeners: Set<PresenceListener>;
  /** Members as last listed; `undefined` until the first list. */
  members: Map<string, HubPresenceMember> | undefined;
  unwatch: () => void;
  listing: boolean;
  again: boolean;
}

/** Reports a failed backend call (counted by the hub). */
export type PresenceErrorReport = (what: string, error: unknown) => void;

function freezeEvent(
  kind: "join" | "leave",
  topic: string,
  member: HubPresenceMember,
): HubPresenceMessage {
  return Object.freeze({
    kind,
    topic,
    clientId: member.clientId,
    info: member.info,
    since: member.since,
  });
}

/**
 * The presence of one hub: local connection counts per (topic, client),
 * serialised backend joins and leaves, and one backend watch per topic
 * with listeners, whose member list is diffed after each change: a client
 * id that appears is a join, one that disappears a leave (a client that
 * leaves and comes back between two lists is seen as staying).
 */
export class Presence {
  readonly owner: string = crypto.randomUUID();
  #backend: PresenceBackend;
  #maxMembers: number;
  #report: PresenceErrorReport;
  #local: Map<string, Map<string, LocalClient>> = new Map();
  #watches: Map<string, TopicWatch> = new Map();

  constructor(
    backend: PresenceBackend,
    maxMembers: number,
    report: PresenceErrorReport,
  ) {
    this.#backend = backend;
    this.#maxMembers = maxMembers;
    this.#report = report;
  }

  /**
   * Adds one connection of `clientId` to `topic`; the first one stores the
   * entry. Resolves once the client is a member; rejects when the backend
   * refuses (the connection is then not counted).
   */
  join(topic: string, clientId: string, info: unknown): Promise<void> {
    let clients = this.#local.get(topic);
    if (clients === undefined) {
      clients = new Map();
      this.#local.set(topic, clients);
    }
    let client = clients.get(clientId);
    if (client === undefined) {
      client = {
        connections: 0,
        settled: Promise.resolve(),
        joined: false,
        membership: Promise.resolve(),
      };
      clients.set(clientId, client);
    }
    client.connections++;
    if (!client.joined) {
      client.joined = true;
      const entry = { owner: this.owner, clientId, info, since: Date.now() };
      const options = { maxMembers: this.#maxMembers };
      const joined = client.settled.then(() =>
        this.#backend.presenceJoin(topic, entry, options)
      );
      const settled = joined.then(undefined, () => {
        // Refused: this client's connections so far are not members.
        if (client!.settled === settled) {
          client!.joined = false;
          client!.connections = 0;
          this.#forget(topic, clientId, client!);
        }
      });
      client.settled = settled;
      client.membership = joined;
      return joined;
    }
    return client.membership;
  }

  /** Removes one connection of `clientId`; the last one drops the entry. */
  leave(topic: string, clientId: string): void {
    const client = this.#local.get(topic)?.get(clientId);
    if (client === undefined || client.connections === 0) return;
    client.connections--;
    if (client.connections > 0 || !client.joined) return;
    client.joined = false;
    const settled = client.settled.then(() =>
      this.#backend.presenceLeave(topic, this.owner, clientId)
    ).then(undefined, (error: unknown) => {
      this.#report(`leave of topic ${quote(topic)}`, error);
    }).then(() => {
      if (client.settled === settled) this.#forget(topic, clientId, client);
    });
    client.settled = settled;
  }

  #forget(topic: string, clientId: string, client: LocalClient): void {
    if (client.connections > 0 || client.joined) return;
    const clients = this.#local.get(topic);
    if (clients?.get(clientId) !== client) return;
    clients.delete(clientId);
    if (clients.size === 0) this.#local.delete(topic);
  }

  /** Distinct clients with connections here, over all topics. */
  localMembers(): number {
    let count = 0;
    for (const clients of this.#local.values()) count += clients.size;
    return count;
  }

  /**
   * Sends `topic`'s presence events to `listener`: first a join per
   * current member, then joins and leaves as they happen.
   *
   * @returns A function that stops them.
   */
  listen(topic: string, listener: PresenceListener): () => void {
    let watch = this.#watches.get(topic);
    if (watch === undefined) {
      const created: TopicWatch = {
        listeners: new Set(),
        members: undefined,
        unwatch: () => {},
        listing: false,
        again: false,
      };
      this.#watches.set(topic, created);
      created.unwatch = this.#backend.watchPresence(
        topic,
        () => this.#refresh(topic, created),
      );
      watch = created;
      this.#refresh(topic, created);
    } else if (watch.members !== undefined) {
      for (const member of watch.members.values()) {
        listener(freezeEvent("join", topic, member));
      }
    }
    watch.listeners.add(listener);
    const current = watch;
    return () => {
      if (!current.listeners.delete(listener)) return;
      if (
        current.listeners.size === 0 && this.#watches.get(topic) === current
      ) {
        this.#watches.delete(topic);
        current.unwatch();
      }
    };
  }

  /** Lists the members again and sends the differences, one list at a time. */
  #refresh(topic: string, watch: TopicWatch): void {
    if (watch.listing) {
      watch.again = true;
      return;
    }
    watch.listing = true;
    watch.again = false;
    this.#backend.presenceList(topic).then((list) => {
      if (this.#watches.get(topic) !== watch) return;
      const next = new Map<string, HubPresenceMember>();
      for (const member of list) next.set(member.clientId, member);
      const previous = watch.members ?? new Map();
      watch.members = next;
      const events: HubPresenceMessage[] = [];
      for (const [clientId, member] of previous) {
        if (!next.has(clientId)) {
          events.push(freezeEvent("leave", topic, member));
        }
      }
      for (const [clientId, member] of next) {
        if (!previous.has(clientId)) {
          events.push(freezeEvent("join", topic, member));
        }
      }
      for (const event of events) {
        for (const listener of [...watch.listeners]) listener(event);
      }
    }, (error: unknown) => {
      this.#report(`presence of topic ${quote(topic)}`, error);
    }).finally(() => {
      watch.listing = false;
      if (watch.again && this.#watches.get(topic) === watch) {
        this.#refresh(topic, watch);
      }
    });
  }

  /** Resolves once the backend joins and leaves of `topic` settled. */
  async settledOn(topic: string): Promise<void> {
    const clients = this.#local.get(topic);
    if (clients === undefined) return;
    await Promise.all([...clients.values()].map((client) => client.settled));
  }

  /** Resolves once every backend join and leave in progress settled. */
  async settled(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const clients of this.#local.values()) {
      for (const client of clients.values()) pending.push(client.settled);
    }
    await Promise.all(pending);
  }

  /** Stops every watch. */
  close(): void {
    for (const watch of this.#watches.values()) watch.unwatch();
    this.#watches.clear();
  }
}
