// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: asking the handler's `identify` hook, and the `?presence=`
// query parameter.

import type {
  MessageOpenOptions,
  PresenceIdentity,
} from "../message/source.ts";
import type { HubIdentify } from "./hub_handler_options.ts";
import { textResponse } from "./_text_response.ts";

/** Longest client id, as the hub takes it. */
const MAX_CLIENT_ID_LENGTH = 256;

/** The identity of a request, `undefined` (anonymous) or a refusal. */
export type Identified = PresenceIdentity | undefined | Response;

export const IDENTIFY_FAILED =
  "Cannot identify request: the identify hook failed";

/**
 * Asks `identify` (when there is one) who sent `request`. A `Response` is a
 * refusal to send as is; a hook that throws or returns something that is
 * not `{ clientId: string (1 to 256 characters), info? }` (with `info`
 * JSON-serialisable) is a `500`, and the error goes to `onError`.
 */
export async function identifyRequest(
  identify: HubIdentify | undefined,
  request: Request,
  onError: ((error: unknown) => void) | undefined,
): Promise<Identified> {
  if (identify === undefined) return undefined;
  let result: unknown;
  try {
    result = await identify(request);
  } catch (error) {
    onError?.(error);
    return textResponse(500, IDENTIFY_FAILED);
  }
  if (result === undefined || result instanceof Response) return result;
  const problem = checkIdentity(result);
  if (problem !== undefined) {
    onError?.(new TypeError(`Cannot identify request: ${problem}`));
    return textResponse(500, IDENTIFY_FAILED);
  }
  return result as PresenceIdentity;
}

function checkIdentity(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) {
    return "identify returned neither an object, undefined nor a Response";
  }
  const { clientId, info } = value as Record<string, unknown>;
  if (
    typeof clientId !== "string" || clientId.length === 0 ||
    clientId.length > MAX_CLIENT_ID_LENGTH
  ) {
    return `clientId is not a string of 1 to ${MAX_CLIENT_ID_LENGTH} characters`;
  }
  try {
    if (info !== undefined && JSON.stringify(info) === undefined) {
      return "info is not JSON-serialisable";
    }
  } catch {
    return "info is not JSON-serialisable";
  }
  return undefined;
}

/**
 * The `?presence=` parameter: absent, `0` or `false` is `false`; `1` or
 * `true` is `true`; anything else an error message.
 */
export function presenceParam(
  url: { readonly searchParams: { get(name: string): string | null } },
): boolean | { error: string } {
  const value = url.searchParams.get("presence");
  if (value === null || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  return { error: "presence is not 1, true, 0 or false" };
}

/**
 * The options of a subscription that starts as `start` says (history,
 * state), asks for presence events when `presence`, and joins as `member`;
 * `undefined` for none.
 */
export function openOptions(
  start: MessageOpenOptions | undefined,
  presence: boolean,
  member: PresenceIdentity | undefined,
): MessageOpenOptions | undefined {
  if (!presence && member === undefined) return start;
  const options: MessageOpenOptions = { ...start };
  if (presence) options.presence = true;
  if (member !== undefined) options.member = member;
  return options;
}
