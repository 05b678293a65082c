// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the verification keys of a JwtVerifier (a secret, a CryptoKey or
// a JWKS), each bound to the one algorithm it may verify, and the choice of
// a key for a token.

import type { JwtAlgorithm, ParsedJws } from "./_jws.ts";
import { decodeBase64Url } from "./_base64url.ts";
import { JwtError } from "./jwt_error.ts";
import { quote } from "../_internal/quote.ts";

/** A set of JSON Web Keys (RFC 7517 section 5). */
export interface JsonWebKeySet {
  /**
   * The keys, each with its `kid` and `use`; those of an unknown type or
   * another use are skipped.
   */
  keys: (JsonWebKey & { kid?: string; use?: string })[];
}

/** Where the verification keys come from. */
export type JwtKeySource =
  | { secret: string | Uint8Array }
  | { jwks: JsonWebKeySet | string }
  | { key: CryptoKey };

/** Smallest HMAC secret, in bytes: the hash's output (RFC 7518 3.2). */
export const MIN_SECRET_BYTES = 32;
/** Largest JWKS, as JSON text, in characters. */
export const MAX_JWKS_BYTES = 65_536;
/** Most keys in a JWKS. */
export const MAX_JWKS_KEYS = 100;
/** RSA modulus sizes accepted, in bits. */
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

/** The WebCrypto parameters of each algorithm. */
const IMPORT: Readonly<
  Record<
    JwtAlgorithm,
    RsaHashedImportParams | EcKeyImportParams | HmacImportParams | Algorithm
  >
> = {
  HS256: { name: "HMAC", hash: "SHA-256" },
  RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  ES256: { name: "ECDSA", namedCurve: "P-256" },
  EdDSA: { name: "Ed25519" },
};
const VERIFY: Readonly<
  Record<JwtAlgorithm, AlgorithmIdentifier | EcdsaParams>
> = {
  HS256: "HMAC",
  RS256: "RSASSA-PKCS1-v1_5",
  ES256: { name: "ECDSA", hash: "SHA-256" },
  EdDSA: "Ed25519",
};

/** One key, with the algorithm it verifies, imported on first use. */
interface BoundKey {
  alg: JwtAlgorithm;
  kid: string | undefined;
  key: () => Promise<CryptoKey>;
}

/** Picks and checks the key of a token. */
export type KeyResolver = (jws: ParsedJws) => Promise<CryptoKey>;

const encoder = new TextEncoder();

function once(make: () => Promise<CryptoKey>): () => Promise<CryptoKey> {
  let promise: Promise<CryptoKey> | undefined;
  return () => promise ??= make();
}

function secretKey(what: string, secret: string | Uint8Array): BoundKey {
  if (typeof secret === "string" && secret.includes("-----BEGIN")) {
    throw new TypeError(
      `Cannot ${what}: the secret is a PEM key; pass a public key as { key } or { jwks }, never as an HMAC secret`,
    );
  }
  const bytes = typeof secret === "string" ? encoder.encode(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_SECRET_BYTES) {
    throw new RangeError(
      `Cannot ${what}: the secret is ${
        bytes instanceof Uint8Array ? bytes.length : "not"
      } bytes, expected at least ${MIN_SECRET_BYTES} for HS256`,
    );
  }
  const raw = bytes.slice();
  return {
    alg: "HS256",
    kid: undefined,
    key: once(() =>
      crypto.subtle.importKey("raw", raw, IMPORT.HS256, false, ["verify"])
    ),
  };
}

/** The algorithm a CryptoKey verifies, or `undefined` for none of ours. */
function algorithmOfKey(key: CryptoKey): JwtAlgorithm | undefined {
  const algorithm = key.algorithm as Partial<
    RsaHashedKeyAlgorithm & EcKeyAlgorithm & HmacKeyAlgorithm
  >;
  const hash = algorithm.hash?.name;
  switch (algorithm.name) {
    case "HMAC":
      return hash === "SHA-256" ? "HS256" : undefined;
    case "RSASSA-PKCS1-v1_5":
      return hash === "SHA-256" &&
          (algorithm.modulusLength ?? 0) >= MIN_RSA_BITS
        ? "RS256"
        : undefined;
    case "ECDSA":
      return algorithm.namedCurve === "P-256" ? "ES256" : undefined;
    case "Ed25519":
      return "EdDSA";
  }
  return undefined;
}

function cryptoKey(what: string, key: CryptoKey): BoundKey {
  const alg = typeof CryptoKey === "function" && key instanceof CryptoKey
    ? algorithmOfKey(key)
    : undefined;
  if (alg === undefined) {
    throw new TypeError(
      `Cannot ${what}: the key is not an HMAC SHA-256, RSASSA-PKCS1-v1_5 SHA-256 (2048 bits or more), ECDSA P-256 or Ed25519 CryptoKey`,
    );
  }
  if (key.type === "private" || !key.usages.includes("verify")) {
    throw new TypeError(
      `Cannot ${what}: the key cannot verify (import the public key with the "verify" usage)`,
    );
  }
  return { alg, kid: undefined, key: () => Promise.resolve(key) };
}

