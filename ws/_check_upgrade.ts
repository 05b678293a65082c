// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the checks of a WebSocket upgrade request (RFC 6455 section
// 4.2.1) and what they agree to, without the `101`'s headers: an engine
// that answers the handshake itself (`Deno.upgradeWebSocket`) needs no
// `Sec-WebSocket-Accept` of ours, whose digest is asynchronous.

import { secWebSocketAccept } from "./_sha1.ts";
import {
  acceptDeflate,
  type DeflateAcceptance,
  type DeflateOptions,
  type DeflateParams,
} from "./deflate_negotiation.ts";
import { WsHandshakeError } from "./handshake_error.ts";
import { type AllowedHosts, checkHost } from "./check_host.ts";
import { checkOrigin, type OriginPolicy } from "./check_origin.ts";
import { hasToken, splitList, TOKEN_REGEXP } from "./_header_tokens.ts";
import { quote } from "../_internal/quote.ts";

/**
 * A `Sec-WebSocket-Key`: base64 of exactly 16 bytes. Like `ws`, the unused
 * low bits of the last character are not checked (forgiving base64 ignores
 * them too).
 */
const KEY_REGEXP = /^[+/0-9A-Za-z]{22}==$/;

/** What the checks of {@linkcode checkUpgrade} agreed to. */
export interface CheckedUpgrade {
  /** The chosen subprotocol, or `""` when none was chosen. */
  protocol: string;
  /** The `Sec-WebSocket-Extensions` value to answer, or `""` for none. */
  extensions: string;
  /** The agreed permessage-deflate parameters, when it was negotiated. */
  deflate: DeflateParams | undefined;
  /** The client's `Sec-WebSocket-Key`, checked. */
  key: string;
}

/** The options of `acceptUpgrade`. */
export interface CheckUpgradeOptions {
  protocols?: readonly string[];
  deflate?: boolean | DeflateOptions;
}

