// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the default authorize hooks, and asking a hook over HTTP.

import type { HubAuthorize } from "./hub_handler_options.ts";
import { textResponse } from "./_text_response.ts";
import { quote } from "../_internal/quote.ts";

/** The default of `authorizeSubscribe`: everything is allowed. */
export function allow(): boolean {
  return true;
}

/** The default of `authorizePublish`: nothing is allowed. */
export function deny(): boolean {
  return false;
}

/** `true`, or the response to send when `authorize` does not allow. */
export async function authorized(
  authorize: HubAuthorize,
  request: Request,
  topic: string,
  action: string,
): Promise<true | Response> {
  const verdict = await authorize(request, topic);
  if (verdict === true) return true;
  if (verdict instanceof Response) return verdict;
  return textResponse(
    403,
    `Cannot ${action} topic ${quote(topic)}: not authorized`,
  );
}
