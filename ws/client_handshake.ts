// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { secWebSocketAccept } from "./_sha1.ts";
import {
  type DeflateOptions,
  type DeflateParams,
  offerDeflate,
  verifyDeflateResponse,
} from "./deflate_negotiation.ts";
import { WsHandshakeError } from "./handshake_error.ts";
import { quote } from "../_internal/quote.ts";
import { encodeBase64 } from "../_internal/base64.ts";
import { hasToken, TOKEN_REGEXP } from "./_header_tokens.ts";

/** Headers the handshake sets itself; extra headers may not name them. */
const RESERVED_HEADERS: readonly string[] = Object.freeze([
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "sec-websocket-accept",
]);

/** Options for {@linkcode createClientHandshake}. */
export interface ClientHandshakeOptions {
  /**
   * Subprotocols to offer, most preferred first. Each must be a token, and
   * none may repeat.
   *
   * @default {[]}
   */
  protocols?: string | readonly string[];
  /**
   * Offer permessage-deflate (RFC 7692): `true` for the defaults, or what to
   * ask the server for.
   *
   * @default {false}
   */
  deflate?: boolean | DeflateOptions;
  /**
   * More request headers, such as `Origin`, `Authorization` or `Cookie`.
   * They may not set the headers the handshake owns (`Upgrade`,
   * `Connection` and the `Sec-WebSocket-*` headers).
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
}

/**
 * A client's opening handshake request, and what is needed to verify the
 * server's answer with {@linkcode verifyClientHandshake}.
 */
export interface ClientHandshake {
  /** The URL to send the `GET` to: `ws:` became `http:`, `wss:` `https:`. */
  url: URL;
  /**
   * The request headers. `Host` is not among them unless given in
   * `options.headers`; an HTTP/1.1 serializer adds it from `url`.
   */
  headers: Headers;
  /** The `Sec-WebSocket-Key` sent: base64 of 16 fresh random bytes. */
  key: string;
  /** The subprotocols offered, in order. */
  protocols: readonly string[];
  /** The permessage-deflate options offered, or `undefined` if none was. */
  deflate: DeflateOptions | undefined;
}

/** What {@linkcode verifyClientHandshake} found the server agreed to. */
export interface ClientHandshakeResult {
  /** The subprotocol the server chose, or `""` for none. */
  protocol: string;
  /** The server's `Sec-WebSocket-Extensions` value, or `""` for none. */
  extensions: string;
  /** The agreed permessage-deflate parameters, when it was negotiated. */
  deflate: DeflateParams | undefined;
}

/**
 * Builds a WebSocket opening handshake request, as a client (RFC 6455
 * section 4.1): a fresh random `Sec-WebSocket-Key`, version 13, the
 * subprotocols and the permessage-deflate offer.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-4.1 | RFC 6455 section 4.1}
 *
 * @param url A `ws:`, `wss:`, `http:` or `https:` URL without a fragment.
 * @param options Subprotocols, permessage-deflate offer and extra headers.
 * @returns The request to send, and the state needed to verify the answer.
 * @throws {TypeError} If the URL is invalid, has another scheme or a
 * fragment, a subprotocol is not a token or repeats, or an extra header
 * names a handshake header.
 * @throws {RangeError} If a permessage-deflate window option is out of range.
 *
 * @example Build a request
 * ```ts
 * import { createClientHandshake } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const handshake = createClientHandshake("wss://example.com/chat", {
 *   protocols: ["chat.v2"],
 *   deflate: true,
 * });
 * strictEqual(handshake.url.href, "https://example.com/chat");
 * strictEqual(handshake.headers.get("sec-websocket-version"), "13");
 * strictEqual(handshake.headers.get("sec-websocket-key"), handshake.key);
 * strictEqual(
 *   handshake.headers.get("sec-websocket-extensions"),
 *   "permessage-deflate; client_max_window_bits",
 * );
 * ```
 */
export function createClientHandshake(
  url: string | URL,
  options: ClientHandshakeOptions = {},
): ClientHandshake {
  if (!URL.canParse(url)) {
    throw new TypeError(
      `Cannot create WebSocket handshake: ${quote(String(url))} is not a URL`,
    );
  }
  const target = new URL(url);
  if (target.hash !== "" || String(url).includes("#")) {
    throw new TypeError(
      `Cannot create WebSocket handshake: URL ${
        quote(target.href)
      } has a fragment`,
    );
  }
  switch (target.protocol) {
    case "ws:":
      target.protocol = "http:";
      break;
    case "wss:":
      target.protocol = "https:";
      break;
    case "http:":
    case "https:":
      break;
    default:
      throw new TypeError(
        `Cannot create WebSocket handshake: scheme ${
          quote(target.protocol)
        } is not ws:, wss:, http: or https:`,
      );
  }

  const protocols = typeof options.protocols === "string"
    ? [options.protocols]
    : [...(options.protocols ?? [])];
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (!TOKEN_REGEXP.test(protocol) || seen.has(protocol)) {
      throw new TypeError(
        `Cannot create WebSocket handshake: protocol ${quote(protocol)} ${
          seen.has(protocol) ? "repeats" : "is not a token"
        }`,
      );
    }
    seen.add(protocol);
  }

