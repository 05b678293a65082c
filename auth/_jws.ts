// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: a JWS in compact serialization (RFC 7515 section 7.1), split and
// its header read, before anything is verified.

import { decodeBase64Url } from "./_base64url.ts";
import { JwtError } from "./jwt_error.ts";
import { quote } from "../_internal/quote.ts";

/** The algorithms this module verifies (RFC 7518, RFC 8037, RFC 9864). */
export type JwtAlgorithm = "HS256" | "RS256" | "ES256" | "EdDSA";

const ALGORITHMS: ReadonlyMap<string, JwtAlgorithm> = new Map([
  ["HS256", "HS256"],
  ["RS256", "RS256"],
  ["ES256", "ES256"],
  ["EdDSA", "EdDSA"],
  // RFC 9864's fully-specified name of EdDSA with Ed25519.
  ["Ed25519", "EdDSA"],
]);

/** A token split into its parts, with its header read. */
export interface ParsedJws {
  alg: JwtAlgorithm;
  kid: string | undefined;
  /** The bytes the signature covers: `header.payload` in ASCII. */
  signingInput: Uint8Array<ArrayBuffer>;
  /** The payload part, still base64url. */
  payload: string;
  signature: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

function malformed(message: string, cause?: unknown): JwtError {
  return new JwtError(`Cannot verify token: ${message}`, {
    reason: "malformed",
    cause,
  });
}

/** Decodes a base64url part as a JSON object, or throws `malformed`. */
export function decodeJsonPart(
  part: string,
  name: string,
): Record<string, unknown> {
  const bytes = decodeBase64Url(part);
  if (bytes === undefined) {
    throw malformed(`the ${name} is not base64url without padding`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw malformed(`the ${name} is not UTF-8 JSON`, error);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed(`the ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Splits a compact JWS and reads its header.
 *
 * @throws {JwtError} `too-large`, `malformed` or `unsupported-alg`.
 */
export function parseJws(token: unknown, maxTokenBytes: number): ParsedJws {
  if (typeof token !== "string") throw malformed("it is not a string");
  // Every character of a well-formed token is one byte.
  if (token.length > maxTokenBytes) {
    throw new JwtError(
      `Cannot verify token: it is ${token.length} characters, more than maxTokenBytes of ${maxTokenBytes}`,
      { reason: "too-large" },
    );
  }
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw malformed(
      `it has ${parts.length} parts, expected 3 (header.payload.signature)`,
    );
  }
  const [headerPart, payload, signaturePart] = parts as [
    string,
    string,
    string,
  ];
  const header = decodeJsonPart(headerPart, "header");
  const alg = typeof header.alg === "string"
    ? ALGORITHMS.get(header.alg)
    : undefined;
  if (alg === undefined) {
    throw new JwtError(
      `Cannot verify token: algorithm ${
        quote(header.alg)
      } is not HS256, RS256, ES256 or EdDSA`,
      { reason: "unsupported-alg" },
    );
  }
  if (header.crit !== undefined) {
    throw new JwtError(
      "Cannot verify token: its header has critical extensions (crit), and none is supported",
      { reason: "unsupported-alg" },
    );
  }
  if (header.kid !== undefined && typeof header.kid !== "string") {
    throw malformed("its kid is not a string");
  }
  const signature = decodeBase64Url(signaturePart);
  if (signature === undefined) {
    throw malformed("the signature is not base64url without padding");
  }
  return {
    alg,
    kid: header.kid,
    signingInput: encoder.encode(`${headerPart}.${payload}`),
    payload,
    signature: signature as Uint8Array<ArrayBuffer>,
  };
}
