// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Machine-readable reason of a {@linkcode HubLimitError}:
 * `"too-many-topics"` means a publish would create a topic while the
 * backend already holds its largest number of topics; `"too-many-keys"`
 * means a publish would add a key to a topic that holds its
 * `maxKeysPerTopic` keys already (a keyed topic).
 *
 * @example Switch on the code
 * ```ts
 * import type { HubLimitErrorCode } from "@serverpush/serverpush/hub";
 * import { strictEqual } from "node:assert/strict";
 *
 * const code: HubLimitErrorCode = "too-many-topics";
 * strictEqual(code, "too-many-topics");
 * ```
 */
export type HubLimitErrorCode =
  | "too-many-topics"
  | "too-many-keys"
  | "too-many-members";

/**
 * A publish refused because a hub-wide limit of the backend is reached, for
 * example `maxTopics` of {@linkcode createMemoryBackend}. It is a
 * `RangeError` with a stable {@linkcode HubLimitError.code}; the hub's
 * handler answers it with `429` on HTTP and with an error message of that
 * code on a `serverpush.v1` WebSocket.
 *
 * @example Publishing to one topic too many
 * ```ts
 * import { Hub, HubLimitError } from "@serverpush/serverpush/hub";
 * import { rejects } from "node:assert/strict";
 *
 * const hub = new Hub({ replay: { maxTopics: 1 } });
 * await hub.publish("a", { data: "1" });
 * await hub.publish("a", { data: "2" }); // an existing topic is fine
 * await rejects(
 *   hub.publish("b", { data: "1" }),
 *   (error) => error instanceof HubLimitError && error.code === "too-many-topics",
 * );
 * await hub.close();
 * ```
 */
export class HubLimitError extends RangeError {
  /** Which limit was reached; safe to switch on. */
  readonly code: HubLimitErrorCode;

  /**
   * Creates the error.
   *
   * @param message What was refused, in the "Cannot ..." voice.
   * @param options The limit's code.
   */
  constructor(message: string, options: { code: HubLimitErrorCode }) {
    super(message);
    this.name = "HubLimitError";
    this.code = options.code;
  }
}
