// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import {
  createJwtVerifier,
  type JwtClaims,
  type JwtKeySource,
  type VerifyJwtOptions,
} from "./jwt_verifier.ts";
import { JwtError } from "./jwt_error.ts";
import { requestToken, type RequestTokenOptions } from "./request_token.ts";
import { type GrantAction, grants } from "./_grants.ts";
import { quote } from "../_internal/quote.ts";

/**
 * What {@linkcode authorizeWithJwt} reads besides the keys: the checks of
 * {@linkcode VerifyJwtOptions}, where the token travels
 * ({@linkcode RequestTokenOptions}) and the name of the claim that grants
 * topics.
 *
 * @example Name the claim
 * ```ts
 * import type { JwtAuthorizationOptions } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: JwtAuthorizationOptions = { claim: "push", audience: "push.example" };
 * strictEqual(options.claim, "push");
 * ```
 */
export interface JwtAuthorizationOptions
  extends VerifyJwtOptions, RequestTokenOptions {
  /**
   * The claim that grants topics: an object `{ subscribe?: string[],
   * publish?: string[] }` of topic patterns, where `*` is every topic,
   * `news/*` every topic under `news/` (not `news` itself) and anything
   * else one topic.
   *
   * @default {"serverpush"}
   */
  claim?: string;
}

/**
 * Options for {@linkcode authorizeWithJwt}: one key source (`secret`,
 * `jwks` or `key`, as for `createJwtVerifier`) and
 * {@linkcode JwtAuthorizationOptions}.
 *
 * @example Verify tokens from an identity provider's JWKS
 * ```ts
 * import type { AuthorizeWithJwtOptions } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: AuthorizeWithJwtOptions = {
 *   jwks: { keys: [] },
 *   issuer: "https://login.example",
 *   audience: "https://push.example",
 * };
 * strictEqual(options.issuer, "https://login.example");
 * ```
 */
export type AuthorizeWithJwtOptions = JwtKeySource & JwtAuthorizationOptions;

/**
 * The hooks of `createHubHandler` and `hubWebSocketHandler` (spread them
 * into the options), backed by JWTs; see {@linkcode authorizeWithJwt}.
 *
 * @example Spread the hooks into the handler's options
 * ```ts
 * import { authorizeWithJwt, type JwtHooks } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hooks: JwtHooks = authorizeWithJwt({ secret: "0123456789abcdef0123456789abcdef" });
 * const response = await hooks.authorizeSubscribe(new Request("http://localhost/news"), "news");
 * strictEqual(response instanceof Response && response.status, 401);
 * ```
 */
export interface JwtHooks {
  /**
   * `true` when the request's token is valid and its claim grants
   * `subscribe` to the topic; else a `401` (no token, or an invalid one)
   * or a `403` (a valid token that does not grant the topic), with a
   * `WWW-Authenticate: Bearer` header (RFC 6750 section 3).
   */
  authorizeSubscribe(request: Request, topic: string): Promise<true | Response>;
  /** As `authorizeSubscribe`, for `publish`. */
  authorizePublish(request: Request, topic: string): Promise<true | Response>;
  /**
   * When the request's token expires (its `exp`, in milliseconds since the
   * epoch), `false` when it is missing or not valid, `undefined` when it
   * is valid and has no `exp` (with `requireExpiration: false`).
   */
  expiresAt(request: Request): Promise<number | false | undefined>;
  /**
   * The verified claims of the request's token; rejects with a
   * {@linkcode JwtError} (reason `missing` when there is no token).
   */
  claims(request: Request): Promise<JwtClaims>;
}

const WWW_AUTHENTICATE_REALM = 'Bearer realm="serverpush"';

function refusal(
  status: 401 | 403,
  challenge: string,
  text: string,
): Response {
  return new Response(text, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "www-authenticate": challenge,
    },
  });
}

