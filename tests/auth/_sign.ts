// Copyright 2026 the serverpush authors. MIT license.
// Tokens for the auth tests, made with `node:crypto` (not WebCrypto, which
// the library verifies with): key pairs of each algorithm, their public
// JWKs and PEMs, and compact JWS signed with them. `_node_sign.mjs` does
// the same in a real Node process.

import {
  createHmac,
  createSign,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";
import { Buffer } from "node:buffer";

/** The algorithms the library verifies. */
export type Alg = "HS256" | "RS256" | "ES256" | "EdDSA";

/** A key pair made by node:crypto. */
export interface TestKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK, with `kid`. */
  jwk: JsonWebKey & { kid: string };
  /** The public key as SPKI PEM text. */
  pem: string;
}

/** A 32-byte HMAC secret. */
export const SECRET = "a test secret that is long enough!";

/** Makes a key pair for `alg` (RS256, ES256 or EdDSA). */
export function generateKeys(
  alg: Exclude<Alg, "HS256">,
  kid: string,
): TestKeys {
  const { privateKey, publicKey } = alg === "RS256"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 })
    : alg === "ES256"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("ed25519");
  return {
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: "jwk" }), kid } as
      & JsonWebKey
      & { kid: string },
    pem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
}

/** base64url of JSON, or of raw text when `value` is a string. */
export function part(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value))
    .toString("base64url");
}

/**
 * Signs `header.payload` (each JSON, or raw text when a string) with
 * `alg`; `key` is the private key, or the HMAC secret for HS256.
 */
export function signJwt(
  alg: Alg,
  key: KeyObject | string | Buffer,
  header: unknown,
  payload: unknown,
): string {
  const input = `${part(header)}.${part(payload)}`;
  let signature: Buffer;
  if (alg === "HS256") {
    signature = createHmac("sha256", key as string).update(input).digest();
  } else if (alg === "RS256") {
    signature = createSign("RSA-SHA256").update(input).sign(key as KeyObject);
  } else if (alg === "ES256") {
    signature = createSign("SHA256").update(input).sign({
      key: key as KeyObject,
      dsaEncoding: "ieee-p1363",
    });
  } else {
    signature = sign(null, Buffer.from(input), key as KeyObject);
  }
  return `${input}.${signature.toString("base64url")}`;
}

/** Seconds since the epoch, `offset` seconds from now. */
export function inSeconds(offset: number): number {
  return Math.floor(Date.now() / 1000) + offset;
}
