// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Token auth from web standards only: JSON Web Tokens (RFC 7519) signed
 * with HS256, RS256, ES256 or EdDSA, verified through WebCrypto, with no
 * dependency; and the authorization hooks of a hub handler built on them,
 * with topic grants in a claim and connections that close when their
 * token expires (unless a `serverpush.v1` client refreshes it).
 *
 * - {@linkcode verifyJwt} / {@linkcode createJwtVerifier}: verify a token,
 *   or reject with a {@linkcode JwtError} and its `reason`;
 * - {@linkcode authorizeWithJwt}: `authorizeSubscribe`, `authorizePublish`
 *   and `expiresAt` for `createHubHandler`;
 * - {@linkcode requestToken}: the token of a request (header, subprotocol,
 *   cookie or query).
 *
 * @example Guard a hub with JWTs
 * ```ts
 * import { authorizeWithJwt } from "@serverpush/serverpush/auth";
 * import { Hub } from "@serverpush/serverpush/hub";
 * import { createHubHandler } from "@serverpush/serverpush/serve";
 * import { strictEqual } from "node:assert/strict";
 *
 * const hub = new Hub();
 * const handler = createHubHandler(hub, {
 *   ...authorizeWithJwt({ secret: "0123456789abcdef0123456789abcdef" }),
 * });
 * const response = await handler(
 *   new Request("http://localhost/chat", { method: "POST", body: "hi" }),
 * );
 * strictEqual(response.status, 401);
 * await response.body?.cancel();
 * await hub.close();
 * ```
 *
 * @module
 */

export * from "./verify_jwt.ts";
export * from "./jwt_verifier.ts";
export * from "./jwt_error.ts";
export * from "./request_token.ts";
export * from "./authorize_with_jwt.ts";
