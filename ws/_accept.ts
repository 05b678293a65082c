// Copyright 2026 the serverpush authors. MIT license.
// Private: the work of `acceptWebSocket`, in two steps: its options checked
// once (`prepareAccept`), then each request accepted with them
// (`acceptPrepared`). A route that accepts many upgrades with the same
// options (the hub handler's) prepares them once. Nothing is awaited
// unless an `authorize` hook is, whether on the native engine
// (`Deno.upgradeWebSocket`, which answers the handshake itself) or on an
// upgrade that `serve` registered.

import type { WsConnection } from "./connection.ts";
import type { AuthorizeUpgrade } from "./admit_upgrade.ts";
import type { AllowedHosts } from "./check_host.ts";
import type { OriginPolicy } from "./check_origin.ts";
import type { HeartbeatOptions } from "./heartbeat.ts";
import { type HeartbeatTiming, resolveHeartbeat } from "./_heartbeat.ts";
import {
  checkConnectionOptions,
  type SocketConnectionOptions,
} from "./_connection_options.ts";
import { acceptedSocketConnection } from "./_socket_connection.ts";
import {
  codecConnection,
  type CodecConnectionOptions,
} from "./_codec_connection.ts";
import type { ByteDuplex } from "./_byte_io.ts";
import {
  admitChecked,
  type AdmitCheckOptions,
  type CheckedUpgrade,
  ProvidedAcceptance,
  refusalOf,
} from "./_check_upgrade.ts";
import {
  findWebSocketUpgradeProvider,
  type ProvidedUpgrade,
  type WebSocketUpgradeProvider,
} from "./upgrade_provider.ts";

/** `Deno.upgradeWebSocket`'s shape (`UpgradeWebSocket`). */
export type UpgradeSocket = (
  request: Request,
  options: { idleTimeout?: number },
) => { response: Response; socket: WebSocket };

/** The options of `acceptWebSocket` (`AcceptWebSocketOptions`) used here. */
export interface AcceptOptions {
  origins?: OriginPolicy;
  allowedHosts?: AllowedHosts;
  protocols?: readonly string[];
  maxMessageBytes?: number;
  maxBufferedBytes?: number;
  maxUnreadBytes?: number;
  heartbeat?: HeartbeatOptions | number | false;
  closeTimeout?: number;
  remoteAddr?: { hostname: string; port: number };
  upgrade?: UpgradeSocket;
}

/** What `acceptWebSocket` produced (`AcceptWebSocketResult`). */
export interface Accepted {
  response: Response;
  connection: WsConnection | undefined;
}

/** `acceptWebSocket`'s options, checked and filled in. */
export interface PreparedAccept {
  heartbeat: HeartbeatTiming | undefined;
  /** Seconds, for `Deno.upgradeWebSocket` (`0` for none). */
  idleTimeout: number;
  /** The connection's limits (checked); the subprotocol is added per request. */
  connection: SocketConnectionOptions;
  /** The admission checks on the native engine (no permessage-deflate). */
  check: AdmitCheckOptions;
  /** The admission checks with a provider's offer, once an upgrade used it. */
  providedCheck?: AdmitCheckOptions;
  upgrade: UpgradeSocket | undefined;
}

/**
 * Checks `acceptWebSocket`'s options.
 *
 * @throws {RangeError} If a limit or the heartbeat is out of range.
 */
export function prepareAccept(options: AcceptOptions): PreparedAccept {
  const heartbeat = resolveHeartbeat(options.heartbeat);
  const connection: SocketConnectionOptions = {};
  if (options.maxMessageBytes !== undefined) {
    connection.maxMessageBytes = options.maxMessageBytes;
  }
  if (options.maxBufferedBytes !== undefined) {
    connection.maxBufferedBytes = options.maxBufferedBytes;
  }
  if (options.maxUnreadBytes !== undefined) {
    connection.maxUnreadBytes = options.maxUnreadBytes;
  }
  if (options.closeTimeout !== undefined) {
    connection.closeTimeout = options.closeTimeout;
  }
  if (options.remoteAddr !== undefined) {
    connection.remoteAddr = options.remoteAddr;
  }
  checkConnectionOptions(connection);
  const check: AdmitCheckOptions = { deflate: false };
  if (options.origins !== undefined) check.origins = options.origins;
  if (options.allowedHosts !== undefined) {
    check.allowedHosts = options.allowedHosts;
  }
  if (options.protocols !== undefined) check.protocols = options.protocols;
  return {
    heartbeat,
    idleTimeout: heartbeat === undefined
      ? 0
      : (heartbeat.interval + heartbeat.timeout) / 1000,
    connection,
    check,
    upgrade: options.upgrade,
  };
}

/**
 * Accepts `request` as `acceptWebSocket` does, with `prepared` options and
 * the hook `authorize`: at once when there is no hook (nothing to wait
 * for), else through a promise. Throws (synchronously)
 * what `acceptWebSocket` rejects with; call it from an async function.
 */
export function acceptPrepared(
  request: Request,
  prepared: PreparedAccept,
  authorize: AuthorizeUpgrade | undefined,
):
  | Accepted
  | Promise<Accepted> {
  const provider = prepared.upgrade === undefined
    ? findWebSocketUpgradeProvider(request)
    : undefined;
  if (provider !== undefined) {
    return acceptProvided(request, prepared, authorize, provider);
  }
  const checked = admitChecked(request, prepared.check);
  if (checked instanceof Response) {
    return { response: checked, connection: undefined };
  }
  if (authorize !== undefined) {
    return authorizeThen(
      request,
      authorize,
      () => upgradeNative(request, prepared, checked),
    );
  }
  return upgradeNative(request, prepared, checked);
}

