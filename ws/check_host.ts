// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { WsHandshakeError } from "./handshake_error.ts";
import { quote } from "../_internal/quote.ts";

/**
 * The host names (with or without a port) that a server answers to, against
 * DNS rebinding: `["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]`.
 *
 * An entry with a port (`localhost:8000`) matches that name on that port
 * only; an entry without one (`localhost`) matches the name on any port.
 * Names compare as URLs do: case-insensitively, IPv6 addresses in brackets
 * (`[::1]`), international names as their punycode.
 */
export type AllowedHosts = readonly string[];

/** An entry of {@linkcode AllowedHosts}, parsed. */
interface HostEntry {
  hostname: string;
  /** `undefined`: any port. */
  port: string | undefined;
}

const HOST_REGEXP = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]/?#@\s]+)(?::(\d{1,5}))?$/;

/** The name and port of a `Host` value, normalised, or `undefined`. */
function parseHost(value: string): HostEntry | undefined {
  const match = HOST_REGEXP.exec(value);
  if (match === null) return undefined;
  const name = match[1]!;
  if (!URL.canParse(`http://${name}/`)) return undefined;
  const hostname = new URL(`http://${name}/`).hostname;
  const port = match[2];
  return {
    hostname,
    port: port === undefined ? undefined : String(Number(port)),
  };
}

/**
 * Checks a list of allowed hosts and prepares it for
 * {@linkcode checkHost}'s comparisons.
 */
function parseEntries(allowedHosts: AllowedHosts): HostEntry[] {
  return allowedHosts.map((entry) => {
    const parsed = typeof entry === "string" ? parseHost(entry) : undefined;
    if (parsed === undefined) {
      throw new TypeError(
        `Cannot check Host: allowedHosts entry ${
          quote(String(entry))
        } is not a host name with an optional port`,
      );
    }
    return parsed;
  });
}

/**
 * The `Host` of a request (its `:authority` over HTTP/2): the header, else
 * the host of its URL.
 */
function hostOf(request: Request): string {
  return request.headers.get("host") ?? new URL(request.url).host;
}

/**
 * Makes a test of requests' `Host` against `allowedHosts`, parsing the list
 * once: `true` when the request's `Host` is on the list. The same rule as
 * {@linkcode checkHost}, for a handler that checks every request.
 *
 * @param allowedHosts The names (and ports) the server answers to.
 * @returns Whether a request's `Host` is allowed.
 * @throws {TypeError} If an entry is not a host name with an optional port.
 *
 * @example Check every request of a server
 * ```ts
 * import { createHostCheck } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const allowed = createHostCheck(["localhost"]);
 * strictEqual(allowed(new Request("http://localhost:8000/")), true);
 * strictEqual(allowed(new Request("http://evil.example:8000/")), false);
 * ```
 */
export function createHostCheck(
  allowedHosts: AllowedHosts,
): (request: Request) => boolean {
  const entries = parseEntries(allowedHosts);
  return (request: Request): boolean => {
    const host = parseHost(hostOf(request));
    if (host === undefined) return false;
    for (const entry of entries) {
      if (
        entry.hostname === host.hostname &&
        (entry.port === undefined || entry.port === (host.port ?? "80"))
      ) {
        return true;
      }
    }
    return false;
  };
}

/**
 * Checks a request's `Host` header against an allow-list of host names, as
 * a server, against DNS rebinding: a page on `http://evil.example:8000`
 * whose name the attacker points at `127.0.0.1` sends `Host` and `Origin`
 * that both carry `evil.example:8000`, so the same-origin rule of
 * {@linkcode checkOrigin} lets it through; a `Host` that is not one of the
 * server's own names is refused here first.
 *
 * A request without a `Port` in `Host` is on port 80 for the entries that
 * name a port (behind a proxy, list the names the proxy forwards).
 *
 * @param request The request.
 * @param allowedHosts The names (and ports) the server answers to; see
 * {@linkcode AllowedHosts}.
 * @throws {WsHandshakeError} With code `forbidden-host` and status 421
 * (Misdirected Request) if the `Host` is not on the list (or is malformed).
 * @throws {TypeError} If an entry of `allowedHosts` is not a host name with
 * an optional port.
 *
 * @example Refuse a rebound name, accept the loopback names
 * ```ts
 * import { checkHost, WsHandshakeError } from "@serverpush/serverpush/ws";
 * import { doesNotThrow, throws } from "node:assert/strict";
 *
 * const allowed = ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"];
 * const rebound = new Request("http://evil.example:8000/ws", {
 *   headers: { host: "evil.example:8000", origin: "http://evil.example:8000" },
 * });
 * throws(() => checkHost(rebound, allowed), WsHandshakeError);
 * const own = new Request("http://localhost:8000/ws");
 * doesNotThrow(() => checkHost(own, allowed));
 * ```
 */
export function checkHost(request: Request, allowedHosts: AllowedHosts): void {
  if (createHostCheck(allowedHosts)(request)) return;
  throw hostError(hostOf(request));
}

/** The refusal of a `Host` that is not allowed. */
function hostError(host: string): WsHandshakeError {
  return new WsHandshakeError(
    `Cannot serve request: Host ${quote(host)} is not in allowedHosts`,
    { code: "forbidden-host", status: 421 },
  );
}
