// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Why a WebSocket opening handshake failed. Safe to switch on.
 *
 * | code                | side   | status | meaning                                                               |
 * | ------------------- | ------ | ------ | --------------------------------------------------------------------- |
 * | `bad-method`        | server | 405    | the upgrade request is not a `GET`                                    |
 * | `bad-upgrade`       | both   | 400    | `Upgrade` lacks the `websocket` token                                 |
 * | `bad-connection`    | both   | 400    | `Connection` lacks the `upgrade` token                                |
 * | `bad-version`       | server | 426    | `Sec-WebSocket-Version` is missing or not `13`                        |
 * | `bad-key`           | server | 400    | `Sec-WebSocket-Key` is not the base64 of 16 bytes                     |
 * | `bad-protocol`      | both   | 400    | `Sec-WebSocket-Protocol` is malformed, or names a protocol not offered |
 * | `bad-extensions`    | both   | 400    | `Sec-WebSocket-Extensions` is malformed, or accepts what was not offered |
 * | `forbidden-host`    | server | 421    | `Host` is not in `allowedHosts` (DNS rebinding)                       |
 * | `forbidden-origin`  | server | 403    | `Origin` is not allowed by the origin policy                          |
 * | `unexpected-status` | client | any    | the server answered with a status other than 101                      |
 * | `bad-accept`        | client | 101    | `Sec-WebSocket-Accept` does not match the key that was sent           |
 */
export type WsHandshakeErrorCode =
  | "bad-method"
  | "bad-upgrade"
  | "bad-connection"
  | "bad-version"
  | "bad-key"
  | "bad-protocol"
  | "bad-extensions"
  | "forbidden-host"
  | "forbidden-origin"
  | "unexpected-status"
  | "bad-accept";

/** Options for the {@linkcode WsHandshakeError} constructor. */
export interface WsHandshakeErrorOptions {
  /** Machine-readable reason. */
  code: WsHandshakeErrorCode;
  /**
   * On the server: the HTTP status to answer with. On the client: the status
   * of the response that failed verification.
   */
  status: number;
  /**
   * Headers to send with the error response, such as
   * `Sec-WebSocket-Version: 13` on a 426.
   *
   * @default {undefined}
   */
  headers?: HeadersInit;
  /** The underlying error, if any. @default {undefined} */
  cause?: unknown;
}

/**
 * A WebSocket opening handshake that failed, on either side.
 *
 * On the server (from {@linkcode acceptUpgrade} and {@linkcode checkOrigin})
 * `status` and `headers` say how to answer; {@linkcode WsHandshakeError.toResponse}
 * builds that answer. On the client (from {@linkcode verifyClientHandshake})
 * `status` is the status the server answered with and `headers` is empty.
 *
 * @example Answer a failed upgrade
 * ```ts
 * import { acceptUpgrade, WsHandshakeError } from "@serverpush/serverpush/ws";
 * import { ok, strictEqual } from "node:assert/strict";
 *
 * try {
 *   await acceptUpgrade(new Request("http://localhost/chat"));
 * } catch (error) {
 *   ok(error instanceof WsHandshakeError);
 *   strictEqual(error.code, "bad-upgrade");
 *   const response = error.toResponse();
 *   strictEqual(response.status, 400);
 *   await response.body?.cancel();
 * }
 * ```
 */
export class WsHandshakeError extends Error {
  /** Machine-readable reason; safe to switch on. */
  readonly code: WsHandshakeErrorCode;
  /**
   * On the server: the HTTP status to answer with (400, 403, 405, 421 or
   * 426).
   * On the client: the status of the response that failed verification.
   */
  readonly status: number;
  /** Headers to send with the error response; empty on the client. */
  readonly headers: Headers;

  /**
   * Creates a handshake error.
   *
   * @param message Human-readable description, in the "Cannot ..." voice.
   * @param options Code, status, headers and cause.
   */
  constructor(message: string, options: WsHandshakeErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "WsHandshakeError";
    this.code = options.code;
    this.status = options.status;
    this.headers = new Headers(options.headers);
  }

  /**
   * Builds the HTTP response a server sends for this error: `status`,
   * `headers` and the message as a plain-text body.
   *
   * Only meaningful for server-side errors; a client-side error whose status
   * is outside 200..599 makes the `Response` constructor throw a
   * `RangeError`.
   *
   * @returns A new response; each call builds a fresh one.
   *
   * @example A version mismatch answers 426 with the supported version
   * ```ts
   * import { WsHandshakeError } from "@serverpush/serverpush/ws";
   * import { strictEqual } from "node:assert/strict";
   *
   * const error = new WsHandshakeError("Cannot upgrade: bad version", {
   *   code: "bad-version",
   *   status: 426,
   *   headers: { "sec-websocket-version": "13" },
   * });
   * const response = error.toResponse();
   * strictEqual(response.status, 426);
   * strictEqual(response.headers.get("sec-websocket-version"), "13");
   * strictEqual(await response.text(), "Cannot upgrade: bad version");
   * ```
   */
  toResponse(): Response {
    const headers = new Headers(this.headers);
    headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(this.message, { status: this.status, headers });
  }
}
