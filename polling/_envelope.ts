// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { HubHistory } from "../hub/backend.ts";
import { hubMessageToJson } from "../hub/message_to_json.ts";
import type { PollingSource } from "./source.ts";

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

/**
 * The JSON envelope for `history`, which was read with a limit of
 * `maxBatch + 1` so that `more` can be told. Each message's JSON is the
 * hub's cached text, so a message polled by many clients is encoded once.
 */
export function formatEnvelope(
  cursor: string | undefined,
  history: HubHistory,
  maxBatch: number,
): string {
  const more = history.messages.length > maxBatch;
  const messages = more
    ? history.messages.slice(0, maxBatch)
    : history.messages;
  const last = messages.at(-1);
  const next = last !== undefined
    ? last.id
    : history.reset === undefined
    ? cursor
    : undefined;
  const parts = [
    `{"cursor":${next === undefined ? "null" : JSON.stringify(next)}`,
    `,"messages":[${messages.map(hubMessageToJson).join(",")}]`,
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
