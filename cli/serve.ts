// Copyright 2026 the serverpush authors. MIT license.
// The `serve` subcommand: a standalone hub with every transport at
// /hub/<topic>. `createServeHandler` assembles the handler; it is the one
// place where metrics, the inspector, JWT auth and other backends plug in.

import {
  numberOption,
  parseCommand,
  positionals,
  stringList,
  stringOption,
} from "./_args.ts";
import {
  type CliCommand,
  CliError,
  type CliIo,
  errorText,
  EXIT_OK,
  UsageError,
} from "./_io.ts";
import { sleep } from "../_internal/sleep.ts";
import { Hub } from "../hub/hub.ts";
import type { HubBackend } from "../hub/backend.ts";
import { createHubHandler } from "../serve/create_hub_handler.ts";
import type { HubAuthorize, HubHandler } from "../serve/hub_handler_options.ts";
import type { OriginPolicy } from "../ws/check_origin.ts";

/** How long a stop waits for connections to end before exiting anyway. */
const SHUTDOWN_TIMEOUT_MS = 5000;

const HELP = `Usage: serverpush serve [options]

Runs a standalone hub: every topic at /hub/<topic> over Server-Sent Events,
WebSocket (one topic per connection, or several with the serverpush.v1
subprotocol), long polling, short polling and the iframe stream. Publish
with one POST to /hub/<topic> and "Authorization: Bearer <token>".

Options:
  --port N              port to listen on, 0 for any free one (default 8080)
  --hostname H          address to listen on (default 127.0.0.1)
  --redis URL           keep messages in Redis (redis://host:port), so they
                        survive a restart and several servers share topics
  --kv PATH             keep messages in Deno KV (not in this build)
  --allow-origin O      an origin allowed to open WebSockets and POST,
                        besides the same origin (repeatable; "*" for any)
  --publish-token T     a token that may publish (repeatable); without a
                        token (or a JWT option) publishing is refused
  --ws-publish          let WebSocket clients publish too (same tokens)
  --jwt-secret S        accept HS256 JWTs (not in this build)
  --jwt-jwks FILE       accept JWTs signed by the keys in FILE (not in this build)
  --replay N            messages kept per topic for resuming (default 1000)
  -h, --help            this help

Prints "listening on http://HOST:PORT/hub/" once ready; SIGINT or SIGTERM
ends every stream and stops. Exit codes: 0 stopped, 1 failed, 2 bad usage.

Example:
  serverpush serve --port 8080 --publish-token s3cret
  serverpush publish http://127.0.0.1:8080/hub/news hi --token s3cret
`;

/** Options of {@linkcode createServeHandler}, from the `serve` command line. */
export interface ServeOptions {
  /** Redis URL of the backend; memory when absent. */
  redis?: string | undefined;
  /** Deno KV path of the backend (not in this build). */
  kv?: string | undefined;
  /** Origins allowed besides the same origin; `"*"` for any. */
  allowOrigins?: readonly string[];
  /** Tokens that may publish (`Authorization: Bearer`). */
  publishTokens?: readonly string[];
  /** Let WebSocket clients publish. */
  wsPublish?: boolean;
  /** HS256 secret of accepted JWTs (not in this build). */
  jwtSecret?: string | undefined;
  /** File with the JWKS of accepted JWTs (not in this build). */
  jwtJwks?: string | undefined;
  /** Messages kept per topic (memory backend) or stream length (Redis). */
  replay?: number;
  /** Reports errors that have no response to go to. */
  onError?: (error: unknown) => void;
}

/** What {@linkcode createServeHandler} assembled. */
export interface ServeHandler {
  /** The request handler of the whole server. */
  handler: (
    request: Request,
    info?: Deno.ServeHandlerInfo,
  ) => Promise<Response>;
  /** The hub behind it. */
  hub: Hub;
  /** Ends every stream (call before `server.shutdown()`), then the hub. */
  close(): Promise<void>;
}

/** Thrown for an option that this build does not have yet. */
function notAvailable(option: string): never {
  throw new CliError(
    `Cannot use ${option}: not available in this build (use --redis or the memory backend, and --publish-token)`,
  );
}

function bearerToken(request: Request): string | undefined {
  const value = request.headers.get("authorization");
  const match = value === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/** The publish check: a Bearer token from the list, compared in full. */
function tokenAuthorize(tokens: readonly string[]): HubAuthorize {
  const allowed = new Set(tokens);
  return (request) => {
    const token = bearerToken(request);
    if (token !== undefined && allowed.has(token)) return true;
    return new Response(
      token === undefined
        ? "Cannot publish: send Authorization: Bearer <token>\n"
        : "Cannot publish: the token is not accepted\n",
      {
        status: token === undefined ? 401 : 403,
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "www-authenticate": "Bearer",
        },
      },
    );
  };
}