/** The algorithm a JWK verifies, or `undefined` to skip it. */
function algorithmOfJwk(jwk: JsonWebKey & { kid?: unknown; use?: unknown }):
  | JwtAlgorithm
  | undefined {
  if (jwk.use !== undefined && jwk.use !== "sig") return undefined;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes?.("verify")) {
    return undefined;
  }
  const alg = jwk.alg;
  switch (jwk.kty) {
    case "RSA": {
      const bits = (decodeBase64Url(String(jwk.n))?.length ?? 0) * 8;
      return (alg === undefined || alg === "RS256") &&
          bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS &&
          typeof jwk.e === "string"
        ? "RS256"
        : undefined;
    }
    case "EC":
      return (alg === undefined || alg === "ES256") && jwk.crv === "P-256" &&
          typeof jwk.x === "string" && typeof jwk.y === "string"
        ? "ES256"
        : undefined;
    case "OKP":
      return (alg === undefined || alg === "EdDSA" || alg === "Ed25519") &&
          jwk.crv === "Ed25519" && typeof jwk.x === "string"
        ? "EdDSA"
        : undefined;
    case "oct":
      return (alg === undefined || alg === "HS256") &&
          (decodeBase64Url(String(jwk.k))?.length ?? 0) >= MIN_SECRET_BYTES
        ? "HS256"
        : undefined;
  }
  return undefined;
}

/** The public members of a JWK that WebCrypto needs, and nothing else. */
function publicJwk(jwk: JsonWebKey): JsonWebKey {
  switch (jwk.kty) {
    case "RSA":
      return { kty: "RSA", n: jwk.n!, e: jwk.e! };
    case "EC":
      return { kty: "EC", crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
    case "OKP":
      return { kty: "OKP", crv: jwk.crv!, x: jwk.x! };
    default:
      return { kty: "oct", k: jwk.k! };
  }
}

function readJwks(what: string, jwks: JsonWebKeySet | string): BoundKey[] {
  let set: unknown = jwks;
  if (typeof jwks === "string") {
    if (jwks.length > MAX_JWKS_BYTES) {
      throw new RangeError(
        `Cannot ${what}: the JWKS is ${jwks.length} characters, more than ${MAX_JWKS_BYTES}`,
      );
    }
    try {
      set = JSON.parse(jwks);
    } catch (error) {
      throw new TypeError(`Cannot ${what}: the JWKS is not JSON`, {
        cause: error,
      });
    }
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) {
    throw new TypeError(
      `Cannot ${what}: the JWKS is not an object with a "keys" array`,
    );
  }
  if (keys.length > MAX_JWKS_KEYS) {
    throw new RangeError(
      `Cannot ${what}: the JWKS has ${keys.length} keys, more than ${MAX_JWKS_KEYS}`,
    );
  }
  const bound: BoundKey[] = [];
  for (const jwk of keys as (JsonWebKey & { kid?: unknown })[]) {
    if (typeof jwk !== "object" || jwk === null) continue;
    const alg = algorithmOfJwk(jwk);
    if (alg === undefined) continue;
    const material = publicJwk(jwk);
    const index = bound.length;
    bound.push({
      alg,
      kid: typeof jwk.kid === "string" ? jwk.kid : undefined,
      key: once(() =>
        crypto.subtle.importKey("jwk", material, IMPORT[alg], false, [
          "verify",
        ]).catch((error) => {
          throw new TypeError(
            `Cannot ${what}: key ${index} of the JWKS cannot be imported`,
            { cause: error },
          );
        })
      ),
    });
  }
  return bound;
}

function pick(
  keys: readonly BoundKey[],
  jws: ParsedJws,
  byKid: boolean,
): BoundKey {
  const { alg, kid } = jws;
  const named = kid === undefined || !byKid
    ? keys
    : keys.filter((candidate) => candidate.kid === kid);
  if (named.length === 0) {
    throw new JwtError(
      `Cannot verify token: no key has kid ${quote(kid)}`,
      { reason: "unknown-key" },
    );
  }
  const fitting = named.filter((candidate) => candidate.alg === alg);
  if (fitting.length === 0) {
    throw new JwtError(
      `Cannot verify token: it is signed with ${alg}, and its key verifies ${
        [...new Set(named.map((candidate) => candidate.alg))].join(" or ")
      } only`,
      { reason: "alg-mismatch" },
    );
  }
  if (fitting.length > 1) {
    throw new JwtError(
      `Cannot verify token: ${fitting.length} keys fit a token with ${
        kid === undefined || !byKid ? "no kid" : `kid ${quote(kid)}`
      }`,
      { reason: "unknown-key" },
    );
  }
  return fitting[0]!;
}

/**
 * Reads a key source once and returns how a token's key is picked.
 *
 * @throws {TypeError} If the source holds no usable key.
 * @throws {RangeError} If a secret is too short or a JWKS too large.
 */
export function createKeyResolver(
  what: string,
  source: JwtKeySource,
): KeyResolver {
  let keys: BoundKey[];
  let byKid = false;
  if (typeof source !== "object" || source === null) {
    throw new TypeError(
      `Cannot ${what}: the key source is not { secret }, { jwks } or { key }`,
    );
  } else if ("secret" in source && source.secret !== undefined) {
    keys = [secretKey(what, source.secret)];
  } else if ("jwks" in source && source.jwks !== undefined) {
    keys = readJwks(what, source.jwks);
    byKid = true;
    if (keys.length === 0) {
      throw new TypeError(
        `Cannot ${what}: the JWKS holds no signature key for HS256, RS256, ES256 or EdDSA`,
      );
    }
  } else if ("key" in source && source.key !== undefined) {
    keys = [cryptoKey(what, source.key)];
  } else {
    throw new TypeError(
      `Cannot ${what}: the key source is not { secret }, { jwks } or { key }`,
    );
  }
  return (jws) => pick(keys, jws, byKid).key();
}

/** Verifies the signature of a token with its key. */
export async function verifySignature(
  jws: ParsedJws,
  key: CryptoKey,
): Promise<boolean> {
  const { alg, signature, signingInput } = jws;
  // ECDSA P-256 (r || s) and Ed25519 signatures are 64 bytes.
  if ((alg === "ES256" || alg === "EdDSA") && signature.length !== 64) {
    return false;
  }
  return await crypto.subtle.verify(VERIFY[alg], key, signature, signingInput);
}
