// Copyright 2026 the serverpush authors. MIT license.
// Private: CORS for the hub handler (option `cors`): answers preflights and
// marks responses as readable by the origins that the `origins` policy
// allows, so that pages on other origins can subscribe and publish.

import { checkOrigin, type OriginPolicy } from "../ws/check_origin.ts";
import type { HubCorsOptions } from "./hub_handler_options.ts";
import { textResponse } from "./_text_response.ts";
import { quote } from "../_internal/quote.ts";

/** Request headers a page may send to the hub, beyond the CORS-safelisted. */
const HEADERS: readonly string[] = [
  "authorization",
  "cache-control",
  "content-type",
  "idempotency-key",
  "last-event-id",
  "x-event",
];
const TOKEN_REGEXP = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The CORS side of the hub handler. */
export interface Cors {
  /** Answers a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  preflight(request: Request): Response;
  /** Adds the CORS headers to `response` when the request's origin may read. */
  mark(request: Request, response: Response): Response;
}

/** Whether `request` is a CORS preflight. */
export function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" &&
    request.headers.has("access-control-request-method");
}

/**
 * Builds the CORS side of a handler whose `origins` policy is `policy`.
 *
 * @throws {RangeError} If `maxAge` is not a non-negative integer.
 * @throws {TypeError} If a header of `allowHeaders` is not a token.
 */
export function createCors(
  what: string,
  options: true | HubCorsOptions,
  policy: OriginPolicy | undefined,
): Cors {
  const { maxAge = 600, allowHeaders = [] } = options === true ? {} : options;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new RangeError(
      `Cannot ${what}: cors.maxAge is ${maxAge}, expected a non-negative integer of seconds`,
    );
  }
  for (const header of allowHeaders) {
    if (typeof header !== "string" || !TOKEN_REGEXP.test(header)) {
      throw new TypeError(
        `Cannot ${what}: cors.allowHeaders has ${
          quote(String(header))
        }, which is not a header name`,
      );
    }
  }
  const allowed = [...HEADERS, ...allowHeaders.map((h) => h.toLowerCase())]
    .join(", ");
  // "any" lets every page read, but never with the user's cookies.
  const credentials = policy !== "any";

  /** The origin to name in `Access-Control-Allow-Origin`, if any. */
  function originOf(request: Request): string | undefined {
    const origin = request.headers.get("origin");
    if (origin === null) return undefined;
    try {
      checkOrigin(request, policy);
    } catch {
      return undefined;
    }
    return credentials ? origin : "*";
  }

  function setCors(headers: Headers, origin: string): void {
    headers.set("access-control-allow-origin", origin);
    if (credentials) headers.set("access-control-allow-credentials", "true");
    headers.append("vary", "Origin");
  }

  return {
    preflight(request: Request): Response {
      const origin = originOf(request);
      const method = request.headers.get("access-control-request-method");
      if (origin === undefined) {
        return textResponse(
          403,
          `Cannot allow a cross-origin request: Origin ${
            quote(request.headers.get("origin") ?? "")
          } is not allowed by the origins policy`,
        );
      }
      if (method !== "GET" && method !== "POST") {
        return textResponse(
          405,
          `Cannot allow a cross-origin request: method ${
            quote(method ?? "")
          } is not GET or POST`,
          { allow: "GET, POST" },
        );
      }
      const headers = new Headers({
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": allowed,
        "access-control-max-age": String(maxAge),
      });
      setCors(headers, origin);
      return new Response(null, { status: 204, headers });
    },

    mark(request: Request, response: Response): Response {
      if (
        response.status === 101 ||
        response.headers.has("access-control-allow-origin")
      ) return response;
      const origin = originOf(request);
      if (origin === undefined) return response;
      try {
        setCors(response.headers, origin);
        return response;
      } catch {
        // Immutable headers: copy the response.
        const copy = new Response(response.body, response);
        setCors(copy.headers, origin);
        return copy;
      }
    },
  };
}
