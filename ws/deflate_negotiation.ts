// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import {
  type ExtensionElement,
  type ExtensionParam,
  formatExtension,
  parseExtensions,
} from "./_extensions.ts";
import { quote } from "../_internal/quote.ts";

/** The registered name of the extension (RFC 7692 section 7). */
const EXTENSION_NAME = "permessage-deflate";
/** A window size parameter: a decimal 8..15 without leading zeroes. */
const WINDOW_BITS_REGEXP = /^(?:8|9|1[0-5])$/;

/**
 * What one side wants from permessage-deflate (RFC 7692). The same object
 * works for both roles; each option says what it means as a server (when
 * answering an offer with {@linkcode acceptDeflate}) and as a client (when
 * offering with {@linkcode offerDeflate}).
 */
export interface DeflateOptions {
  /**
   * Server: always answer `server_no_context_takeover`, so our compressor
   * resets after every message (less memory, worse ratio). A client's
   * request for it is honoured whatever this says.
   * Client: ask the server to reset its compressor after every message, and
   * refuse a response that does not agree.
   *
   * @default {false}
   */
  serverNoContextTakeover?: boolean;
  /**
   * Server: answer `client_no_context_takeover`, asking the client to reset
   * its compressor after every message.
   * Client: tell the server that our compressor resets after every message.
   *
   * @default {false}
   */
  clientNoContextTakeover?: boolean;
  /**
   * The largest LZ77 window (as a power of two, 8..15) the server's
   * compressor may use.
   * Server: our compressor's window; answered as `server_max_window_bits`
   * when below 15 or when the client asked for a limit (the smaller value
   * wins).
   * Client: ask the server for at most this window, and refuse a response
   * that does not agree.
   *
   * @default {15}
   */
  serverMaxWindowBits?: number;
  /**
   * The largest LZ77 window (8..15) the client's compressor may use.
   * Server: limit the client to this window. An offer that does not allow
   * limiting it (no `client_max_window_bits`) is declined when this is below
   * 15.
   * Client: our compressor's window; offered as `client_max_window_bits=N`.
   * Without it the offer carries a bare `client_max_window_bits`, which lets
   * the server pick.
   *
   * @default {15}
   */
  clientMaxWindowBits?: number;
}

/**
 * The permessage-deflate parameters both sides agreed on, normalised: window
 * sizes are always present (15 when not negotiated). Pass them to
 * {@linkcode createPermessageDeflate}.
 */
export interface DeflateParams {
  /** The server resets its compressor after every message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after every message. */
  clientNoContextTakeover: boolean;
  /** LZ77 window bits of the server's compressor, 8..15. */
  serverMaxWindowBits: number;
  /** LZ77 window bits of the client's compressor, 8..15. */
  clientMaxWindowBits: number;
}

/** The outcome of {@linkcode acceptDeflate}: what was agreed and what to answer. */
export interface DeflateAcceptance {
  /** The agreed parameters. */
  params: DeflateParams;
  /**
   * The extension element to send back in `Sec-WebSocket-Extensions`, such
   * as `permessage-deflate; client_max_window_bits=15`.
   */
  response: string;
}

