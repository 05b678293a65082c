// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { secWebSocketAccept } from "./_sha1.ts";
import {
  acceptDeflate,
  type DeflateAcceptance,
  type DeflateOptions,
  type DeflateParams,
} from "./deflate_negotiation.ts";
import { WsHandshakeError } from "./handshake_error.ts";
import { hasToken, splitList, TOKEN_REGEXP } from "./_header_tokens.ts";
import { quote } from "../_internal/quote.ts";

/**
 * A `Sec-WebSocket-Key`: base64 of exactly 16 bytes. Like `ws`, the unused
 * low bits of the last character are not checked (forgiving base64 ignores
 * them too).
 */
const KEY_REGEXP = /^[+/0-9A-Za-z]{22}==$/;

/** Options for {@linkcode acceptUpgrade}. */
export interface AcceptUpgradeOptions {
  /**
   * Subprotocols this server speaks, most preferred first. The first one the
   * client also offered is chosen, whatever the client's order.
   *
   * @default {[]}
   */
  protocols?: readonly string[];
  /**
   * Negotiate permessage-deflate (RFC 7692): `true` for the defaults, or the
   * server's preferences. Off when `false` or absent.
   *
   * @default {false}
   */
  deflate?: boolean | DeflateOptions;
}

/** What {@linkcode acceptUpgrade} agreed to; send `headers` with a 101. */
export interface UpgradeAcceptance {
  /**
   * Headers of the `101 Switching Protocols` response: `Upgrade`,
   * `Connection`, `Sec-WebSocket-Accept`, and the chosen
   * `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` if any.
   */
  headers: Headers;
  /** The chosen subprotocol, or `""` when none was chosen. */
  protocol: string;
  /** The `Sec-WebSocket-Extensions` value answered, or `""` for none. */
  extensions: string;
  /** The agreed permessage-deflate parameters, when it was negotiated. */
  deflate: DeflateParams | undefined;
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
 * Validates a WebSocket upgrade request (RFC 6455 section 4.2.1), as a
 * server, and builds the headers of the `101 Switching Protocols` answer.
 *
 * The request must be a `GET` whose `Upgrade` holds the `websocket` token and
 * whose `Connection` holds `upgrade` (both ASCII case-insensitive, inside
 * comma lists), with `Sec-WebSocket-Version: 13` and a `Sec-WebSocket-Key`
 * that is the base64 of 16 bytes. A subprotocol is chosen from the client's
 * `Sec-WebSocket-Protocol` in the server's order of preference;
 * permessage-deflate is negotiated when `options.deflate` is set.
 *
 * This function does not check `Origin`; call {@linkcode checkOrigin} first.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6455#section-4.2 | RFC 6455 section 4.2}
 *
 * @param request The upgrade request. Its body is not read.
 * @param options Subprotocols and permessage-deflate preferences.
 * @returns What was agreed, with the 101 response headers.
 * @throws {WsHandshakeError} If the request is not a valid upgrade: code
 * `bad-method` (405), `bad-upgrade`, `bad-connection`, `bad-key`,
 * `bad-protocol`, `bad-extensions` (400) or `bad-version` (426, with
 * `Sec-WebSocket-Version: 13`).
 * @throws {TypeError} If `options.protocols` holds a string that is not a token.
 * @throws {RangeError} If a permessage-deflate window option is out of range.
 *
 * @example Accept an upgrade with a subprotocol
 * ```ts
 * import { acceptUpgrade } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const request = new Request("http://localhost/chat", {
 *   headers: {
 *     upgrade: "websocket",
 *     connection: "Upgrade",
 *     "sec-websocket-version": "13",
 *     "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
 *     "sec-websocket-protocol": "chat.v1, chat.v2",
 *   },
 * });
 * const accepted = await acceptUpgrade(request, { protocols: ["chat.v2", "chat.v1"] });
 * strictEqual(accepted.protocol, "chat.v2");
 * strictEqual(
 *   accepted.headers.get("sec-websocket-accept"),
 *   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 * );
 * ```
 */
// Async as documented (a refusal rejects), though nothing in it waits now.
// deno-lint-ignore require-await
export async function acceptUpgrade(
  request: Request,
  options: AcceptUpgradeOptions = {},
): Promise<UpgradeAcceptance> {
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

  const response = new Headers({
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-accept": secWebSocketAccept(key),
  });
  if (protocol !== "") response.set("sec-websocket-protocol", protocol);
  if (extensions !== "") response.set("sec-websocket-extensions", extensions);
  return { headers: response, protocol, extensions, deflate };
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
