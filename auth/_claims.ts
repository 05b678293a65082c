// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the registered claims of a verified token checked (RFC 7519
// section 4.1): exp, nbf, iat, aud and iss.

import { JwtError, type JwtErrorReason } from "./jwt_error.ts";
import { quote } from "../_internal/quote.ts";

/** The claim checks, resolved from `VerifyJwtOptions`. */
export interface ClaimRules {
  audience: readonly string[] | undefined;
  issuer: readonly string[] | undefined;
  /** Seconds. */
  clockTolerance: number;
  requireExpiration: boolean;
  /** Milliseconds since the epoch. */
  now: () => number;
}

function refuse(reason: JwtErrorReason, message: string): never {
  throw new JwtError(`Cannot verify token: ${message}`, { reason });
}

function numericDate(
  claims: Record<string, unknown>,
  name: string,
): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    refuse("malformed", `its ${name} claim is not a number of seconds`);
  }
  return value;
}

function time(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/**
 * Checks the registered claims of a token whose signature was verified.
 *
 * @throws {JwtError} `malformed`, `expired`, `not-yet-valid`,
 * `wrong-audience` or `wrong-issuer`.
 */
export function checkClaims(
  claims: Record<string, unknown>,
  rules: ClaimRules,
): void {
  const now = rules.now() / 1000;
  const tolerance = rules.clockTolerance;
  const exp = numericDate(claims, "exp");
  const nbf = numericDate(claims, "nbf");
  numericDate(claims, "iat");
  if (exp === undefined && rules.requireExpiration) {
    refuse("expired", "it has no exp claim, and requireExpiration is set");
  }
  if (exp !== undefined && now >= exp + tolerance) {
    refuse("expired", `it expired at ${time(exp)}`);
  }
  if (nbf !== undefined && now + tolerance < nbf) {
    refuse("not-yet-valid", `it is not valid before ${time(nbf)}`);
  }
  const { aud, iss } = claims;
  const audiences = typeof aud === "string" ? [aud] : aud;
  if (
    audiences !== undefined &&
    (!Array.isArray(audiences) ||
      !audiences.every((entry) => typeof entry === "string"))
  ) {
    refuse("malformed", "its aud claim is not a string or an array of strings");
  }
  if (rules.audience === undefined) {
    if (audiences !== undefined) {
      refuse(
        "wrong-audience",
        "it names an audience (aud), and no audience option is set to check it against",
      );
    }
  } else if (
    audiences === undefined ||
    !audiences.some((entry: string) => rules.audience!.includes(entry))
  ) {
    refuse(
      "wrong-audience",
      audiences === undefined
        ? "it has no aud claim"
        : `its audience ${quote(audiences.join(", "))} is not one of ours`,
    );
  }
  if (rules.issuer !== undefined) {
    if (typeof iss !== "string") {
      refuse("wrong-issuer", "it has no iss claim");
    }
    if (!rules.issuer.includes(iss)) {
      refuse("wrong-issuer", `its issuer ${quote(iss)} is not one of ours`);
    }
  }
}