async function openBackend(
  options: ServeOptions,
): Promise<(HubBackend & { close(): Promise<void> }) | undefined> {
  if (options.kv !== undefined) notAvailable("--kv");
  if (options.redis === undefined) return undefined;
  const { createRedisBackend } = await import("../hub/redis.ts");
  return createRedisBackend({
    url: options.redis,
    ...(options.replay === undefined ? {} : { maxLen: options.replay }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}

/**
 * Assembles the `serve` command's server: a hub on the chosen backend and
 * one handler with every transport at `/hub/<topic>`, publishing refused
 * unless a token option allows it.
 *
 * Seams for what is built elsewhere: `--kv` (a Deno KV backend) and
 * `--jwt-*` (JWT auth) fail with "not available in this build"; `/metrics`
 * and `/inspector` answer 404 until their handlers are added to `routes`.
 */
export async function createServeHandler(
  options: ServeOptions,
): Promise<ServeHandler> {
  if (options.jwtSecret !== undefined) notAvailable("--jwt-secret");
  if (options.jwtJwks !== undefined) notAvailable("--jwt-jwks");
  const backend = await openBackend(options);
  const hub = backend === undefined
    ? new Hub(
      options.replay === undefined
        ? {}
        : { replay: { maxMessages: options.replay } },
    )
    : new Hub({ backend });
  const stop = new AbortController();
  const origins: readonly string[] = options.allowOrigins ?? [];
  const originPolicy: OriginPolicy = origins.includes("*")
    ? "any"
    : origins.length === 0
    ? "same-origin"
    : origins;
  const tokens = options.publishTokens ?? [];
  const hubHandler: HubHandler = createHubHandler(hub, {
    prefix: "/hub",
    origins: originPolicy,
    authorizePublish: tokens.length === 0
      ? () => false
      : tokenAuthorize(tokens),
    allowPublish: options.wsPublish === true && tokens.length > 0,
    signal: stop.signal,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  // Further routes (`/metrics`, `/inspector`) go here.
  const routes = new Map<string, (request: Request) => Promise<Response>>();
  return {
    hub,
    handler(request: Request): Promise<Response> {
      const { pathname } = new URL(request.url);
      const route = routes.get(pathname);
      if (route !== undefined) return route(request);
      if (pathname === "/hub" || pathname.startsWith("/hub/")) {
        return hubHandler(request);
      }
      return Promise.resolve(
        new Response("Not found: topics are at /hub/<topic>\n", {
          status: 404,
          headers: { "content-type": "text/plain; charset=utf-8" },
        }),
      );
    },
    async close(): Promise<void> {
      stop.abort();
      await hub.close();
      await backend?.close();
    },
  };
}

/** `serverpush serve`. */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "run a standalone hub with every transport at /hub/<topic>",
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommand("serve", args, {
      port: { type: "string" },
      hostname: { type: "string" },
      redis: { type: "string" },
      kv: { type: "string" },
      "allow-origin": { type: "string", multiple: true },
      "publish-token": { type: "string", multiple: true },
      "ws-publish": { type: "boolean" },
      "jwt-secret": { type: "string" },
      "jwt-jwks": { type: "string" },
      replay: { type: "string" },
    });
    positionals("serve", parsed, []);
    const port = numberOption(parsed, "port", {
      min: 0,
      max: 65535,
      integer: true,
    }, 8080);
    const hostname = stringOption(parsed, "hostname") ?? "127.0.0.1";
    const redis = stringOption(parsed, "redis");
    const kv = stringOption(parsed, "kv");
    if (redis !== undefined && kv !== undefined) {
      throw new UsageError(
        "Cannot run serve: give --redis or --kv, not both (see: serverpush serve --help)",
      );
    }
    const jwtSecret = stringOption(parsed, "jwt-secret");
    const jwtJwks = stringOption(parsed, "jwt-jwks");
    if (jwtSecret !== undefined && jwtJwks !== undefined) {
      throw new UsageError(
        "Cannot run serve: give --jwt-secret or --jwt-jwks, not both (see: serverpush serve --help)",
      );
    }
    if (redis !== undefined && !/^rediss?:\/\//.test(redis)) {
      throw new UsageError(
        `Cannot read --redis: "${redis}" is not a redis:// URL (for example redis://127.0.0.1:6379)`,
      );
    }
    const replay = numberOption(parsed, "replay", {
      min: 1,
      max: 10_000_000,
      integer: true,
    });
    const tokens = stringList(parsed, "publish-token");
    if (tokens.some((token) => token === "" || /\s/.test(token))) {
      throw new UsageError(
        "Cannot read --publish-token: a token must be non-empty and have no spaces",
      );
    }
    const server = await createServeHandler({
      redis,
      kv,
      jwtSecret,
      jwtJwks,
      allowOrigins: stringList(parsed, "allow-origin"),
      publishTokens: tokens,
      wsPublish: parsed.values["ws-publish"] === true,
      ...(replay === undefined ? {} : { replay }),
      onError(error) {
        void io.err(`serverpush serve: ${errorText(error)}\n`);
      },
    });
    let listener: Deno.HttpServer<Deno.NetAddr>;
    try {
      listener = Deno.serve({
        port,
        hostname,
        onListen() {},
      }, server.handler);
    } catch (error) {
      await server.close();
      throw new CliError(
        `Cannot listen on ${hostname}:${port}: ${
          errorText(error)
        } (pick another --port)`,
      );
    }
    const { port: actual } = listener.addr;
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    const backendName = redis !== undefined ? `redis ${redis}` : "memory";
    await io.err(
      `serverpush serve: ${backendName} backend; publishing ${
        tokens.length === 0 ? "refused (no --publish-token)" : "needs a token"
      }\n`,
    );
    await io.out(`listening on http://${host}:${actual}/hub/\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    const stopped = (async () => {
      await server.close();
      await listener.shutdown();
      return true;
    })();
    if (
      !await Promise.race([
        stopped,
        sleep(SHUTDOWN_TIMEOUT_MS).then(() => false),
      ])
    ) {
      await io.err(
        `serverpush serve: connections still open ${
          SHUTDOWN_TIMEOUT_MS / 1000
        } s after the stop signal; exiting anyway\n`,
      );
    }
    return EXIT_OK;
  },
};
