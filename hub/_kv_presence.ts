// Copyright 2026 the serverpush authors. MIT license.
// Private: presence on Deno KV. Each (owner, client) entry of a topic is
// the key `[...prefix, "p", topic, clientId, owner]` holding its info, join
// time and expiry (`presenceTtlMs` after its last refresh; the key itself
// gets twice that as `expireIn`, since KV deletes expired keys late). Every
// change adds one to the topic's counter `[...prefix, "q", topic]`: a join
// checks the counter it read, so two joins never both take the last place.
// Watchers poll the counters every `pollMs`; every third of the TTL the
// backend rewrites its own entries and lists the watched topics again, so
// those of a process that stopped show up as leaves within the TTL.

import type { HubPresenceEntry, HubPresenceJoinOptions } from "./backend.ts";
import type { HubPresenceMember } from "../message/message.ts";
import { membersOf, tooManyMembers } from "./_presence_store.ts";

/** A stored entry. */
interface KvPresenceRecord {
  /** Info. */
  i: unknown;
  /** Join time, ms. */
  s: number;
  /** Expiry, ms. */
  x: number;
}

const ONE = new Deno.KvU64(1n);

/** Settings of {@linkcode KvPresence}. */
export interface KvPresenceOptions {
  prefix: Deno.KvKey;
  ttlMs: number;
  pollMs: number;
  now: () => number;
  report: (error: unknown) => void;
}

/** Presence on Deno KV (see the file's header). */
export class KvPresence {
  #opening: Promise<Deno.Kv>;
  #prefix: Deno.KvKey;
  #ttlMs: number;
  #pollMs: number;
  #now: () => number;
  #report: (error: unknown) => void;
  /** This process's entries: topic → key part [clientId, owner] → info. */
  #own: Map<string, Map<string, HubPresenceEntry>> = new Map();
  #watchers: Map<string, { onChange: Set<() => void>; seen: bigint }> =
    new Map();
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  /** Refreshes and polls in flight, which close waits for. */
  #busy: Set<Promise<void>> = new Set();

  constructor(opening: Promise<Deno.Kv>, options: KvPresenceOptions) {
    this.#opening = opening;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs;
    this.#pollMs = options.pollMs;
    this.#now = options.now;
    this.#report = options.report;
  }

  #entries(topic: string): Deno.KvKey {
    return [...this.#prefix, "p", topic];
  }

  #counter(topic: string): Deno.KvKey {
    return [...this.#prefix, "q", topic];
  }

  #schedule(): void {
    if (this.#refreshTimer === undefined) {
      if (this.#own.size === 0 && this.#watchers.size === 0) return;
      this.#refreshTimer = setInterval(
        () => this.#track(this.#refresh()),
        Math.max(1, Math.floor(this.#ttlMs / 3)),
      );
    }
    if (this.#pollTimer === undefined && this.#watchers.size > 0) {
      this.#pollTimer = setInterval(
        () => this.#track(this.#poll()),
        this.#pollMs,
      );
    }
  }

  #track(task: Promise<void>): void {
    this.#busy.add(task);
    task.finally(() => this.#busy.delete(task));
  }

  #unschedule(): void {
    if (this.#watchers.size === 0) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
    }
    if (this.#own.size === 0 && this.#watchers.size === 0) {
      clearInterval(this.#refreshTimer);
      this.#refreshTimer = undefined;
    }
  }

