// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodeBase64 } from "../_internal/base64.ts";
import { encodedOnce } from "./encoded_once.ts";
import type { HubMessage } from "./message.ts";

function toJson(message: HubMessage): string {
  if (message.kind === "reset") {
    return JSON.stringify({ reset: message.reason });
  }
  if (message.kind !== "message") {
    const { clientId, info, since } = message;
    return JSON.stringify({ [message.kind]: { clientId, info, since } });
  }
  const head: Record<string, string> = message.event === undefined
    ? { id: message.id }
    : { id: message.id, event: message.event };
  if (message.from !== undefined) head.from = message.from;
  const body = typeof message.data === "string"
    ? { ...head, data: message.data }
    : { ...head, data: encodeBase64(message.data), encoding: "base64" };
  if (message.key === undefined) return JSON.stringify(body);
  return JSON.stringify(
    message.deleted === true
      ? { ...body, key: message.key, deleted: true }
      : { ...body, key: message.key },
  );
}

/**
 * Serializes a {@linkcode HubMessage} as JSON text, for example for a
 * WebSocket text frame or a polling response, once per message object (see
 * {@linkcode encodedOnce}).
 *
 * A published message becomes `{"id":…,"event":…,"data":…}` (`event` only
 * when given). `Uint8Array` data becomes a base64 string (standard alphabet,
 * padded) and the object gains `"encoding":"base64"`. A reset becomes
 * `{"reset":"<reason>"}`, so a client tells the two apart by the `reset`
 * key.
 *
 * @param message The message to encode.
 * @returns The JSON text, the identical string for every caller.
 *
 * @example Encode text and bytes
 * ```ts
 * import { Hub, hubMessageToJson } from "@serverpush/serverpush/hub";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const reader = hub.subscribe("t").getReader();
 * const first = await hub.publish("t", { data: "hi" });
 * const second = await hub.publish("t", { event: "raw", data: new Uint8Array([1, 2]) });
 * deepStrictEqual(JSON.parse(hubMessageToJson((await reader.read()).value!)), {
 *   id: first,
 *   data: "hi",
 * });
 * deepStrictEqual(JSON.parse(hubMessageToJson((await reader.read()).value!)), {
 *   id: second,
 *   event: "raw",
 *   data: "AQI=",
 *   encoding: "base64",
 * });
 * await hub.close();
 * ```
 */
export function hubMessageToJson(message: HubMessage): string {
  return encodedOnce(message, toJson);
}
