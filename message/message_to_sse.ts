// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { encodeSse } from "../sse/encode.ts";
import { encodeBase64 } from "../_internal/base64.ts";
import { encodedOnce } from "./encoded_once.ts";
import type { HubMessage } from "./message.ts";

const encoder = new TextEncoder();

/**
 * The SSE event type that carries a {@linkcode HubResetMessage} (see
 * {@linkcode hubMessageToSse}); its data is the reset's reason.
 *
 * @example Tell a reset from a message
 * ```ts
 * import { SERVERPUSH_RESET_EVENT } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(SERVERPUSH_RESET_EVENT, "serverpush-reset");
 * // eventSource.addEventListener(SERVERPUSH_RESET_EVENT, (event) => ...)
 * ```
 */
export const SERVERPUSH_RESET_EVENT = "serverpush-reset" as const;

/**
 * The SSE event type of a delete in a keyed topic: its data is the deleted
 * key, its id the delete's id (see `HubDataMessage.deleted`).
 *
 * @example Listen for deletes in a browser
 * ```ts
 * import { SERVERPUSH_DELETE_EVENT } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(SERVERPUSH_DELETE_EVENT, "serverpush-delete");
 * // source.addEventListener(SERVERPUSH_DELETE_EVENT, (e) => remove(e.data));
 * ```
 */
export const SERVERPUSH_DELETE_EVENT = "serverpush-delete" as const;

/**
 * The SSE event type of a presence join (see {@linkcode HubPresenceMessage}):
 * its data is the JSON `{"clientId":…,"info":…,"since":…}`.
 *
 * @example Listen for joins in a browser
 * ```ts
 * import { SERVERPUSH_JOIN_EVENT } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(SERVERPUSH_JOIN_EVENT, "serverpush-join");
 * // source.addEventListener(SERVERPUSH_JOIN_EVENT, (e) => JSON.parse(e.data))
 * ```
 */
export const SERVERPUSH_JOIN_EVENT = "serverpush-join" as const;

/**
 * The SSE event type of a presence leave (see
 * {@linkcode HubPresenceMessage}): its data is the JSON
 * `{"clientId":…,"info":…,"since":…}`.
 *
 * @example Listen for leaves in a browser
 * ```ts
 * import { SERVERPUSH_LEAVE_EVENT } from "@serverpush/serverpush/message";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(SERVERPUSH_LEAVE_EVENT, "serverpush-leave");
 * ```
 */
export const SERVERPUSH_LEAVE_EVENT = "serverpush-leave" as const;

function toSse(message: HubMessage): Uint8Array {
  if (message.kind === "reset") {
    return encoder.encode(
      encodeSse({ event: SERVERPUSH_RESET_EVENT, data: message.reason }),
    );
  }
  if (message.kind !== "message") {
    const { clientId, info, since } = message;
    return encoder.encode(encodeSse({
      event: message.kind === "join"
        ? SERVERPUSH_JOIN_EVENT
        : SERVERPUSH_LEAVE_EVENT,
      data: JSON.stringify({ clientId, info, since }),
    }));
  }
  if (message.deleted === true) {
    return encoder.encode(
      encodeSse({
        event: SERVERPUSH_DELETE_EVENT,
        id: message.id,
        data: message.key!,
      }),
    );
  }
  const data = typeof message.data === "string"
    ? message.data
    : encodeBase64(message.data);
  return encoder.encode(
    encodeSse(
      message.event === undefined
        ? { id: message.id, data }
        : { event: message.event, id: message.id, data },
    ),
  );
}

/**
 * Serializes a {@linkcode HubMessage} as one `text/event-stream` event, once
 * per message object (see {@linkcode encodedOnce}): every subscriber of a
 * broadcast gets the identical `Uint8Array`.
 *
 * A published message becomes `event` (when given), `id` and `data` lines,
 * so the browser's `EventSource` sends the id back as `Last-Event-ID` when it
 * reconnects. `Uint8Array` data goes out base64-encoded (standard alphabet,
 * padded), since an event stream carries text only; publish text as a
 * string. A reset becomes an event of type `serverpush-reset` whose data is
 * the {@linkcode HubResetReason}, with no `id` line, so the client's last
 * event id stays where it was.
 * A delete in a keyed topic becomes an event of type `serverpush-delete`
 * whose data is the deleted key, with its id. The key of other keyed
 * messages is not on the SSE wire: put it in the data (or the event type)
 * when SSE clients must tell keys apart.
 *
 * @param message The message to encode.
 * @returns The event's bytes; read-only, shared by every caller.
 *
 * @example Encode a published message
 * ```ts
 * import { Hub, hubMessageToSse } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const a = hub.subscribe("t").getReader();
 * const b = hub.subscribe("t").getReader();
 * const id = await hub.publish("t", { event: "tick", data: "1" });
 * const bytesA = hubMessageToSse((await a.read()).value!);
 * const bytesB = hubMessageToSse((await b.read()).value!);
 * strictEqual(bytesA, bytesB);
 * strictEqual(
 *   new TextDecoder().decode(bytesA),
 *   `event: tick\nid: ${id}\ndata: 1\n\n`,
 * );
 * await hub.close();
 * ```
 *
 * @example Encode a reset
 * ```ts
 * import { hubMessageToSse } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const bytes = hubMessageToSse({ kind: "reset", topic: "t", reason: "dropped" });
 * strictEqual(
 *   new TextDecoder().decode(bytes),
 *   "event: serverpush-reset\ndata: dropped\n\n",
 * );
 * ```
 */
export function hubMessageToSse(message: HubMessage): Uint8Array {
  return encodedOnce(message, toSse);
}
