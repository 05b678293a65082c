// Copyright 2026 the serverpush authors. MIT license.
// The Redis backend's appends and state reads: one script appends a
// message, keeps the state hash of keyed topics and checks an idempotency
// key, atomically; another reads the state hash with the newest stream id.

import { Buffer } from "node:buffer";
import type { HubDataMessage, HubPublishMessage } from "../message/message.ts";
import { storedMessage } from "./_keyed.ts";
import { type RawEntry, text } from "./_redis_entry.ts";
import { compareStreamIds } from "./_redis_stream_id.ts";

/**
 * Appends a message. KEYS: the stream, the state hash, and the idempotency
 * key's string when there is one. ARGV: maxLen, ttl ms (`''`: none),
 * channel, topic, idempotency window ms, state key (`''`: none), `'1'` for
 * a delete, maxKeysPerTopic, the state value after the id, then the stream
 * fields.
 *
 * A repeated idempotency key answers `{first id, XRANGE of it}`; a new key
 * past maxKeysPerTopic answers `{0, keys held}`, both storing nothing.
 * Otherwise the script runs XADD, sets (HSET) or removes (HDEL) the key in
 * the state hash, SETs the idempotency key, renews the expiry of the stream
 * and the hash, publishes `<id> <topic>` and answers the id.
 */
export const APPEND_SCRIPT = "if #KEYS == 3 then " +
  "local first = redis.call('GET', KEYS[3]) " +
  "if first then return {first, redis.call('XRANGE', KEYS[1], first, first)} end end " +
  "local keyed = ARGV[6] ~= '' " +
  "if keyed and ARGV[7] ~= '1' and redis.call('HEXISTS', KEYS[2], ARGV[6]) == 0 then " +
  "local held = redis.call('HLEN', KEYS[2]) " +
  "if held >= tonumber(ARGV[8]) then return {0, held} end end " +
  "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 10)) " +
  "if keyed then if ARGV[7] == '1' then redis.call('HDEL', KEYS[2], ARGV[6]) " +
  "else redis.call('HSET', KEYS[2], ARGV[6], id .. ' ' .. ARGV[9]) end end " +
  "if #KEYS == 3 then redis.call('SET', KEYS[3], id, 'PX', ARGV[5]) end " +
  "if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) " +
  "redis.call('PEXPIRE', KEYS[2], ARGV[2]) end " +
  "redis.call('PUBLISH', ARGV[3], id .. ' ' .. ARGV[4]) return id";

/**
 * Reads a topic's state: KEYS are the stream and the state hash; the answer
 * is `{HGETALL hash, XREVRANGE stream + - COUNT 1}`, one atomic view.
 */
export const STATE_SCRIPT = "return {redis.call('HGETALL', KEYS[2]), " +
  "redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)}";

/**
 * The `{tag}` form of `streamKey` for keys that must share its Redis
 * Cluster hash slot: the stream key itself when it has a hash tag, else the
 * stream key wrapped in braces.
 */
export function slotTagged(streamKey: string): string {
  const open = streamKey.indexOf("{");
  const close = open === -1 ? -1 : streamKey.indexOf("}", open + 1);
  return close > open + 1 || streamKey.includes("}")
    ? streamKey
    : `{${streamKey}}`;
}

/** The state hash of the stream `streamKey` (`#` is not a topic character). */
export function stateKeyOf(streamKey: string): string {
  return `${slotTagged(streamKey)}#state`;
}

const encoder = new TextEncoder();

/**
 * The state hash value of a keyed message, after `<id> `: `t` (text) or `b`
 * (bytes), the event's UTF-8 length, `:`, the event, then the data.
 */
export function packState(message: HubPublishMessage): Buffer {
  const event = encoder.encode(message.event ?? "");
  const head = encoder.encode(
    `${typeof message.data === "string" ? "t" : "b"}${event.byteLength}:`,
  );
  const data = typeof message.data === "string"
    ? encoder.encode(message.data)
    : message.data;
  return Buffer.concat([head, event, data]);
}

const decoder = new TextDecoder();

/** The message of a state hash entry (field `key`, value from the script). */
function unpackState(
  topic: string,
  key: string,
  value: Uint8Array,
): HubDataMessage {
  const space = value.indexOf(0x20);
  const id = decoder.decode(value.subarray(0, space));
  const bytes = value[space + 1] === 0x62; // "b"
  const colon = value.indexOf(0x3a, space + 2);
  const length = Number(decoder.decode(value.subarray(space + 2, colon)));
  const data = value.subarray(colon + 1 + length);
  return storedMessage(topic, id, {
    ...(length === 0 ? {} : {
      event: decoder.decode(value.subarray(colon + 1, colon + 1 + length)),
    }),
    data: bytes ? new Uint8Array(data) : decoder.decode(data),
    key,
  });
}

/** The state a {@linkcode STATE_SCRIPT} answer holds. */
export function parseState(
  topic: string,
  reply: unknown,
): { messages: HubDataMessage[]; last: string | undefined } {
  const [fields, newest] = reply as [Uint8Array[], RawEntry[]];
  const messages: HubDataMessage[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    messages.push(unpackState(topic, text(fields[i]), fields[i + 1]!));
  }
  messages.sort((a, b) => compareStreamIds(a.id, b.id));
  const last = newest[0];
  return { messages, last: last === undefined ? undefined : text(last[0]) };
}