  /** Rewrites this process's entries, then lists watched topics again. */
  async #refresh(): Promise<void> {
    try {
      const kv = await this.#opening;
      const expiry = this.#now() + this.#ttlMs;
      for (const [topic, entries] of this.#own) {
        let atomic = kv.atomic();
        let count = 0;
        for (const entry of entries.values()) {
          const record: KvPresenceRecord = {
            i: entry.info,
            s: entry.since,
            x: expiry,
          };
          atomic = atomic.set(
            [...this.#entries(topic), entry.clientId, entry.owner],
            record,
            { expireIn: this.#ttlMs * 2 },
          );
          // An atomic operation holds at most 1000 mutations.
          if (++count === 500) {
            await atomic.commit();
            atomic = kv.atomic();
            count = 0;
          }
        }
        if (count > 0) await atomic.commit();
      }
    } catch (error) {
      this.#report(error);
    }
    for (const watch of this.#watchers.values()) {
      for (const onChange of [...watch.onChange]) onChange();
    }
  }

  /** Reads the counters of the watched topics; a change calls watchers. */
  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const kv = await this.#opening;
      const topics = [...this.#watchers.keys()];
      for (let i = 0; i < topics.length; i += 10) {
        const some = topics.slice(i, i + 10);
        const counters = await kv.getMany<Deno.KvU64[]>(
          some.map((topic) => this.#counter(topic)),
        );
        some.forEach((topic, j) => {
          const watch = this.#watchers.get(topic);
          const value = counters[j]?.value?.value ?? 0n;
          if (watch === undefined || value === watch.seen) return;
          watch.seen = value;
          for (const onChange of [...watch.onChange]) onChange();
        });
      }
    } catch (error) {
      this.#report(error);
    } finally {
      this.#polling = false;
    }
  }

  async join(
    topic: string,
    entry: HubPresenceEntry,
    options: HubPresenceJoinOptions,
  ): Promise<void> {
    const kv = await this.#opening;
    const key = [...this.#entries(topic), entry.clientId, entry.owner];
    const record: KvPresenceRecord = {
      i: entry.info,
      s: entry.since,
      x: this.#now() + this.#ttlMs,
    };
    for (;;) {
      const counter = await kv.get(this.#counter(topic));
      const clients = new Set<string>();
      const now = this.#now();
      for await (
        const item of kv.list<KvPresenceRecord>({
          prefix: this.#entries(topic),
        })
      ) {
        if (item.value.x > now) clients.add(String(item.key.at(-2)));
      }
      if (!clients.has(entry.clientId) && clients.size >= options.maxMembers) {
        throw tooManyMembers(topic, options.maxMembers);
      }
      const result = await kv.atomic()
        .check(counter)
        .set(key, record, { expireIn: this.#ttlMs * 2 })
        .sum(this.#counter(topic), ONE.value)
        .commit();
      if (result.ok) break;
    }
    let entries = this.#own.get(topic);
    if (entries === undefined) {
      entries = new Map();
      this.#own.set(topic, entries);
    }
    entries.set(`${entry.owner}\n${entry.clientId}`, { ...entry });
    this.#schedule();
  }

  async leave(topic: string, owner: string, clientId: string): Promise<void> {
    const entries = this.#own.get(topic);
    if (entries?.delete(`${owner}\n${clientId}`) && entries.size === 0) {
      this.#own.delete(topic);
      this.#unschedule();
    }
    const kv = await this.#opening;
    await kv.atomic()
      .delete([...this.#entries(topic), clientId, owner])
      .sum(this.#counter(topic), ONE.value)
      .commit();
  }

  async list(topic: string): Promise<HubPresenceMember[]> {
    const kv = await this.#opening;
    const now = this.#now();
    const entries: HubPresenceEntry[] = [];
    const expired: Deno.KvKey[] = [];
    for await (
      const item of kv.list<KvPresenceRecord>({ prefix: this.#entries(topic) })
    ) {
      if (item.value.x <= now) {
        expired.push(item.key);
        continue;
      }
      entries.push({
        clientId: String(item.key.at(-2)),
        owner: String(item.key.at(-1)),
        info: item.value.i ?? null,
        since: item.value.s,
      });
    }
    if (expired.length > 0) {
      // Tell the other processes: their watchers list again and see leaves.
      let atomic = kv.atomic();
      for (const key of expired.slice(0, 500)) atomic = atomic.delete(key);
      await atomic.sum(this.#counter(topic), ONE.value).commit();
    }
    return membersOf(entries);
  }

  watch(topic: string, onChange: () => void): () => void {
    let watch = this.#watchers.get(topic);
    if (watch === undefined) {
      watch = { onChange: new Set(), seen: -1n };
      this.#watchers.set(topic, watch);
    }
    const watcher = (): void => onChange();
    watch.onChange.add(watcher);
    this.#schedule();
    const current = watch;
    return () => {
      current.onChange.delete(watcher);
      if (
        current.onChange.size === 0 && this.#watchers.get(topic) === current
      ) {
        this.#watchers.delete(topic);
        this.#unschedule();
      }
    };
  }

  /** Stops refreshing and polling: this process's entries then expire. */
  async close(): Promise<void> {
    clearInterval(this.#pollTimer);
    clearInterval(this.#refreshTimer);
    this.#pollTimer = undefined;
    this.#refreshTimer = undefined;
    this.#own.clear();
    this.#watchers.clear();
    await Promise.allSettled([...this.#busy]);
  }
}
