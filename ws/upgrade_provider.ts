// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// The hand-over between a server (such as `serve` from the serve entry) and
// `acceptWebSocket`: the server registers, per request, how that request can
// be upgraded on its runtime; `acceptWebSocket` looks it up.

import type { WsCompressor } from "./compressor.ts";
import type { DeflateOptions, DeflateParams } from "./deflate_negotiation.ts";
import type { UpgradeAcceptance } from "./server_handshake.ts";
import type { WsConnection } from "./connection.ts";

/**
 * The bytes of one upgraded connection, for serverpush's codec engine:
 * `read` and `write` as `Deno.Conn` has them. Reading only when asked is
 * what lets the engine's limits hold back a fast peer (TCP does the rest).
 */
export interface WsDuplex {
  /** Reads into `p`: the number of bytes read, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Writes from `p`; resolves once the bytes are handed to the network,
   * with the number written (maybe fewer than `p.length`).
   */
  write(p: Uint8Array): Promise<number>;
  /** Drops the connection (both directions). */
  close(): void;
  /** Ends the sending direction only (TCP FIN). */
  closeWrite?(): Promise<void>;
}

/**
 * What a {@linkcode WebSocketUpgradeProvider} made of an accepted upgrade:
 * the response the handler returns, and either a WHATWG `WebSocket` (the
 * platform runs the protocol, as `Deno.upgradeWebSocket`) or the raw bytes
 * after the `101` (serverpush's codec engine runs the protocol).
 */
export type ProvidedUpgrade =
  | { response: Response; socket: WebSocket }
  | { response: Response; duplex: WsDuplex };

/**
 * permessage-deflate that a provider's duplex connections can negotiate:
 * what to accept, and the compressor to run for the agreed parameters.
 */
export interface ProvidedDeflate {
  /** What to negotiate. */
  options: DeflateOptions;
  /** The compressor for the agreed parameters (server role). */
  compressor(params: DeflateParams): WsCompressor & { close?(): void };
}

/**
 * How a server upgrades one request on its runtime; registered with
 * {@linkcode provideWebSocketUpgrade}, used by `acceptWebSocket` once its
 * policy has admitted the upgrade.
 *
 * @example A provider over the platform's WebSocket
 * ```ts
 * import type { WebSocketUpgradeProvider } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const provider: WebSocketUpgradeProvider = {
 *   upgrade: (_request, acceptance) => ({
 *     response: new Response(null, { headers: acceptance.headers }),
 *     socket: new EventTarget() as WebSocket,
 *   }),
 * };
 * strictEqual(provider.deflate, undefined);
 * ```
 */
export interface WebSocketUpgradeProvider {
  /**
   * permessage-deflate to negotiate, for providers that hand over a
   * duplex; a provider of WHATWG sockets negotiates nothing itself.
   */
  readonly deflate?: ProvidedDeflate;
  /**
   * Upgrades `request`, admitted with `acceptance` (whose headers belong
   * on the `101`). `idleTimeout` is the heartbeat in seconds for platforms
   * that run it (`0` for none), as `Deno.upgradeWebSocket` takes it.
   */
  upgrade(
    request: Request,
    acceptance: UpgradeAcceptance,
    options: { idleTimeout: number },
  ): ProvidedUpgrade;
  /**
   * Called with the connection `acceptWebSocket` made of the upgrade (the
   * raw one, before any codec), so the server can close it on shutdown.
   */
  accepted?(connection: WsConnection): void;
}

/** Providers by request; an entry lives as long as its request. */
const PROVIDERS = new WeakMap<Request, WebSocketUpgradeProvider>();

/**
 * Registers how `request` can be upgraded, for `acceptWebSocket` to find:
 * called by a server (such as `serve`) before it hands the request to the
 * handler. A server that runs on Node or Bun must do this, since their
 * requests carry no upgrade of their own; on Deno, `acceptWebSocket` falls
 * back to `Deno.upgradeWebSocket`.
 *
 * @param request The request the handler will get.
 * @param provider How to upgrade it.
 *
 * @example Register, then look up
 * ```ts
 * import {
 *   findWebSocketUpgradeProvider,
 *   provideWebSocketUpgrade,
 *   type WebSocketUpgradeProvider,
 * } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * const provider: WebSocketUpgradeProvider = {
 *   upgrade: () => {
 *     throw new Error("not reached");
 *   },
 * };
 * const request = new Request("http://localhost/");
 * provideWebSocketUpgrade(request, provider);
 * strictEqual(findWebSocketUpgradeProvider(request), provider);
 * strictEqual(findWebSocketUpgradeProvider(new Request("http://localhost/")), undefined);
 * ```
 */
export function provideWebSocketUpgrade(
  request: Request,
  provider: WebSocketUpgradeProvider,
): void {
  PROVIDERS.set(request, provider);
}

/**
 * The provider registered for `request` with
 * {@linkcode provideWebSocketUpgrade}, if any.
 *
 * @param request A request.
 * @returns Its provider, or `undefined`.
 *
 * @example Nothing registered
 * ```ts
 * import { findWebSocketUpgradeProvider } from "@serverpush/serverpush/ws";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(findWebSocketUpgradeProvider(new Request("http://localhost/")), undefined);
 * ```
 */
export function findWebSocketUpgradeProvider(
  request: Request,
): WebSocketUpgradeProvider | undefined {
  return PROVIDERS.get(request);
}
