// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { decodeJsonPart, parseJws } from "./_jws.ts";
import {
  createKeyResolver,
  type JsonWebKeySet,
  type JwtKeySource,
  verifySignature,
} from "./_keys.ts";
import { checkClaims, type ClaimRules } from "./_claims.ts";
import { JwtError } from "./jwt_error.ts";

export type { JsonWebKeySet, JwtKeySource };

const WHAT = "create JWT verifier";

/**
 * The claims of a verified token (RFC 7519 section 4): the registered ones
 * typed, any other as JSON.
 *
 * @example Read the subject
 * ```ts
 * import type { JwtClaims } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const claims: JwtClaims = { sub: "ada", exp: 1_900_000_000 };
 * strictEqual(claims.sub, "ada");
 * ```
 */
export interface JwtClaims {
  /** Issuer. */
  iss?: string;
  /** Subject. */
  sub?: string;
  /** Audience. */
  aud?: string | string[];
  /** Expiration time, in seconds since the epoch. */
  exp?: number;
  /** Not before, in seconds since the epoch. */
  nbf?: number;
  /** Issued at, in seconds since the epoch. */
  iat?: number;
  /** JWT ID. */
  jti?: string;
  /** Any other claim. */
  [name: string]: unknown;
}

/**
 * Options for {@linkcode createJwtVerifier} and `verifyJwt`.
 *
 * @example Accept tokens for one audience from one issuer
 * ```ts
 * import type { VerifyJwtOptions } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const options: VerifyJwtOptions = {
 *   audience: "https://push.example",
 *   issuer: "https://login.example",
 *   clockTolerance: 10,
 * };
 * strictEqual(options.clockTolerance, 10);
 * ```
 */
export interface VerifyJwtOptions {
  /**
   * The audiences this server answers to: a token passes only if its `aud`
   * names one of them. Without it, a token that has an `aud` is refused
   * (RFC 7519 4.1.3: a recipient that does not find itself in `aud` must
   * reject the token), and one without passes.
   *
   * @default {undefined}
   */
  audience?: string | readonly string[];
  /**
   * The issuers whose tokens pass (`iss`). Without it, any issuer passes.
   *
   * @default {undefined}
   */
  issuer?: string | readonly string[];
  /**
   * Seconds of clock difference allowed between the issuer and this server
   * when `exp` and `nbf` are checked (0 to 300).
   *
   * @default {5}
   */
  clockTolerance?: number;
  /**
   * Whether a token without `exp` is refused (reason `expired`): a token
   * that never expires cannot be taken back.
   *
   * @default {true}
   */
  requireExpiration?: boolean;
  /**
   * Longest token, in bytes; a longer one is refused (reason `too-large`)
   * before anything is decoded.
   *
   * @default {8192}
   */
  maxTokenBytes?: number;
  /**
   * The current time, in milliseconds since the epoch.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * Verifies one token; see {@linkcode createJwtVerifier}.
 *
 * @example Type a verifier
 * ```ts
 * import { createJwtVerifier, type JwtVerifier } from "@serverpush/serverpush/auth";
 * import { strictEqual } from "node:assert/strict";
 *
 * const verify: JwtVerifier = createJwtVerifier({ secret: "0123456789abcdef0123456789abcdef" });
 * strictEqual(typeof verify, "function");
 * ```
 */
export type JwtVerifier = (token: string) => Promise<JwtClaims>;

function list(
  name: string,
  value: string | readonly string[] | undefined,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const entries = typeof value === "string" ? [value] : value;
  if (
    !Array.isArray(entries) || entries.length === 0 ||
    !entries.every((entry) => typeof entry === "string")
  ) {
    throw new TypeError(
      `Cannot ${WHAT}: ${name} is not a string or a non-empty array of strings`,
    );
  }
  return [...entries];
}

/**
 * Reads a key source once (imports each key on first use) and returns a
 * function that verifies tokens with it: a JWS in compact serialization
 * (RFC 7515) signed with HS256, RS256, ES256 or EdDSA (Ed25519), through
 * WebCrypto, whose claims pass the checks of `options`.
 *
 * Each key verifies one algorithm, the one its type says: a token that
 * names another algorithm is refused (`alg-mismatch`), so a public key is
 * never used as an HMAC secret, and `alg: "none"` is refused
 * (`unsupported-alg`). A JWKS key is chosen by the token's `kid`; a token
 * without `kid` needs exactly one key of its algorithm. JWKS keys of other
 * types, or whose `use` is not `sig`, are skipped (RFC 7517 section 5); RSA
 * keys need 2048 to 8192 bits, HMAC secrets 32 bytes or more.
 *
 * @param keys `{ secret }` (HS256; a string is taken as UTF-8), `{ jwks }`
 * (a JSON Web Key Set, as an object or JSON text of at most 64 KiB and 100
 * keys) or `{ key }` (a `CryptoKey` imported with the `verify` usage).
 * @param options The claim checks and limits.
 * @returns The verifier; it rejects with a {@linkcode JwtError}.
 * @throws {TypeError} If the key source holds no usable key, or a secret
 * is a PEM key.
 * @throws {RangeError} If the secret is shorter than 32 bytes, the JWKS is
 * too large, or an option is out of range.
 *
 * @example Verify many tokens with one JWKS
 * ```ts
 * import { createJwtVerifier, JwtError } from "@serverpush/serverpush/auth";
 * import { ok } from "node:assert/strict";
 *
 * const { publicKey } = await crypto.subtle.generateKey(
 *   { name: "Ed25519" },
 *   true,
 *   ["sign", "verify"],
 * ) as CryptoKeyPair;
 * const jwk = await crypto.subtle.exportKey("jwk", publicKey);
 * const verify = createJwtVerifier({ jwks: { keys: [{ ...jwk, kid: "k1" }] } });
 * ok(await verify("e30.e30.e30").catch((error) => error instanceof JwtError));
 * ```
 */
export function createJwtVerifier(
  keys: JwtKeySource,
  options: VerifyJwtOptions = {},
): JwtVerifier {
  const resolve = createKeyResolver(WHAT, keys);
  const clockTolerance = options.clockTolerance ?? 5;
  if (
    typeof clockTolerance !== "number" || !(clockTolerance >= 0) ||
    clockTolerance > 300
  ) {
    throw new RangeError(
      `Cannot ${WHAT}: clockTolerance is ${clockTolerance}, expected 0 to 300 seconds`,
    );
  }
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  if (!Number.isSafeInteger(maxTokenBytes) || maxTokenBytes <= 0) {
    throw new RangeError(
      `Cannot ${WHAT}: maxTokenBytes is ${maxTokenBytes}, expected a positive integer`,
    );
  }
  const rules: ClaimRules = {
    audience: list("audience", options.audience),
    issuer: list("issuer", options.issuer),
    clockTolerance,
    requireExpiration: options.requireExpiration ?? true,
    now: options.now ?? Date.now,
  };
  return async function verify(token: string): Promise<JwtClaims> {
    const jws = parseJws(token, maxTokenBytes);
    const key = await resolve(jws);
    if (!await verifySignature(jws, key)) {
      throw new JwtError(
        "Cannot verify token: the signature does not match",
        { reason: "bad-signature" },
      );
    }
    const claims = decodeJsonPart(jws.payload, "payload");
    checkClaims(claims, rules);
    return claims as JwtClaims;
  };
}
