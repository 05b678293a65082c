// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { AllowedHosts } from "./check_host.ts";
import type { OriginPolicy } from "./check_origin.ts";
import type {
  AcceptUpgradeOptions,
  UpgradeAcceptance,
} from "./server_handshake.ts";
import { admitChecked, refusalOf, upgradeHeaders } from "./_check_upgrade.ts";

/**
 * Decides whether an upgrade request may become a WebSocket, before any
 * upgrade happens: `true` lets it through, `false` answers 403, and a
 * `Response` is sent as it is (a 401 with `WWW-Authenticate`, a redirect).
 *
 * Browsers cannot set headers on a WebSocket request, so a token travels in
 * one of three ways:
 *
 * - a cookie (sent automatically to the same site; pair it with the Origin
 *   policy, which is what stops other sites from riding on it);
 * - the query string (`new WebSocket("/ws?token=...")`; mind that URLs end
 *   up in logs);
 * - the `Sec-WebSocket-Protocol` trick: the page offers the token as an
 *   extra subprotocol (`new WebSocket(url, ["chat.v1", "token.abc123"])`),
 *   `authorize` reads it from the request's `Sec-WebSocket-Protocol`
 *   header, and the server answers with its real protocol (`protocols:
 *   ["chat.v1"]`), never with the token.
 *
 * Non-browser clients can send an `Authorization` header. A function that
 * throws (or rejects) makes the admission reject with that error.
 *
 * @example Check a bearer token or a cookie
 * ```ts
 * import type { AuthorizeUpgrade } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const authorize: AuthorizeUpgrade = (request) =>
 *   request.headers.get("authorization") === "Bearer s3cret" ||
 *   (request.headers.get("cookie") ?? "").includes("session=s3cret");
 * strictEqual(
 *   await authorize(new Request("http://localhost/", { headers: { cookie: "session=s3cret" } })),
 *   true,
 * );
 * ```
 */
export type AuthorizeUpgrade = (
  request: Request,
) => boolean | Response | Promise<boolean | Response>;

/** Options for {@linkcode admitUpgrade}. */
export interface AdmitUpgradeOptions extends AcceptUpgradeOptions {
  /**
   * The host names (with or without a port) this server answers to, against
   * DNS rebinding: a request whose `Host` is not on the list is refused with
   * 421 before the Origin policy runs (see {@linkcode checkHost}). A server
   * on loopback should list its loopback names, such as
   * `["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]`: without the list,
   * a page whose name is rebound to 127.0.0.1 passes the same-origin rule.
   * `undefined` checks no `Host`.
   *
   * @default {undefined}
   */
  allowedHosts?: AllowedHosts;
  /**
   * Which `Origin` values may connect, against cross-site WebSocket
   * hijacking: by default a request whose `Origin` is present and not the
   * same origin as its `Host` is refused with 403, and requests without
   * `Origin` (non-browser clients) pass. See {@linkcode OriginPolicy}.
   *
   * @default {"same-origin"}
   */
  origins?: OriginPolicy;
  /**
   * Runs after the handshake and Origin checks, before any upgrade; see
   * {@linkcode AuthorizeUpgrade}.
   *
   * @default {undefined}
   */
  authorize?: AuthorizeUpgrade;
}

/**
 * Runs a server's whole admission policy on a WebSocket upgrade request, as
 * a server, whatever engine then performs the upgrade: the handshake
 * ({@linkcode acceptUpgrade}: subprotocol by server preference, optional
 * permessage-deflate), the `Host` allow-list ({@linkcode checkHost}, when
 * `allowedHosts` is given), the Origin policy ({@linkcode checkOrigin}) and
 * the `authorize` hook, in that order.
 *
 * Returns what was agreed, or the response to send instead:
 *
 * | request                                   | response                          |
 * | ----------------------------------------- | --------------------------------- |
 * | not an upgrade (no `Upgrade: websocket`)  | 426 with `Upgrade: websocket`     |
 * | not a `GET`                               | 405 with `Allow: GET`             |
 * | a malformed handshake                     | 400 with the reason               |
 * | `Sec-WebSocket-Version` other than 13     | 426 with `Sec-WebSocket-Version`  |
 * | a `Host` not in `allowedHosts`            | 421                               |
 * | an `Origin` the policy refuses            | 403                               |
 * | `authorize` returns `false`               | 403                               |
 * | `authorize` returns a `Response`          | that response                     |
 *
 * @param request The upgrade request. Its body is not read.
 * @param options Subprotocols, permessage-deflate, Origin policy and
 * authorization.
 * @returns The agreement (with the 101 headers), or a refusal to send.
 * @throws {TypeError} If `options.protocols` holds a non-token, the Origin
 * allow-list holds a string that is not a URL, or `allowedHosts` holds an
 * entry that is not a host name.
 * @throws {RangeError} If a permessage-deflate option is out of range.
 * @throws {unknown} Whatever `authorize` throws.
 *
 * @example Refuse a cross-site page, accept a same-site one
 * ```ts
 * import { admitUpgrade } from "@serverpush/serverpush/ws";
 * import { ok, strictEqual } from "node:assert/strict";
 *
 * function upgrade(origin: string): Request {
 *   return new Request("http://chat.example/ws", {
 *     headers: {
 *       host: "chat.example",
 *       origin,
 *       upgrade: "websocket",
 *       connection: "Upgrade",
 *       "sec-websocket-version": "13",
 *       "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     },
 *   });
 * }
 * const refused = await admitUpgrade(upgrade("https://evil.example"));
 * ok(refused instanceof Response);
 * strictEqual(refused.status, 403);
 * await refused.body?.cancel();
 *
 * const agreed = await admitUpgrade(upgrade("https://chat.example"));
 * ok(!(agreed instanceof Response));
 * strictEqual(agreed.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export async function admitUpgrade(
  request: Request,
  options: AdmitUpgradeOptions = {},
): Promise<UpgradeAcceptance | Response> {
  const checked = admitChecked(request, options);
  if (checked instanceof Response) return checked;
  if (options.authorize !== undefined) {
    const refusal = refusalOf(await options.authorize(request));
    if (refusal !== undefined) return refusal;
  }
  return {
    headers: upgradeHeaders(checked),
    protocol: checked.protocol,
    extensions: checked.extensions,
    deflate: checked.deflate,
  };
}
