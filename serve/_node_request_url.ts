// Copyright 2026 the serverpush authors. MIT license.
// Private: the URL of a request that Node's `node:http` parsed, as `new
// URL(target, base).href` gives it, without making a `URL` when the host
// and the request target are already in the form `URL` would write: the
// common case (`Host: 127.0.0.1:8000`, `GET /topic?history=5`) is a string
// check and a concatenation. Anything else (upper case, IPv4 written
// another way, dot segments, characters `URL` would escape, absolute
// targets, a default port) goes through `new URL`, which also throws for
// what is no URL at all.

/** A host `URL` writes as it is: lower-case labels, an optional port. */
const HOST_REGEXP = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::([1-9][0-9]{0,4}))?$/;
/** The last label of a host that `URL` reads as a number (IPv4). */
const NUMERIC_END_REGEXP = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)(?::|$)/;
/** IPv4 in dotted-decimal form as `URL` writes it. */
const IPV4_REGEXP =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?::|$)/;
/**
 * An origin-form request target (`/path?query`) whose characters `URL`
 * leaves as they are; not starting with `//`, which would name a host.
 */
const TARGET_REGEXP =
  /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;
/** What `URL` would treat as a dot segment (`/./`, `/../`, `%2e`). */
const DOT_SEGMENT_REGEXP = /\/\.|%2e/i;

/**
 * The absolute URL of a request: `target` (Node's `req.url`) resolved
 * against `scheme://host`, or against `origin` when the request names no
 * host; serialized as `new URL(target, base).href` would.
 *
 * @throws {TypeError} If they make no valid URL (as `new URL` throws).
 */
export function requestUrl(
  scheme: "http" | "https",
  host: string | undefined,
  origin: string,
  target: string,
): string {
  if (
    host !== undefined && host !== "" && isPlainHost(scheme, host) &&
    TARGET_REGEXP.test(target) && !DOT_SEGMENT_REGEXP.test(target)
  ) {
    return `${scheme}://${host}${target}`;
  }
  const base = host !== undefined && host !== ""
    ? `${scheme}://${host}`
    : origin;
  return new URL(target, base).href;
}

/** Whether `URL` writes `scheme://host` unchanged. */
function isPlainHost(scheme: string, host: string): boolean {
  const match = HOST_REGEXP.exec(host);
  if (match === null || host.includes("xn--")) return false;
  const port = match[1];
  if (
    port !== undefined &&
    (Number(port) > 65535 || port === (scheme === "https" ? "443" : "80"))
  ) return false;
  return !NUMERIC_END_REGEXP.test(host) || IPV4_REGEXP.test(host);
}