/**
 * Makes the authorization hooks of a hub handler from JWTs: each request
 * (each subscription of a `serverpush.v1` connection, each publish) is
 * allowed when the token it carries verifies (as `verifyJwt` does: the
 * signature, `exp`, `nbf`, `aud`, `iss`) and its claim grants the topic:
 *
 * ```json
 * { "sub": "ada", "exp": 1767225600,
 *   "serverpush": { "subscribe": ["chat", "news/*"], "publish": ["chat"] } }
 * ```
 *
 * The token is read by `requestToken`: the `Authorization: Bearer` header,
 * a WebSocket subprotocol `access_token.<token>`, a cookie (when `cookie`
 * names one) or `?access_token=`. `expiresAt` lets the handler close a
 * connection when its token expires, unless a `serverpush.v1` client sends
 * `{"type":"refresh","token":…}` with a fresh token first.
 *
 * @param options One key source and the checks.
 * @returns The hooks, to spread into `createHubHandler`'s options.
 * @throws {TypeError} If the key source holds no usable key, or more than
 * one of `secret`, `jwks` and `key` is given.
 * @throws {RangeError} If the secret is shorter than 32 bytes or an option
 * is out of range.
 *
 * @example Let a token subscribe to what its claim grants
 * ```ts
 * import { authorizeWithJwt } from "@serverpush/serverpush/auth";
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, {
 *   ...authorizeWithJwt({ secret: "0123456789abcdef0123456789abcdef", audience: "push" }),
 *   allowPublish: true,
 * });
 * // No token: 401, with a Bearer challenge.
 * const response = await handler(
 *   new Request("http://localhost/news", { headers: { accept: "text/event-stream" } }),
 * );
 * strictEqual(response.status, 401);
 * strictEqual(response.headers.get("www-authenticate"), 'Bearer realm="serverpush"');
 * await response.body?.cancel();
 * await hub.close();
 * ```
 */
export function authorizeWithJwt(options: AuthorizeWithJwtOptions): JwtHooks {
  const given = ["secret", "jwks", "key"].filter((name) =>
    (options as unknown as Record<string, unknown>)[name] !== undefined
  );
  if (given.length > 1) {
    throw new TypeError(
      `Cannot create JWT hooks: ${
        given.join(" and ")
      } are given, expected one key source`,
    );
  }
  const verify = createJwtVerifier(options, options);
  const claim = options.claim ?? "serverpush";

  function claims(request: Request): Promise<JwtClaims> {
    const token = requestToken(request, options);
    if (token === undefined) {
      return Promise.reject(
        new JwtError("Cannot verify token: the request carries none", {
          reason: "missing",
        }),
      );
    }
    return verify(token);
  }

  async function authorize(
    request: Request,
    topic: string,
    action: GrantAction,
  ): Promise<true | Response> {
    const what = `Cannot ${
      action === "subscribe" ? "subscribe to" : "publish to"
    } topic ${quote(topic)}`;
    let verified: JwtClaims;
    try {
      verified = await claims(request);
    } catch (error) {
      if (!(error instanceof JwtError)) throw error;
      if (error.reason === "missing") {
        return refusal(401, WWW_AUTHENTICATE_REALM, `${what}: no token`);
      }
      return refusal(
        401,
        `${WWW_AUTHENTICATE_REALM}, error="invalid_token", error_description="${error.reason}"`,
        `${what}: the token is refused (${error.reason})`,
      );
    }
    if (grants(verified, claim, action, topic)) return true;
    return refusal(
      403,
      `${WWW_AUTHENTICATE_REALM}, error="insufficient_scope"`,
      `${what}: the token does not grant it`,
    );
  }

  return {
    authorizeSubscribe: (request, topic) =>
      authorize(request, topic, "subscribe"),
    authorizePublish: (request, topic) => authorize(request, topic, "publish"),
    async expiresAt(request: Request): Promise<number | false | undefined> {
      let verified: JwtClaims;
      try {
        verified = await claims(request);
      } catch (error) {
        if (error instanceof JwtError) return false;
        throw error;
      }
      return verified.exp === undefined ? undefined : verified.exp * 1000;
    },
    claims,
  };
}
