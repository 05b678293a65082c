// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubDataMessage } from "../message/message.ts";
import { storedMessage } from "./_keyed.ts";

/** A stream entry as Redis sends it: id and flat field / value list. */
export type RawEntry = [Uint8Array, Uint8Array[]];

const decoder = new TextDecoder();

/** A reply value as text: bytes decoded as UTF-8, anything else stringified. */
export function text(value: unknown): string {
  if (value instanceof Uint8Array) return decoder.decode(value);
  return String(value);
}

/**
 * The hub message stored in `entry`: `data` (text, or bytes when the field
 * `type` is `bytes`) and `event`, with the entry's id.
 */
export function toMessage(topic: string, entry: RawEntry): HubDataMessage {
  const id = text(entry[0]);
  const fields = entry[1];
  let data: Uint8Array | undefined;
  let event: string | undefined;
  let key: string | undefined;
  let deleted = false;
  let from: string | undefined;
  let bytes = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = text(fields[i]);
    const value = fields[i + 1]!;
    if (name === "data") data = value;
    else if (name === "event") event = decoder.decode(value);
    else if (name === "type") bytes = text(value) === "bytes";
    else if (name === "key") key = decoder.decode(value);
    else if (name === "deleted") deleted = true;
    else if (name === "from") from = decoder.decode(value);
  }
  const payload = data === undefined
    ? ""
    : bytes
    ? new Uint8Array(data)
    : decoder.decode(data);
  return storedMessage(topic, id, {
    event,
    data: payload,
    key,
    deleted,
    from,
  });
}

/** {@linkcode toMessage} over a list of entries. */
export function toMessages(
  topic: string,
  entries: readonly RawEntry[],
): HubDataMessage[] {
  return entries.map((entry) => toMessage(topic, entry));
}
