// Copyright 2026 the serverpush authors. MIT license.
// Private: presence on Redis. Each (owner, client) entry of a topic is a
// field `<owner>\n<clientId>` of the hash `{<stream>}#presence` (its value
// the JSON `{"info":…,"since":…}`), with its expiry as its score in the
// sorted set `{<stream>}#presence-exp`: both in the stream's Redis Cluster
// hash slot. The backend refreshes its own entries every third of
// `presenceTtlMs`, so those of a process that stopped expire within the TTL.
// Every change publishes the topic name on `<channel>#presence`, where the
// backends watching it hear it.

import type { HubPresenceEntry, HubPresenceJoinOptions } from "./backend.ts";
import type { HubPresenceMember } from "../message/message.ts";
import type { RedisCommands } from "./_redis_commands.ts";
import { slotTagged } from "./_redis_keyed.ts";
import { text } from "./_redis_entry.ts";
import type { Report } from "./_redis_report.ts";
import { membersOf, tooManyMembers } from "./_presence_store.ts";

/** Lua: the current time in ms, and the purge of expired entries. */
const PURGE = "local t = redis.call('TIME') " +
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) " +
  "local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now) " +
  "for _, f in ipairs(dead) do redis.call('HDEL', KEYS[1], f) end " +
  "if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end ";

/**
 * JOIN: ARGV = field, value, ttl, clientId, maxMembers, channel, topic.
 * Returns 0 when the topic holds maxMembers other clients, else stores the
 * entry, renews both keys' expiry and notifies.
 */
const JOIN_SCRIPT = PURGE +
  "local clients = {} local n = 0 " +
  "for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do " +
  "local c = string.sub(f, string.find(f, '\\n', 1, true) + 1) " +
  "if not clients[c] then clients[c] = true n = n + 1 end end " +
  "if not clients[ARGV[4]] and n >= tonumber(ARGV[5]) then return 0 end " +
  "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) " +
  "redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1]) " +
  "redis.call('PEXPIRE', KEYS[1], ARGV[3]) " +
  "redis.call('PEXPIRE', KEYS[2], ARGV[3]) " +
  "redis.call('PUBLISH', ARGV[6], ARGV[7]) return 1";

/** LEAVE: ARGV = field, channel, topic; notifies when it removed one. */
const LEAVE_SCRIPT = "local n = redis.call('HDEL', KEYS[1], ARGV[1]) " +
  "redis.call('ZREM', KEYS[2], ARGV[1]) " +
  "if n > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end return n";

/** LIST: ARGV = channel, topic; purges (notifying if it did), HGETALL. */
const LIST_SCRIPT = PURGE +
  "if #dead > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end " +
  "return redis.call('HGETALL', KEYS[1])";

/**
 * REFRESH: ARGV = ttl, channel, topic, then field / value pairs: renews
 * each entry (storing it again if it had expired meanwhile) and the keys'
 * expiry; notifies when entries were purged or stored again.
 */
const REFRESH_SCRIPT = PURGE +
  "local ttl = tonumber(ARGV[1]) local changed = #dead > 0 " +
  "for i = 4, #ARGV, 2 do " +
  "if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then changed = true end " +
  "redis.call('ZADD', KEYS[2], now + ttl, ARGV[i]) end " +
  "redis.call('PEXPIRE', KEYS[1], ttl) redis.call('PEXPIRE', KEYS[2], ttl) " +
  "if changed then redis.call('PUBLISH', ARGV[2], ARGV[3]) end return 1";

/** Settings of {@linkcode RedisPresence}. */
export interface RedisPresenceOptions {
  /** The notification channel of the backend; presence adds `#presence`. */
  channel: string;
  ttlMs: number;
  report: Report;
  /** Subscribes to a channel on the backend's subscriber connection. */
  subscribe: (
    channel: string,
    listener: (message: Uint8Array) => void,
  ) => Promise<void>;
}

/** Presence on Redis (see the file's header). */
export class RedisPresence {
  #commands: RedisCommands;
  #channel: string;
  #ttl: string;
  #report: Report;
  /** This process's entries: topic → field → value. */
  #own: Map<string, Map<string, string>> = new Map();
  #watchers: Map<string, Set<() => void>> = new Map();
  #timer: ReturnType<typeof setInterval> | undefined;
  #ttlMs: number;
  #subscribe: RedisPresenceOptions["subscribe"];
  /** Resolves once the subscription to the channel is in place. */
  #subscribed: Promise<void> | undefined;

  constructor(commands: RedisCommands, options: RedisPresenceOptions) {
    this.#commands = commands;
    this.#channel = `${options.channel}#presence`;
    this.#ttlMs = options.ttlMs;
    this.#ttl = String(options.ttlMs);
    this.#report = options.report;
    this.#subscribe = options.subscribe;
  }

