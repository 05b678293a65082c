// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the members of a topic in a polling answer (`?presence=1` on
// `poll` and `longpoll`).

import type { MessageSource } from "../message/source.ts";

/**
 * `response` (a polling envelope) with `"presence"`: the topic's members
 * when the answer was ready. Other answers (errors, `304`) pass as they are.
 * The envelope is at most the polling options' `maxBatchBytes`, and the
 * list at most the hub's `maxPresencePerTopic` members.
 */
export async function withMembers(
  response: Response,
  source: MessageSource,
  topic: string,
): Promise<Response> {
  if (response.status !== 200 || source.presence === undefined) {
    return response;
  }
  const [text, members] = await Promise.all([
    response.text(),
    source.presence(topic),
  ]);
  const end = text.lastIndexOf("}");
  if (end === -1) return new Response(text, response);
  const body = `${text.slice(0, end)},"presence":${JSON.stringify(members)}${
    text.slice(end)
  }`;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, headers });
}
