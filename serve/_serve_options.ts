// Copyright 2026 the serverpush authors. MIT license.
// Private: the options of `serve`, checked once, with their defaults.

import { checkByteLimit, checkPositiveTimeout } from "../_internal/check.ts";
import type { WsDeflate } from "../ws/compressor.ts";
import { withResolvers } from "../_internal/resolvers.ts";
import { permessageDeflate } from "../ws/deflate.ts";
import type { ServeAddr, ServeOptions } from "./serve_options.ts";
import type { ServeHandler, Server, ServeRequestInfo } from "./server.ts";

/** What every runtime's server reads. */
export interface ServeSettings {
  port: number;
  hostname: string;
  signal: AbortSignal | undefined;
  onListen: ((addr: ServeAddr) => void) | undefined;
  report: (error: unknown) => void;
  tls: { cert: string; key: string } | undefined;
  maxRequestBodyBytes: number;
  maxHeaderBytes: number;
  headersTimeout: number;
  /** `undefined` when permessage-deflate is off. */
  deflate: WsDeflate | undefined;
}

const WHAT = "serve";

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws {TypeError} If only one of `cert` and `key` is given.
 * @throws {RangeError} If a limit is out of range.
 */
export function checkServeOptions(options: ServeOptions): ServeSettings {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError("Cannot serve: cert and key must be given together");
  }
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot serve: port ${port} is not 0 to 65535`);
  }
  const onError = options.onError;
  const deflate = options.deflate ?? true;
  return {
    port,
    hostname: options.hostname ?? "0.0.0.0",
    signal: options.signal,
    onListen: options.onListen,
    report: (error) => onError?.(error),
    tls: options.cert === undefined
      ? undefined
      : { cert: options.cert, key: options.key! },
    maxRequestBodyBytes: checkByteLimit(
      WHAT,
      "maxRequestBodyBytes",
      options.maxRequestBodyBytes ?? 16 * 1024 * 1024,
    ),
    maxHeaderBytes: checkByteLimit(
      WHAT,
      "maxHeaderBytes",
      options.maxHeaderBytes ?? 16 * 1024,
    ),
    headersTimeout: checkPositiveTimeout(
      WHAT,
      "headersTimeout",
      options.headersTimeout ?? 60_000,
    ),
    deflate: deflate === false
      ? undefined
      : deflate === true
      ? permessageDeflate()
      : deflate,
  };
}

/**
 * The 413 for a request whose `Content-Length` exceeds the limit, or
 * `undefined` when it does not.
 */
export function refuseLargeBody(
  request: Request,
  maxRequestBodyBytes: number,
): Response | undefined {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (!(length > maxRequestBodyBytes)) return undefined;
  return new Response(
    `Cannot read request body: ${length} bytes exceed maxRequestBodyBytes of ${maxRequestBodyBytes}`,
    {
      status: 413,
      headers: { "content-type": "text/plain; charset=utf-8" },
    },
  );
}

/** The 500 answered when the handler throws. */
export function internalError(): Response {
  return new Response("Cannot handle request: internal error", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** The {@linkcode ServeRequestInfo} of a peer at `hostname`:`port`. */
export function requestInfo(
  hostname: string | undefined,
  port: number | undefined,
): ServeRequestInfo {
  return {
    remoteAddr: { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 },
  };
}

/** Runs `handler`, turning what it throws into a reported 500. */
export async function respond(
  handler: ServeHandler,
  request: Request,
  info: ServeRequestInfo,
  settings: ServeSettings,
): Promise<Response> {
  const refused = refuseLargeBody(request, settings.maxRequestBodyBytes);
  if (refused !== undefined) return refused;
  try {
    return await handler(request, info);
  } catch (error) {
    settings.report(error);
    return internalError();
  }
}

/** Whether the request asks to upgrade the connection. */
export function isUpgrade(request: Request): boolean {
  return request.headers.has("upgrade");
}

/**
 * The {@linkcode Server} of a runtime's server that listens at `addr`:
 * `shutdown` runs `stop` once (also when `settings.signal` aborts), and
 * `onListen` is called.
 */
export function running(
  settings: ServeSettings,
  runtime: Server["runtime"],
  addr: ServeAddr,
  stop: () => Promise<void>,
): Server {
  let stopped: Promise<void> | undefined;
  const finished = withResolvers<void>();
  const signal = settings.signal;
  const shutdown = (): Promise<void> =>
    stopped ??= (async () => {
      signal?.removeEventListener("abort", shutdown);
      await stop();
      finished.resolve();
    })();
  if (signal?.aborted) void shutdown();
  else signal?.addEventListener("abort", shutdown, { once: true });
  settings.onListen?.(addr);
  return {
    addr,
    runtime,
    shutdown,
    finished: finished.promise,
    [Symbol.asyncDispose]: shutdown,
  };
}