  #keys(topic: string): [string, string] {
    const tagged = slotTagged(this.#commands.keyOf(topic));
    return [`${tagged}#presence`, `${tagged}#presence-exp`];
  }

  /** Refreshes every third of the TTL while there is something to do. */
  #schedule(): void {
    if (this.#timer !== undefined) return;
    if (this.#own.size === 0 && this.#watchers.size === 0) return;
    this.#timer = setInterval(
      () => this.#tick(),
      Math.max(1, Math.floor(this.#ttlMs / 3)),
    );
  }

  #unschedule(): void {
    if (this.#own.size > 0 || this.#watchers.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    for (const [topic, fields] of this.#own) {
      const args = ["EVAL", REFRESH_SCRIPT, "2", ...this.#keys(topic)];
      args.push(this.#ttl, this.#channel, topic);
      for (const [field, value] of fields) args.push(field, value);
      this.#commands.send("refresh presence of", topic, args, false).catch(
        (error) => this.#report(error as Error),
      );
    }
    // Watched topics are listed again: entries that expired show up as
    // leaves (and the list's purge tells the other processes).
    for (const watchers of this.#watchers.values()) {
      for (const onChange of [...watchers]) onChange();
    }
  }

  async join(
    topic: string,
    entry: HubPresenceEntry,
    options: HubPresenceJoinOptions,
  ): Promise<void> {
    const field = `${entry.owner}\n${entry.clientId}`;
    const value = JSON.stringify({ info: entry.info, since: entry.since });
    const reply = await this.#commands.send("join", topic, [
      "EVAL",
      JOIN_SCRIPT,
      "2",
      ...this.#keys(topic),
      field,
      value,
      this.#ttl,
      entry.clientId,
      String(options.maxMembers),
      this.#channel,
      topic,
    ], false);
    if (Number(reply) !== 1) throw tooManyMembers(topic, options.maxMembers);
    let fields = this.#own.get(topic);
    if (fields === undefined) {
      fields = new Map();
      this.#own.set(topic, fields);
    }
    fields.set(field, value);
    this.#schedule();
  }

  async leave(topic: string, owner: string, clientId: string): Promise<void> {
    const field = `${owner}\n${clientId}`;
    const fields = this.#own.get(topic);
    if (fields?.delete(field) && fields.size === 0) {
      this.#own.delete(topic);
      this.#unschedule();
    }
    await this.#commands.send("leave", topic, [
      "EVAL",
      LEAVE_SCRIPT,
      "2",
      ...this.#keys(topic),
      field,
      this.#channel,
      topic,
    ], false);
  }

  async list(topic: string): Promise<HubPresenceMember[]> {
    const reply = await this.#commands.send("read presence of", topic, [
      "EVAL",
      LIST_SCRIPT,
      "2",
      ...this.#keys(topic),
      this.#channel,
      topic,
    ], false);
    const flat = Array.isArray(reply) ? reply : [];
    const entries: HubPresenceEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = text(flat[i]);
      const newline = field.indexOf("\n");
      try {
        const { info, since } = JSON.parse(text(flat[i + 1]));
        entries.push({
          owner: field.slice(0, newline),
          clientId: field.slice(newline + 1),
          info: info ?? null,
          since: Number(since),
        });
      } catch (error) {
        this.#report(
          new Error(`Cannot read presence entry of topic: ${String(error)}`),
        );
      }
    }
    return membersOf(entries);
  }

  watch(topic: string, onChange: () => void): () => void {
    if (this.#subscribed === undefined) {
      this.#subscribed = this.#subscribe(this.#channel, (message) => {
        const watchers = this.#watchers.get(text(message));
        if (watchers === undefined) return;
        for (const watcher of [...watchers]) watcher();
      });
    }
    let watchers = this.#watchers.get(topic);
    if (watchers === undefined) {
      watchers = new Set();
      this.#watchers.set(topic, watchers);
    }
    const watcher = (): void => onChange();
    watchers.add(watcher);
    this.#schedule();
    // Changes made before the subscription took effect went unheard: list
    // again once it has.
    void this.#subscribed.then(() => {
      if (watchers.has(watcher)) watcher();
    });
    const current = watchers;
    return () => {
      current.delete(watcher);
      if (current.size === 0 && this.#watchers.get(topic) === current) {
        this.#watchers.delete(topic);
        this.#unschedule();
      }
    };
  }

  /** Stops refreshing: this process's entries then expire. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#own.clear();
    this.#watchers.clear();
  }
}
