// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Why {@linkcode verifyJwt} refused a token; safe to switch on.
 *
 * | reason            | the token                                                        |
 * | ----------------- | ---------------------------------------------------------------- |
 * | `missing`         | is not there (no header, cookie, query or subprotocol carries one) |
 * | `too-large`       | is longer than `maxTokenBytes`                                   |
 * | `malformed`       | is not three base64url parts of a JSON header and JSON claims, or a claim has the wrong type |
 * | `unsupported-alg` | names an algorithm other than HS256, RS256, ES256 and EdDSA (`none` included), or a `crit` header |
 * | `alg-mismatch`    | names an algorithm that is not the key's (algorithm confusion)   |
 * | `unknown-key`     | names a `kid` that the JWKS does not hold, or none where several keys fit |
 * | `bad-signature`   | has a signature that the key does not verify                     |
 * | `expired`         | has an `exp` in the past (beyond the clock tolerance), or none when one is required |
 * | `not-yet-valid`   | has an `nbf` in the future (beyond the clock tolerance)          |
 * | `wrong-audience`  | has no `aud` that is one of `audience`, or an `aud` when no `audience` is set |
 * | `wrong-issuer`    | has no `iss`, or one that is not one of `issuer`                 |
 *
 * @example Tell an expired token apart
 * ```ts
 * import type { JwtErrorReason } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const reason: JwtErrorReason = "expired";
 * strictEqual(reason === "expired" ? 401 : 403, 401);
 * ```
 */
export type JwtErrorReason =
  | "missing"
  | "too-large"
  | "malformed"
  | "unsupported-alg"
  | "alg-mismatch"
  | "unknown-key"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-audience"
  | "wrong-issuer";

/**
 * A token that {@linkcode verifyJwt} refused, with the machine-readable
 * {@linkcode JwtErrorReason}.
 *
 * @example Switch on the reason
 * ```ts
 * import { JwtError, verifyJwt } from "@serverpush/serverpush/auth";
 * import { ok, strictEqual } from "node:assert/strict";
 *
 * const error = await verifyJwt("not.a.token", { secret: "0123456789abcdef0123456789abcdef" })
 *   .catch((error) => error);
 * ok(error instanceof JwtError);
 * strictEqual(error.reason, "malformed");
 * ```
 */
export class JwtError extends Error {
  /** Why the token was refused; safe to switch on. */
  readonly reason: JwtErrorReason;

  /**
   * Makes the error.
   *
   * @param message What went wrong, in one sentence.
   * @param options The reason, and the cause if any.
   */
  constructor(
    message: string,
    options: { reason: JwtErrorReason; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = "JwtError";
    this.reason = options.reason;
  }
}