/**
 * Asks `authorize` about `request`, then accepts it with `accept` unless
 * the hook refused it.
 */
async function authorizeThen(
  request: Request,
  authorize: AuthorizeUpgrade,
  accept: () => Accepted,
): Promise<Accepted> {
  const refusal = refusalOf(await authorize(request));
  if (refusal !== undefined) {
    return { response: refusal, connection: undefined };
  }
  return accept();
}

/** Upgrades an admitted request on `Deno.upgradeWebSocket` (or the fake). */
function upgradeNative(
  request: Request,
  prepared: PreparedAccept,
  checked: CheckedUpgrade,
): Accepted {
  const upgrade = prepared.upgrade ?? nativeUpgrade();
  const { response, socket } = upgrade(request, {
    idleTimeout: prepared.idleTimeout,
  });
  // The chosen subprotocol goes on the 101 response here rather than
  // through Deno's `protocol` option: Deno looks for it in the offer
  // split on exactly ", " and throws when a client writes "a,b" (the `ws`
  // client does). Deno's server-side socket.protocol reads "" either way,
  // so the connection reports the chosen one itself.
  if (checked.protocol !== "") {
    response.headers.set("sec-websocket-protocol", checked.protocol);
  }
  return {
    response,
    connection: acceptedSocketConnection(
      socket,
      prepared.connection,
      checked.protocol,
      "",
      true,
    ),
  };
}

/**
 * Accepts `request` on the upgrade that the server registered for it: at
 * once when there is no `authorize` hook, as on the native engine (an
 * async step per upgrade is garbage that a server taking thousands of
 * them keeps its young generation large for).
 */
function acceptProvided(
  request: Request,
  prepared: PreparedAccept,
  authorize: AuthorizeUpgrade | undefined,
  provider: WebSocketUpgradeProvider,
): Accepted | Promise<Accepted> {
  const checked = admitChecked(request, providedCheck(prepared, provider));
  if (checked instanceof Response) {
    return { response: checked, connection: undefined };
  }
  if (authorize !== undefined) {
    return authorizeThen(
      request,
      authorize,
      () => upgradeProvided(request, prepared, provider, checked),
    );
  }
  return upgradeProvided(request, prepared, provider, checked);
}

/**
 * The admission checks with the provider's permessage-deflate offer, made
 * on the first upgrade and kept while the provider offers the same.
 */
function providedCheck(
  prepared: PreparedAccept,
  provider: WebSocketUpgradeProvider,
): AdmitCheckOptions {
  const deflate = provider.deflate?.options ?? false;
  let check = prepared.providedCheck;
  if (check === undefined || check.deflate !== deflate) {
    check = prepared.providedCheck = { ...prepared.check, deflate };
  }
  return check;
}

/** Upgrades an admitted request on the provider's engine. */
function upgradeProvided(
  request: Request,
  prepared: PreparedAccept,
  provider: WebSocketUpgradeProvider,
  checked: CheckedUpgrade,
): Accepted {
  const provided: ProvidedUpgrade = provider.upgrade(
    request,
    new ProvidedAcceptance(checked),
    { idleTimeout: prepared.idleTimeout },
  );
  let connection: WsConnection;
  if ("socket" in provided) {
    connection = acceptedSocketConnection(
      provided.socket,
      prepared.connection,
      checked.protocol,
      undefined,
    );
  } else {
    // One literal of a fixed shape (absent options are `undefined`, which
    // the connection reads as absent): building it by spreading the
    // prepared options made about 1 KiB more garbage per upgrade on Node 20
    // (V8's sampling heap profiler) than this one object.
    const limits = prepared.connection;
    const deflate = provider.deflate;
    const options = {
      role: "server",
      protocol: checked.protocol,
      extensions: checked.extensions,
      maxMessageBytes: limits.maxMessageBytes,
      maxBufferedBytes: limits.maxBufferedBytes,
      maxUnreadBytes: limits.maxUnreadBytes,
      closeTimeout: limits.closeTimeout,
      remoteAddr: limits.remoteAddr,
      heartbeat: prepared.heartbeat,
      compressor: checked.deflate !== undefined && deflate !== undefined
        ? deflate.compressor(checked.deflate)
        : undefined,
    } as CodecConnectionOptions;
    // A duplex with `read` and `write` is only ever used through them: its
    // `readable` and `writable` (absent here) are never touched.
    connection = codecConnection(
      provided.duplex as unknown as ByteDuplex,
      options,
    );
  }
  provider.accepted?.(connection);
  return { response: provided.response, connection };
}

/** `Deno.upgradeWebSocket`, or the error that says to use `serve`. */
function nativeUpgrade(): UpgradeSocket {
  if (typeof Deno === "undefined" || Deno.upgradeWebSocket === undefined) {
    throw new TypeError(
      "Cannot accept WebSocket: this runtime cannot upgrade the request by itself; run the handler with serve() from the serve entry, which registers the upgrade (see provideWebSocketUpgrade)",
    );
  }
  return Deno.upgradeWebSocket;
}
