// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubHistory } from "../message/source.ts";
import { hubMessageToJson } from "../message/message_to_json.ts";
import type { PollingSource } from "./source.ts";

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

/** Default of `maxBatchBytes` for `poll` and `longPoll`: 1 MiB. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;

/**
 * The JSON envelope for `history`, which was read with a limit of
 * `maxBatch + 1` so that `more` can be told. Each message's JSON is the
 * hub's cached text, so a message polled by many clients is encoded once.
 * The batch stops before the message that would take the messages' JSON
 * past `maxBatchBytes` UTF-16 code units (the first message always goes),
 * so one response never holds more than that plus one message.
 */
export function formatEnvelope(
  cursor: string | undefined,
  history: HubHistory,
  maxBatch: number,
  maxBatchBytes: number = DEFAULT_MAX_BATCH_BYTES,
): string {
  const json: string[] = [];
  let size = 0;
  for (const message of history.messages) {
    if (json.length === maxBatch) break;
    const text = hubMessageToJson(message);
    if (json.length > 0 && size + text.length > maxBatchBytes) break;
    size += text.length;
    json.push(text);
  }
  const more = history.messages.length > json.length;
  const last = history.messages[json.length - 1];
  const next = last !== undefined
    ? last.id
    : history.reset === undefined
    ? cursor
    : undefined;
  const parts = [
    `{"cursor":${next === undefined ? "null" : JSON.stringify(next)}`,
    `,"messages":[${json.join(",")}]`,
  ];
  if (history.reset !== undefined) {
    parts.push(`,"reset":true,"reason":${JSON.stringify(history.reset)}`);
  }
  if (more) parts.push(`,"more":true`);
  parts.push("}");
  return parts.join("");
}

/** A `200` JSON response that no cache keeps. */
export function jsonResponse(body: string): Response {
  return new Response(body, { headers: JSON_HEADERS });
}

/** A `400` plain-text response. */
export function badRequest(message: string): Response {
  return new Response(message, {
    status: 400,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

/** Reads one batch: `maxBatch + 1` messages, so that `more` can be told. */
export function readBatch(
  source: PollingSource,
  cursor: string | undefined,
  maxBatch: number,
): Promise<HubHistory> {
  return source.history(
    cursor,
    Math.min(maxBatch + 1, Number.MAX_SAFE_INTEGER),
  );
}