/** Parameters of one element after validation; window bits may be absent. */
interface ReadParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true` for a bare `client_max_window_bits` (only valid in an offer). */
  clientMaxWindowBits: number | true | undefined;
}

function checkOptions(options: DeflateOptions): void {
  for (
    const name of ["serverMaxWindowBits", "clientMaxWindowBits"] as const
  ) {
    const bits = options[name];
    if (
      bits !== undefined &&
      (!Number.isInteger(bits) || bits < 8 || bits > 15)
    ) {
      throw new RangeError(
        `Cannot negotiate permessage-deflate: ${name} ${bits} is not an integer from 8 to 15`,
      );
    }
  }
}

/**
 * Validates the parameters of one element. Returns the reason as a string
 * when they are not valid in an offer (`inOffer`) or in a response.
 */
function readParams(
  params: readonly ExtensionParam[],
  inOffer: boolean,
): ReadParams | string {
  const out: ReadParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const { name, value } of params) {
    if (seen.has(name)) return `parameter ${quote(name)} appears twice`;
    seen.add(name);
    switch (name) {
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (value !== undefined) return `parameter "${name}" takes no value`;
        if (name === "server_no_context_takeover") {
          out.serverNoContextTakeover = true;
        } else {
          out.clientNoContextTakeover = true;
        }
        break;
      case "server_max_window_bits":
      case "client_max_window_bits":
        if (value === undefined) {
          if (name === "client_max_window_bits" && inOffer) {
            out.clientMaxWindowBits = true;
            break;
          }
          return `parameter "${name}" needs a value`;
        }
        if (!WINDOW_BITS_REGEXP.test(value)) {
          return `parameter "${name}" has value ${
            quote(value)
          }, which is not an integer from 8 to 15`;
        }
        if (name === "server_max_window_bits") {
          out.serverMaxWindowBits = Number(value);
        } else {
          out.clientMaxWindowBits = Number(value);
        }
        break;
      default:
        return `parameter ${quote(name)} is unknown`;
    }
  }
  return out;
}

/**
 * Builds a client's permessage-deflate offer, one element for the
 * `Sec-WebSocket-Extensions` request header.
 *
 * The offer always carries `client_max_window_bits` (bare, or with
 * `clientMaxWindowBits`), which tells the server it may limit our window.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7692#section-7.1 | RFC 7692 section 7.1}
 *
 * @param options What to ask the server for.
 * @returns The offer, such as `permessage-deflate; client_max_window_bits`.
 * @throws {RangeError} If a window size is not an integer from 8 to 15.
 *
 * @example Offer with and without preferences
 * ```ts
 * import { offerDeflate } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(offerDeflate(), "permessage-deflate; client_max_window_bits");
 * strictEqual(
 *   offerDeflate({ serverNoContextTakeover: true, serverMaxWindowBits: 10 }),
 *   "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
 * );
 * ```
 */
export function offerDeflate(options: DeflateOptions = {}): string {
  checkOptions(options);
  const params: ExtensionParam[] = [];
  if (options.serverNoContextTakeover) {
    params.push({ name: "server_no_context_takeover", value: undefined });
  }
  if (options.clientNoContextTakeover) {
    params.push({ name: "client_no_context_takeover", value: undefined });
  }
  if (options.serverMaxWindowBits !== undefined) {
    params.push({
      name: "server_max_window_bits",
      value: String(options.serverMaxWindowBits),
    });
  }
  params.push({
    name: "client_max_window_bits",
    value: options.clientMaxWindowBits === undefined
      ? undefined
      : String(options.clientMaxWindowBits),
  });
  return formatExtension({ name: EXTENSION_NAME, params });
}

/**
 * Answers a client's permessage-deflate offers, as a server: picks the first
 * acceptable offer in the client's `Sec-WebSocket-Extensions` value and says
 * what to answer.
 *
 * Offers with unknown or repeated parameters or invalid values are declined
 * (skipped), as RFC 7692 section 5 requires; other extensions are ignored.
 * A client's `server_no_context_takeover` and window limits are honoured.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7692#section-7.1 | RFC 7692 section 7.1}
 *
 * @param header The request's `Sec-WebSocket-Extensions` value.
 * @param options The server's preferences.
 * @returns The agreement, or `undefined` when no offer is acceptable.
 * @throws {SyntaxError} If `header` does not follow the RFC 6455 grammar.
 * @throws {RangeError} If a window size option is not an integer from 8 to 15.
 *
 * @example Accept what Chromium offers
 * ```ts
 * import { acceptDeflate } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const accepted = acceptDeflate(
 *   "permessage-deflate; client_max_window_bits",
 *   { clientMaxWindowBits: 12 },
 * );
 * deepStrictEqual(accepted, {
 *   params: {
 *     serverNoContextTakeover: false,
 *     clientNoContextTakeover: false,
 *     serverMaxWindowBits: 15,
 *     clientMaxWindowBits: 12,
 *   },
 *   response: "permessage-deflate; client_max_window_bits=12",
 * });
 * ```
 */
export function acceptDeflate(
  header: string,
  options: DeflateOptions = {},
): DeflateAcceptance | undefined {
  checkOptions(options);
  for (const element of parseExtensions(header)) {
    if (element.name !== EXTENSION_NAME) continue;
    const offer = readParams(element.params, true);
    if (typeof offer === "string") continue;
    const acceptance = acceptOffer(offer, options);
    if (acceptance !== undefined) return acceptance;
  }
  return undefined;
}

function acceptOffer(
  offer: ReadParams,
  options: DeflateOptions,
): DeflateAcceptance | undefined {
  const wantClientBits = options.clientMaxWindowBits;
  // Without the parameter in the offer, the client cannot be limited.
  if (
    offer.clientMaxWindowBits === undefined && wantClientBits !== undefined &&
    wantClientBits < 15
  ) {
    return undefined;
  }
  const serverBits = Math.min(
    offer.serverMaxWindowBits ?? 15,
    options.serverMaxWindowBits ?? 15,
  );
  let clientBits = 15;
  let answerClientBits = false;
  if (offer.clientMaxWindowBits !== undefined) {
    const offered = offer.clientMaxWindowBits === true
      ? 15
      : offer.clientMaxWindowBits;
    clientBits = Math.min(offered, wantClientBits ?? 15);
    answerClientBits = offer.clientMaxWindowBits !== true ||
      wantClientBits !== undefined;
  }
  const params: DeflateParams = {
    serverNoContextTakeover: offer.serverNoContextTakeover ||
      options.serverNoContextTakeover === true,
    clientNoContextTakeover: offer.clientNoContextTakeover ||
      options.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
  const element: ExtensionElement = { name: EXTENSION_NAME, params: [] };
  if (params.serverNoContextTakeover) {
    element.params.push({
      name: "server_no_context_takeover",
      value: undefined,
    });
  }
  if (params.clientNoContextTakeover) {
    element.params.push({
      name: "client_no_context_takeover",
      value: undefined,
    });
  }
  if (offer.serverMaxWindowBits !== undefined || serverBits < 15) {
    element.params.push({
      name: "server_max_window_bits",
      value: String(serverBits),
    });
  }
  if (answerClientBits) {
    element.params.push({
      name: "client_max_window_bits",
      value: String(clientBits),
    });
  }
  return { params, response: formatExtension(element) };
}

/**
 * Checks a server's `Sec-WebSocket-Extensions` response against the offer
 * {@linkcode offerDeflate} built from the same `options`, as a client.
 *
 * The response may hold at most one element, and only permessage-deflate.
 * Its parameters must be known, appear once, have valid values (a bare
 * `client_max_window_bits` is only valid in an offer) and agree with what
 * was asked for.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7692#section-7.1 | RFC 7692 section 7.1}
 *
 * @param header The response's `Sec-WebSocket-Extensions` value (`""` when
 * absent).
 * @param options The options the offer was built with.
 * @returns The agreed parameters, or `undefined` when the server declined.
 * @throws {SyntaxError} If the response is malformed or not acceptable; the
 * client must then fail the connection.
 * @throws {RangeError} If a window size option is not an integer from 8 to 15.
 *
 * @example Verify a server's answer
 * ```ts
 * import { verifyDeflateResponse } from "@serverpush/serverpush/ws";
 * import { deepStrictEqual, throws } from "node:assert/strict";
 *
 * deepStrictEqual(
 *   verifyDeflateResponse("permessage-deflate; server_no_context_takeover"),
 *   {
 *     serverNoContextTakeover: true,
 *     clientNoContextTakeover: false,
 *     serverMaxWindowBits: 15,
 *     clientMaxWindowBits: 15,
 *   },
 * );
 * throws(
 *   () => verifyDeflateResponse("permessage-deflate; client_max_window_bits"),
 *   SyntaxError,
 * );
 * ```
 */
export function verifyDeflateResponse(
  header: string,
  options: DeflateOptions = {},
): DeflateParams | undefined {
  checkOptions(options);
  const elements = parseExtensions(header);
  const [element] = elements;
  if (element === undefined) return undefined;
  function fail(reason: string): never {
    throw new SyntaxError(
      `Cannot accept Sec-WebSocket-Extensions ${quote(header)}: ${reason}`,
    );
  }
  if (elements.length > 1) fail("more than one extension was accepted");
  if (element.name !== EXTENSION_NAME) {
    fail(`extension ${quote(element.name)} was not offered`);
  }
  const response = readParams(element.params, false);
  if (typeof response === "string") return fail(response);
  if (options.serverNoContextTakeover && !response.serverNoContextTakeover) {
    fail('requested "server_no_context_takeover" is missing');
  }
  const serverBits = response.serverMaxWindowBits;
  if (
    options.serverMaxWindowBits !== undefined &&
    (serverBits === undefined || serverBits > options.serverMaxWindowBits)
  ) {
    fail(
      `"server_max_window_bits" must be at most ${options.serverMaxWindowBits}`,
    );
  }
  // readParams rejects a bare client_max_window_bits in a response.
  const clientBits = response.clientMaxWindowBits as number | undefined;
  if (
    clientBits !== undefined && options.clientMaxWindowBits !== undefined &&
    clientBits > options.clientMaxWindowBits
  ) {
    fail(
      `"client_max_window_bits" must be at most ${options.clientMaxWindowBits}`,
    );
  }
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    clientNoContextTakeover: response.clientNoContextTakeover ||
      options.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits ?? 15,
    clientMaxWindowBits: clientBits ?? options.clientMaxWindowBits ?? 15,
  };
}