  const headers = new Headers(options.headers);
  for (const name of RESERVED_HEADERS) {
    if (headers.has(name)) {
      throw new TypeError(
        `Cannot create WebSocket handshake: extra header "${name}" is set by the handshake`,
      );
    }
  }
  const deflate = options.deflate === true
    ? {}
    : options.deflate === false
    ? undefined
    : options.deflate;
  const key = encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
  headers.set("upgrade", "websocket");
  headers.set("connection", "Upgrade");
  headers.set("sec-websocket-key", key);
  headers.set("sec-websocket-version", "13");
  if (protocols.length > 0) {
    headers.set("sec-websocket-protocol", protocols.join(", "));
  }
  if (deflate !== undefined) {
    headers.set("sec-websocket-extensions", offerDeflate(deflate));
  }
  return { url: target, headers, key, protocols, deflate };
}

/**
 * Verifies a server's answer to a {@linkcode createClientHandshake} request,
 * as a client (RFC 6455 section 4.2.2, RFC 7692 section 5).
 *
 * The answer must have status 101, `Upgrade: websocket`, a `Connection`
 * holding `upgrade`, the `Sec-WebSocket-Accept` that matches the key, at
 * most one subprotocol that was offered, and only extensions that were
 * offered, with acceptable parameters.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2 | RFC 6455 section 4.2.2}
 *
 * @param handshake The handshake the request was built from.
 * @param response The server's answer: a `Response` or a parsed HTTP/1.1
 * response head.
 * @returns The agreed subprotocol and extensions.
 * @throws {WsHandshakeError} If the answer is not acceptable: code
 * `unexpected-status`, `bad-upgrade`, `bad-connection`, `bad-accept`,
 * `bad-protocol` or `bad-extensions`; `status` is the response's status.
 *
 * @example Verify a server's answer
 * ```ts
 * import {
 *   acceptUpgrade,
 *   createClientHandshake,
 *   verifyClientHandshake,
 * } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const handshake = createClientHandshake("ws://localhost/chat", {
 *   protocols: ["chat.v1"],
 * });
 * const accepted = await acceptUpgrade(
 *   new Request(handshake.url, { headers: handshake.headers }),
 *   { protocols: ["chat.v1"] },
 * );
 * const result = await verifyClientHandshake(handshake, {
 *   status: 101,
 *   headers: accepted.headers,
 * });
 * strictEqual(result.protocol, "chat.v1");
 * ```
 */
// Async as documented (a refusal rejects), though nothing in it waits now.
// deno-lint-ignore require-await
export async function verifyClientHandshake(
  handshake: ClientHandshake,
  response: Pick<Response, "status" | "headers">,
): Promise<ClientHandshakeResult> {
  const { status, headers } = response;
  function fail(
    message: string,
    code: WsHandshakeError["code"],
    cause?: unknown,
  ): never {
    throw new WsHandshakeError(
      `Cannot complete WebSocket handshake: ${message}`,
      { code, status, ...(cause === undefined ? {} : { cause }) },
    );
  }
  if (status !== 101) fail(`status ${status} is not 101`, "unexpected-status");
  if (!hasToken(headers.get("upgrade"), "websocket")) {
    fail(
      `Upgrade ${quote(headers.get("upgrade") ?? "")} lacks "websocket"`,
      "bad-upgrade",
    );
  }
  if (!hasToken(headers.get("connection"), "upgrade")) {
    fail(
      `Connection ${quote(headers.get("connection") ?? "")} lacks "upgrade"`,
      "bad-connection",
    );
  }
  const accept = headers.get("sec-websocket-accept");
  if (accept !== secWebSocketAccept(handshake.key)) {
    fail(
      `Sec-WebSocket-Accept ${quote(accept ?? "")} does not match the key`,
      "bad-accept",
    );
  }
  const protocol = headers.get("sec-websocket-protocol");
  if (protocol !== null && !handshake.protocols.includes(protocol)) {
    fail(
      `Sec-WebSocket-Protocol ${quote(protocol)} was not offered`,
      "bad-protocol",
    );
  }
  const extensions = headers.get("sec-websocket-extensions") ?? "";
  let deflate: DeflateParams | undefined;
  if (handshake.deflate === undefined) {
    if (extensions !== "") {
      fail(
        `Sec-WebSocket-Extensions ${quote(extensions)} was not offered`,
        "bad-extensions",
      );
    }
  } else {
    try {
      deflate = verifyDeflateResponse(extensions, handshake.deflate);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      fail(error.message, "bad-extensions", error);
    }
  }
  return { protocol: protocol ?? "", extensions, deflate };
}
