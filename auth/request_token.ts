// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Where {@linkcode requestToken} looks for a token besides the
 * `Authorization` header.
 *
 * @example Read the token from a cookie too
 * ```ts
 * import type { RequestTokenOptions } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: RequestTokenOptions = { cookie: "push_token" };
 * strictEqual(options.cookie, "push_token");
 * ```
 */
export interface RequestTokenOptions {
  /**
   * The name of a cookie that carries the token. Cookies go along with
   * every request to the site, so a page on another site can make the
   * browser send them: keep the `origins` policy of the handler on (it is
   * what refuses cross-site WebSocket upgrades and `POST`s), and set the
   * cookie `SameSite=Strict` or `Lax`. `undefined` reads no cookie.
   *
   * @default {undefined}
   */
  cookie?: string;
  /**
   * The query parameter that carries the token, for clients that cannot
   * set headers (`EventSource`, a polling `<script>`, a browser
   * `WebSocket`): `?access_token=` as RFC 6750 section 2.3 names it. URLs
   * end up in logs and in the `Referer` of other requests: use short-lived
   * tokens there. `false` reads none.
   *
   * @default {"access_token"}
   */
  query?: string | false;
  /**
   * The prefix of a WebSocket subprotocol that carries the token (the
   * `Sec-WebSocket-Protocol` trick for browsers, whose `WebSocket` cannot
   * set headers): the page offers `["serverpush.v1",
   * "access_token.<token>"]`, and the server answers with `serverpush.v1`
   * (or with no subprotocol), never with the token. A JWT is made of
   * characters that a subprotocol may hold. `false` reads none.
   *
   * @default {"access_token."}
   */
  subprotocol?: string | false;
}

const BEARER_REGEXP = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/** The value of cookie `name` in a `Cookie` header, or `undefined`. */
function cookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(";")) {
    const equals = pair.indexOf("=");
    if (equals < 0) continue;
    if (pair.slice(0, equals).trim() !== name) continue;
    const value = pair.slice(equals + 1).trim();
    // RFC 6265 allows a cookie value in double quotes.
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
      ? value.slice(1, -1)
      : value;
  }
  return undefined;
}

/**
 * The token a request carries, or `undefined`: from the `Authorization:
 * Bearer` header (RFC 6750 section 2.1), else a WebSocket subprotocol
 * `access_token.<token>`, else the cookie named by `cookie`, else the query
 * parameter `access_token`. The first one found is taken; an empty one
 * counts as none.
 *
 * @param request The request.
 * @param options Which places besides the header to look in.
 * @returns The token, not verified.
 *
 * @example Take the token from a header or from the query
 * ```ts
 * import { requestToken } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   requestToken(new Request("http://localhost/", { headers: { authorization: "Bearer abc.def.ghi" } })),
 *   "abc.def.ghi",
 * );
 * strictEqual(requestToken(new Request("http://localhost/news?access_token=abc.def.ghi")), "abc.def.ghi");
 * strictEqual(requestToken(new Request("http://localhost/news")), undefined);
 * ```
 */
export function requestToken(
  request: Request,
  options: RequestTokenOptions = {},
): string | undefined {
  const { headers } = request;
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = BEARER_REGEXP.exec(authorization);
    if (match !== null) return match[1];
  }
  const prefix = options.subprotocol ?? "access_token.";
  const protocols = headers.get("sec-websocket-protocol");
  if (prefix !== false && protocols !== null) {
    for (const entry of protocols.split(",")) {
      const protocol = entry.trim();
      if (protocol.length > prefix.length && protocol.startsWith(prefix)) {
        return protocol.slice(prefix.length);
      }
    }
  }
  const { cookie } = options;
  const cookies = headers.get("cookie");
  if (cookie !== undefined && cookies !== null) {
    const value = cookieValue(cookies, cookie);
    if (value !== undefined && value !== "") return value;
  }
  const query = options.query ?? "access_token";
  if (query !== false) {
    const value = new URL(request.url).searchParams.get(query);
    if (value !== null && value !== "") return value;
  }
  return undefined;
}