function reject(
  message: string,
  code: WsHandshakeError["code"],
  status: number,
  headers?: HeadersInit,
  cause?: unknown,
): never {
  throw new WsHandshakeError(`Cannot accept WebSocket upgrade: ${message}`, {
    code,
    status,
    ...(headers === undefined ? {} : { headers }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Checks an upgrade request as `acceptUpgrade` documents, and chooses its
 * subprotocol and permessage-deflate parameters.
 *
 * @throws {WsHandshakeError} If the request is not a valid upgrade.
 * @throws {TypeError} If `options.protocols` holds a string that is not a token.
 * @throws {RangeError} If a permessage-deflate window option is out of range.
 */
export function checkUpgrade(
  request: Request,
  options: CheckUpgradeOptions,
): CheckedUpgrade {
  const serverProtocols = options.protocols ?? [];
  for (const protocol of serverProtocols) {
    if (!TOKEN_REGEXP.test(protocol)) {
      throw new TypeError(
        `Cannot accept WebSocket upgrade: protocol ${
          quote(protocol)
        } is not a token`,
      );
    }
  }
  const headers = request.headers;
  if (request.method !== "GET") {
    reject(
      `method ${quote(request.method)} is not GET`,
      "bad-method",
      405,
      { allow: "GET" },
    );
  }
  if (!hasToken(headers.get("upgrade"), "websocket")) {
    reject(
      `Upgrade ${quote(headers.get("upgrade") ?? "")} lacks "websocket"`,
      "bad-upgrade",
      400,
    );
  }
  if (!hasToken(headers.get("connection"), "upgrade")) {
    reject(
      `Connection ${quote(headers.get("connection") ?? "")} lacks "upgrade"`,
      "bad-connection",
      400,
    );
  }
  const version = headers.get("sec-websocket-version");
  if (version !== "13") {
    reject(
      version === null
        ? "Sec-WebSocket-Version is missing"
        : `Sec-WebSocket-Version ${quote(version)} is not 13`,
      "bad-version",
      426,
      { "sec-websocket-version": "13" },
    );
  }
  const key = headers.get("sec-websocket-key");
  if (key === null || !KEY_REGEXP.test(key)) {
    reject(
      key === null
        ? "Sec-WebSocket-Key is missing"
        : `Sec-WebSocket-Key ${quote(key)} is not the base64 of 16 bytes`,
      "bad-key",
      400,
    );
  }

  const protocol = chooseProtocol(
    headers.get("sec-websocket-protocol"),
    serverProtocols,
  );

  let deflate: DeflateParams | undefined;
  let extensions = "";
  const offers = headers.get("sec-websocket-extensions");
  if (options.deflate && offers !== null) {
    let acceptance: DeflateAcceptance | undefined;
    try {
      acceptance = acceptDeflate(
        offers,
        options.deflate === true ? {} : options.deflate,
      );
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      reject(error.message, "bad-extensions", 400, undefined, error);
    }
    if (acceptance !== undefined) {
      deflate = acceptance.params;
      extensions = acceptance.response;
    }
  }

  return { protocol, extensions, deflate, key: key! };
}

function chooseProtocol(
  header: string | null,
  serverProtocols: readonly string[],
): string {
  if (header === null) return "";
  const offered = new Set<string>();
  for (const element of splitList(header)) {
    if (!TOKEN_REGEXP.test(element)) {
      reject(
        `Sec-WebSocket-Protocol element ${quote(element)} is not a token`,
        "bad-protocol",
        400,
      );
    }
    if (offered.has(element)) {
      reject(
        `Sec-WebSocket-Protocol names ${quote(element)} twice`,
        "bad-protocol",
        400,
      );
    }
    offered.add(element);
  }
  return serverProtocols.find((protocol) => offered.has(protocol)) ?? "";
}

/** The headers of the `101` that answers the upgrade `checked` agreed to. */
export function upgradeHeaders(checked: CheckedUpgrade): Headers {
  const headers = new Headers({
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-accept": secWebSocketAccept(checked.key),
  });
  if (checked.protocol !== "") {
    headers.set("sec-websocket-protocol", checked.protocol);
  }
  if (checked.extensions !== "") {
    headers.set("sec-websocket-extensions", checked.extensions);
  }
  return headers;
}

/**
 * What a server-registered upgrade is told (an `UpgradeAcceptance`), with the
 * `101`'s `headers` built when first read: a server that writes the `101`
 * itself takes {@linkcode ProvidedAcceptance.headerLines} instead, and a
 * handshake then makes no `Headers` (on Node, `undici`'s header list, map
 * and sorted copy: garbage per upgrade).
 */
export class ProvidedAcceptance {
  protocol: string;
  extensions: string;
  deflate: DeflateParams | undefined;
  #key: string;
  #headers: Headers | undefined;

  constructor(checked: CheckedUpgrade) {
    this.protocol = checked.protocol;
    this.extensions = checked.extensions;
    this.deflate = checked.deflate;
    this.#key = checked.key;
  }

  get headers(): Headers {
    return this.#headers ??= upgradeHeaders({
      protocol: this.protocol,
      extensions: this.extensions,
      deflate: this.deflate,
      key: this.#key,
    });
  }

  set headers(headers: Headers) {
    this.#headers = headers;
  }

  /**
   * The `101`'s header lines (`name: value` and CRLF each), as iterating
   * {@linkcode headers} writes them: from the headers once they were read
   * (someone may have changed them), else from the checked values.
   */
  headerLines(): string {
    if (this.#headers !== undefined) return headerLinesOf(this.#headers);
    // Iteration order: names sorted, as `Headers` yields them.
    return `connection: Upgrade\r\nsec-websocket-accept: ${
      secWebSocketAccept(this.#key)
    }\r\n${
      this.extensions === ""
        ? ""
        : `sec-websocket-extensions: ${this.extensions}\r\n`
    }${
      this.protocol === "" ? "" : `sec-websocket-protocol: ${this.protocol}\r\n`
    }upgrade: websocket\r\n`;
  }
}

/** Header lines (`name: value` and CRLF each) of `headers`, in order. */
export function headerLinesOf(headers: Headers): string {
  let lines = "";
  for (const [name, value] of headers) lines += `${name}: ${value}\r\n`;
  return lines;
}

/** The options of `admitUpgrade` that {@linkcode admitChecked} applies. */
export interface AdmitCheckOptions extends CheckUpgradeOptions {
  allowedHosts?: AllowedHosts;
  origins?: OriginPolicy;
}

function notAnUpgrade(error: WsHandshakeError): Response {
  return new Response(error.message, {
    status: 426,
    headers: {
      upgrade: "websocket",
      "content-type": "text/plain; charset=utf-8",
    },
  });
}

/**
 * The checks of `admitUpgrade` before its `authorize` hook: the handshake,
 * the `Host` allow-list and the Origin policy, in that order. Returns what
 * was agreed or the refusal to send; synchronous, so that an engine that
 * answers the handshake itself awaits nothing here.
 *
 * @throws {TypeError} As `admitUpgrade` documents (bad options).
 * @throws {RangeError} If a permessage-deflate option is out of range.
 */
export function admitChecked(
  request: Request,
  options: AdmitCheckOptions,
): CheckedUpgrade | Response {
  try {
    const checked = checkUpgrade(request, options);
    if (options.allowedHosts !== undefined) {
      checkHost(request, options.allowedHosts);
    }
    checkOrigin(request, options.origins);
    return checked;
  } catch (error) {
    if (!(error instanceof WsHandshakeError)) throw error;
    return error.code === "bad-upgrade"
      ? notAnUpgrade(error)
      : error.toResponse();
  }
}

/**
 * What an `authorize` hook's verdict means: `undefined` when it allows the
 * upgrade, else the response to send (its own, or a 403).
 */
export function refusalOf(verdict: boolean | Response): Response | undefined {
  if (verdict instanceof Response) return verdict;
  if (verdict === true) return undefined;
  return new Response(
    "Cannot accept WebSocket upgrade: the request is not authorized",
    {
      status: 403,
      headers: { "content-type": "text/plain; charset=utf-8" },
    },
  );
}
