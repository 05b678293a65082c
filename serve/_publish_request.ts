// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: reads an HTTP publish request (`POST /:topic`) into a message.

import type { HubPublishMessage } from "../message/message.ts";
import { checkClientEvent } from "./_client_publish.ts";
import { quote } from "../_internal/quote.ts";

/** A response to send instead of publishing. */
export interface PublishRefusal {
  status: 400 | 413;
  message: string;
}

const TEXT_TYPE_REGEXP =
  /^(?:text\/[^;]*|application\/(?:json|xml|javascript|x-www-form-urlencoded|[^;]*\+(?:json|xml)))$/;

/** Whether a body of this content type is published as text. */
export function isTextType(contentType: string | null): boolean {
  if (contentType === null) return true;
  const essence = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return essence === "" || TEXT_TYPE_REGEXP.test(essence);
}

/** Reads at most `max` bytes of a body; `undefined` when it is longer. */
async function readLimited(
  request: Request,
  max: number,
): Promise<Uint8Array | undefined> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > max) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads the message a `POST` publishes: the body as data (text for textual
 * content types, which must be UTF-8; bytes otherwise) and the event type
 * from `?event=` or the `X-Event` header.
 */
export async function readPublishRequest(
  request: Request,
  topic: string,
  maxBytes: number,
): Promise<HubPublishMessage | PublishRefusal> {
  const event = new URL(request.url).searchParams.get("event") ??
    request.headers.get("x-event") ?? undefined;
  if (event !== undefined) {
    const problem = checkClientEvent(event);
    if (problem !== undefined) {
      return {
        status: 400,
        message: `Cannot publish to topic ${quote(topic)}: ${problem}`,
      };
    }
  }
  const bytes = await readLimited(request, maxBytes);
  if (bytes === undefined) {
    return {
      status: 413,
      message: `Cannot publish to topic ${
        quote(topic)
      }: the body exceeds maxPublishBytes of ${maxBytes}`,
    };
  }
  let data: string | Uint8Array = bytes;
  if (isTextType(request.headers.get("content-type"))) {
    try {
      data = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return {
        status: 400,
        message: `Cannot publish to topic ${
          quote(topic)
        }: the body is not valid UTF-8`,
      };
    }
  }
  const message: HubPublishMessage = event === undefined || event === ""
    ? { data }
    : { event, data };
  return withKey(request, topic, message);
}

/**
 * The key of a publish request (`?key=` or the `X-Key` header) and whether
 * it deletes the key (`?delete=1` or `X-Delete: 1`), added to `message`;
 * the hub checks the key itself.
 */
function withKey(
  request: Request,
  topic: string,
  message: HubPublishMessage,
): HubPublishMessage | PublishRefusal {
  const params = new URL(request.url).searchParams;
  const key = params.get("key") ?? request.headers.get("x-key") ?? undefined;
  const remove = params.get("delete") ?? request.headers.get("x-delete") ??
    undefined;
  if (remove !== undefined && !/^(?:0|1|true|false)$/.test(remove)) {
    return {
      status: 400,
      message: `Cannot publish to topic ${quote(topic)}: delete is ${
        quote(remove.slice(0, 40))
      }, expected 1 or 0`,
    };
  }
  const deletes = remove === "1" || remove === "true";
  if (deletes && key === undefined) {
    return {
      status: 400,
      message: `Cannot publish to topic ${
        quote(topic)
      }: delete is set without a key`,
    };
  }
  if (key === undefined) return message;
  return deletes
    ? { ...message, key, delete: true, data: "" }
    : { ...message, key };
}
