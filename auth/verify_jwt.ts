// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import {
  createJwtVerifier,
  type JwtClaims,
  type JwtKeySource,
  type VerifyJwtOptions,
} from "./jwt_verifier.ts";

/**
 * Verifies a JSON Web Token (RFC 7519) and resolves to its claims: the
 * signature (HS256, RS256, ES256 or EdDSA, through WebCrypto), then `exp`
 * and `nbf` (with `clockTolerance`, 5 seconds by default), `aud` and
 * `iss`. Rejects with a {@linkcode JwtError} whose `reason` says why.
 *
 * This reads the keys anew on each call; to verify many tokens with the
 * same keys, make one verifier with {@linkcode createJwtVerifier}, which
 * imports each key once.
 *
 * @param token The token, in compact serialization (`header.payload.signature`).
 * @param keys `{ secret }`, `{ jwks }` or `{ key }`; see
 * {@linkcode createJwtVerifier}.
 * @param options The claim checks and limits.
 * @returns The verified claims.
 * @throws {JwtError} If the token is refused.
 * @throws {TypeError} If the key source holds no usable key.
 * @throws {RangeError} If the secret is shorter than 32 bytes or an option
 * is out of range.
 *
 * @example Verify an HS256 token
 * ```ts
 * import { verifyJwt } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const secret = "a secret of at least thirty-two bytes";
 * const encode = (value: unknown) =>
 *   btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
 * const input = `${encode({ alg: "HS256", typ: "JWT" })}.${
 *   encode({ sub: "ada", exp: Math.floor(Date.now() / 1000) + 60 })
 * }`;
 * const key = await crypto.subtle.importKey(
 *   "raw",
 *   new TextEncoder().encode(secret),
 *   { name: "HMAC", hash: "SHA-256" },
 *   false,
 *   ["sign"],
 * );
 * const mac = new Uint8Array(
 *   await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)),
 * );
 * const signature = btoa(String.fromCharCode(...mac))
 *   .replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
 *
 * const claims = await verifyJwt(`${input}.${signature}`, { secret });
 * strictEqual(claims.sub, "ada");
 * ```
 */
export function verifyJwt(
  token: string,
  keys: JwtKeySource,
  options?: VerifyJwtOptions,
): Promise<JwtClaims> {
  try {
    return createJwtVerifier(keys, options)(token);
  } catch (error) {
    return Promise.reject(error);
  }
}
