// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { WsHandshakeError } from "./handshake_error.ts";
import { quote } from "../_internal/quote.ts";

/**
 * Anything that tests an origin string, such as a `URLPattern`
 * (`new URLPattern({ hostname: "*.example.com" })`) or a `RegExp`.
 */
export interface OriginMatcher {
  /** Whether `origin` (such as `https://example.com`) is allowed. */
  test(origin: string): boolean;
}

/**
 * Which `Origin` values may open a WebSocket, against cross-site WebSocket
 * hijacking.
 *
 * - `"same-origin"`: the `Origin` host (with port) must equal the request's
 *   `Host`. The scheme is not compared, so a TLS-terminating proxy in front
 *   of a plain-HTTP server still works.
 * - `"any"`: every origin is allowed.
 * - a list: an origin is allowed when a string equals it (after URL
 *   normalisation, so `https://Example.com/` matches `https://example.com`)
 *   or when a matcher's `test` returns `true`.
 * - a function: called with the `Origin` value (`undefined` when absent) and
 *   the request; returns whether to allow it.
 *
 * For every policy but a function, a request without `Origin` is allowed:
 * browsers always send it, so its absence means a non-browser client, which
 * cross-site hijacking does not concern.
 */
export type OriginPolicy =
  | "same-origin"
  | "any"
  | readonly (string | OriginMatcher)[]
  | ((origin: string | undefined, request: Request) => boolean);

function forbid(origin: string, reason: string): never {
  throw new WsHandshakeError(
    `Cannot accept WebSocket upgrade: Origin ${quote(origin)} ${reason}`,
    { code: "forbidden-origin", status: 403 },
  );
}

function parseOrigin(origin: string): URL | undefined {
  return URL.canParse(origin) ? new URL(origin) : undefined;
}

/**
 * Checks a WebSocket upgrade request's `Origin` header against a policy, as
 * a server, before {@linkcode acceptUpgrade}.
 *
 * @param request The upgrade request.
 * @param policy Who may connect; see {@linkcode OriginPolicy}.
 * @throws {WsHandshakeError} With code `forbidden-origin` and status 403 if
 * the origin is not allowed (including `Origin: null` and malformed values).
 * @throws {TypeError} If a string in the policy list is not a URL.
 *
 * @example Same-origin by default, an allow-list otherwise
 * ```ts
 * import { checkOrigin, WsHandshakeError } from "@serverpush/serverpush/ws";
 * import { doesNotThrow, throws } from "node:assert/strict";
 *
 * const request = new Request("http://chat.example.com/ws", {
 *   headers: { host: "chat.example.com", origin: "https://evil.example" },
 * });
 * throws(() => checkOrigin(request), WsHandshakeError);
 * doesNotThrow(() => checkOrigin(request, ["https://evil.example"]));
 * doesNotThrow(() => checkOrigin(request, [/^https:\/\/[a-z]+\.example$/]));
 * ```
 */
export function checkOrigin(
  request: Request,
  policy: OriginPolicy = "same-origin",
): void {
  const origin = request.headers.get("origin") ?? undefined;
  if (typeof policy === "function") {
    if (!policy(origin, request)) {
      forbid(origin ?? "", "is not allowed by the origin policy");
    }
    return;
  }
  if (origin === undefined || policy === "any") return;
  if (policy === "same-origin") {
    const url = parseOrigin(origin);
    if (url === undefined || url.origin === "null") {
      forbid(origin, "is not a tuple origin");
    }
    const host = request.headers.get("host") ?? new URL(request.url).host;
    const hostUrl = URL.canParse(`${url.protocol}//${host}`)
      ? new URL(`${url.protocol}//${host}`)
      : undefined;
    if (hostUrl === undefined || hostUrl.host !== url.host) {
      forbid(origin, `does not match Host ${quote(host)}`);
    }
    return;
  }
  const normalised = parseOrigin(origin)?.origin;
  for (const entry of policy) {
    if (typeof entry === "string") {
      if (!URL.canParse(entry)) {
        throw new TypeError(
          `Cannot check Origin: policy entry ${quote(entry)} is not a URL`,
        );
      }
      if (
        entry === origin ||
        (normalised !== undefined && normalised !== "null" &&
          new URL(entry).origin === normalised)
      ) {
        return;
      }
    } else if (entry.test(origin)) {
      return;
    }
  }
  forbid(origin, "is not in the allow-list");
}
