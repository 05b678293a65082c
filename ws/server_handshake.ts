// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { DeflateOptions, DeflateParams } from "./deflate_negotiation.ts";
import { checkUpgrade, upgradeHeaders } from "./_check_upgrade.ts";

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
  const checked = checkUpgrade(request, options);
  return {
    headers: upgradeHeaders(checked),
    protocol: checked.protocol,
    extensions: checked.extensions,
    deflate: checked.deflate,
  };
}
