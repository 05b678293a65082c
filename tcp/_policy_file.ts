// Copyright 2026 the serverpush authors. MIT license.
// The Flash socket policy file: the request a Flash player sends as soon as
// it connects, and the document the relay answers it with.

import { quote } from "../_internal/quote.ts";

/** What a Flash player sends first: `<policy-file-request/>` and a NUL. */
export const POLICY_REQUEST: Uint8Array = new TextEncoder().encode(
  "<policy-file-request/>\0",
);

/** A domain of the policy file: host name characters and wildcards. */
const DOMAIN_REGEXP = /^[A-Za-z0-9*.:\-\[\]]+$/;

/** Throws unless `policy` is usable and every domain is one. */
export function checkPolicy(
  action: string,
  policy: string | false | undefined,
  domains: readonly string[],
): void {
  if (typeof policy === "string" && policy.includes("\0")) {
    throw new TypeError(`Cannot ${action}: policy contains a NUL character`);
  }
  for (const domain of domains) {
    if (typeof domain !== "string" || !DOMAIN_REGEXP.test(domain)) {
      throw new TypeError(
        `Cannot ${action}: policyDomains has ${
          quote(domain)
        }, expected a domain such as "example.com" or "*.example.com"`,
      );
    }
  }
}

/**
 * The answer to a policy request, ended by NUL: `policy` as given, or a
 * document letting `domains` connect to `port`; `undefined` when `policy`
 * is `false` (requests are not answered).
 */
export function policyFrame(
  policy: string | false | undefined,
  domains: readonly string[],
  port: number,
): Uint8Array | undefined {
  if (policy === false) return undefined;
  const document = policy ??
    `<cross-domain-policy>${
      domains.map((domain) =>
        `<allow-access-from domain="${domain}" to-ports="${port}"/>`
      ).join("")
    }</cross-domain-policy>`;
  return new TextEncoder().encode(`${document}\0`);
}

/**
 * Matches `chunk` against {@linkcode POLICY_REQUEST} after its first
 * `matched` bytes. Returns how many bytes of the request have arrived in
 * all (the request is complete at `POLICY_REQUEST.length`), or `-1` once
 * the bytes depart from it.
 */
export function matchPolicyRequest(chunk: Uint8Array, matched: number): number {
  const length = Math.min(chunk.length, POLICY_REQUEST.length - matched);
  for (let i = 0; i < length; i++) {
    if (chunk[i] !== POLICY_REQUEST[matched + i]) return -1;
  }
  return matched + length;
}
