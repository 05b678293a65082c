// Copyright 2026 the serverpush authors. MIT license.
// The `serve` subcommand: a standalone hub with every transport at
// /hub/<topic>, `/metrics` and `/inspector`. `createServeHandler` assembles
// the handler: the backend (memory, Redis or Deno KV), the publish and
// subscribe checks (tokens or JWTs), the metrics and the inspector.

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
import { authorizeWithJwt, type JwtHooks } from "../auth/authorize_with_jwt.ts";
import { createHubHandler } from "../serve/create_hub_handler.ts";
import { createInspector } from "../serve/create_inspector.ts";
import { createMetricsHandler } from "../serve/create_metrics_handler.ts";
import type {
  HubAuthorize,
  HubHandler,
  HubRequestInfo,
} from "../serve/hub_handler_options.ts";
import { serve } from "../serve/serve.ts";
import type { Server } from "../serve/server.ts";
import type { OriginPolicy } from "../ws/check_origin.ts";
import type { PresenceIdentity } from "../message/source.ts";
import { topicMatches } from "../_internal/topic_pattern.ts";

/** How long a stop waits for connections to end before exiting anyway. */
const SHUTDOWN_TIMEOUT_MS = 5000;

const HELP = `Usage: serverpush serve [options]

Runs a standalone hub: every topic at /hub/<topic> over Server-Sent Events,
WebSocket (one topic per connection, or several with the serverpush.v1
subprotocol), long polling, short polling and the iframe stream. Publish
with one POST to /hub/<topic> and "Authorization: Bearer <token>".
Prometheus metrics are at /metrics; a live page of connections and topics
is at /inspector (from loopback only, unless --open-inspector).

Options:
  --port N              port to listen on, 0 for any free one (default 8080)
  --hostname H          address to listen on (default 127.0.0.1)
  --redis URL           keep messages in Redis (redis://host:port), so they
                        survive a restart and several servers share topics
  --kv PATH             keep messages in a Deno KV file, so they survive a
                        restart (needs deno run --unstable-kv)
  --allow-origin O      an origin whose pages may use the hub besides the
                        same origin: WebSockets, and SSE, polling and POST
                        with CORS (repeatable; "*" for any, without cookies)
  --publish-token T     a token that may publish (repeatable); without a
                        token (or a JWT option) publishing is refused
  --ws-publish          let WebSocket clients publish too (same checks)
  --jwt-secret S        accept HS256 JWTs signed with S; subscribing then
                        needs a JWT too. A JWT grants topics in its claim
                        "serverpush": {"subscribe": ["news/*"], "publish":
                        ["news/today"]} ("*" is every topic)
  --jwt-jwks FILE       as --jwt-secret, for JWTs (RS256, ES256, EdDSA,
                        HS256) signed by the keys of the JWK Set in FILE
  --presence P          keep presence on the topics that pattern P covers
                        ("room/*", "*" for all; repeatable): a subscriber
                        whose JWT has a "sub" is a member while subscribed
                        (its "name" claim, if any, is its public info), and
                        ?presence=1 streams joins and leaves. Needs --jwt-*
  --stamp-from          stamp each message a JWT's holder publishes with its
                        "sub" as "from". Needs --jwt-*
  --open-inspector      let any address open /inspector (default: loopback)
  --replay N            messages kept per topic for resuming (default 1000)
  -h, --help            this help

The token of a JWT is read from "Authorization: Bearer", ?access_token=
(for EventSource and polling), or the WebSocket subprotocol
"access_token.<token>"; a JWT must have an "exp", and a stream is
closed when its token expires.

Prints "listening on http://HOST:PORT/hub/" once ready; SIGINT or SIGTERM
ends every stream and stops. Exit codes: 0 stopped, 1 failed, 2 bad usage.

Example:
  serverpush serve --port 8080 --publish-token s3cret
  serverpush publish http://127.0.0.1:8080/hub/news hi --token s3cret
  serverpush serve --kv hub.db --jwt-secret "$JWT_SECRET"
  serverpush serve --jwt-secret "$JWT_SECRET" --presence "room/*"
  serverpush listen http://127.0.0.1:8080/hub/room/1 --presence \
    --header "Authorization: Bearer $TOKEN"
`;

/** Options of {@linkcode createServeHandler}, from the `serve` command line. */
export interface ServeOptions {
  /** Redis URL of the backend; memory when absent. */
  redis?: string | undefined;
  /** Deno KV path of the backend (needs `--unstable-kv`). */
  kv?: string | undefined;
  /** Origins allowed besides the same origin; `"*"` for any. */
  allowOrigins?: readonly string[];
  /** Tokens that may publish (`Authorization: Bearer`). */
  publishTokens?: readonly string[];
  /** Let WebSocket clients publish. */
  wsPublish?: boolean;
  /** HS256 secret of accepted JWTs. */
  jwtSecret?: string | undefined;
  /** File with the JWK Set of accepted JWTs. */
  jwtJwks?: string | undefined;
  /** Let any address open `/inspector`, not only loopback. */
  openInspector?: boolean;
  /**
   * Topic patterns (`room/*`, `*`) whose topics keep presence, members
   * being the subjects of verified JWTs (needs a JWT option).
   */
  presence?: readonly string[];
  /** Stamp a JWT holder's publishes with its subject (needs a JWT option). */
  stampFrom?: boolean;
  /** Messages kept per topic (memory backend) or stream length (Redis). */
  replay?: number;
  /** Reports errors that have no response to go to. */
  onError?: (error: unknown) => void;
}

/** What {@linkcode createServeHandler} assembled. */
export interface ServeHandler {
  /** The request handler of the whole server. */
  handler: (request: Request, info?: HubRequestInfo) => Promise<Response>;
  /** The hub behind it. */
  hub: Hub;
  /** Ends every stream (call before `server.shutdown()`), then the hub. */
  close(): Promise<void>;
}

/** Whether a peer is on this machine (the inspector's default check). */
function isLoopback(info: HubRequestInfo | undefined): boolean {
  const host = info?.remoteAddr?.hostname ?? "";
  return host === "::1" || host === "::ffff:127.0.0.1" ||
    /^127\./.test(host);
}

/** The JWT hooks of `--jwt-secret` or `--jwt-jwks`, if given. */
async function jwtHooks(options: ServeOptions): Promise<JwtHooks | undefined> {
  if (options.jwtSecret !== undefined) {
    try {
      return authorizeWithJwt({ secret: options.jwtSecret });
    } catch (error) {
      throw new CliError(`Cannot use --jwt-secret: ${errorText(error)}`);
    }
  }
  if (options.jwtJwks === undefined) return undefined;
  let jwks: unknown;
  try {
    jwks = JSON.parse(await Deno.readTextFile(options.jwtJwks));
  } catch (error) {
    throw new CliError(
      `Cannot read --jwt-jwks ${options.jwtJwks}: ${
        errorText(error)
      } (give a JSON file {"keys": [...]})`,
    );
  }
  try {
    return authorizeWithJwt({ jwks } as Parameters<typeof authorizeWithJwt>[0]);
  } catch (error) {
    throw new CliError(
      `Cannot use --jwt-jwks ${options.jwtJwks}: ${errorText(error)}`,
    );
  }
}

/** Longest client id the hub handler takes. */
const MAX_CLIENT_ID_LENGTH = 256;

/**
 * Who sent a request: the subject of its verified JWT, with the token's
 * `name` claim as public info; anonymous without a valid token or `sub`.
 */
function identifyWithJwt(
  jwt: JwtHooks,
): (request: Request) => Promise<PresenceIdentity | undefined> {
  return async (request) => {
    let claims: Record<string, unknown>;
    try {
      claims = await jwt.claims(request);
    } catch {
      // No token, or a bad one: the authorization hooks answer for it.
      return undefined;
    }
    const { sub, name } = claims;
    if (
      typeof sub !== "string" || sub === "" || sub.length > MAX_CLIENT_ID_LENGTH
    ) {
      return undefined;
    }
    return typeof name === "string"
      ? { clientId: sub, info: { name } }
      : { clientId: sub };
  };
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
  if (options.kv !== undefined) {
    if (typeof (Deno as { openKv?: unknown }).openKv !== "function") {
      throw new CliError(
        "Cannot use --kv: Deno KV is unavailable in this run (start it with deno run --unstable-kv, as deno task cli does, or use --redis)",
      );
    }
    const { createKvBackend } = await import("../hub/kv.ts");
    const backend = createKvBackend(options.kv, {
      ...(options.replay === undefined ? {} : { maxMessages: options.replay }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    try {
      // Opens the file now, so that a bad path fails at start.
      await backend.read("serverpush-serve-start", { last: 1, limit: 1 });
    } catch (error) {
      await backend.close().catch(() => undefined);
      throw new CliError(`Cannot open --kv ${options.kv}: ${errorText(error)}`);
    }
    return backend;
  }
  if (options.redis === undefined) return undefined;
  const { createRedisBackend } = await import("../hub/redis.ts");
  return createRedisBackend({
    url: options.redis,
    ...(options.replay === undefined ? {} : { maxLen: options.replay }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}

/**
 * Assembles the `serve` command's server: a hub on the chosen backend, one
 * handler with every transport at `/hub/<topic>` (publishing refused unless
 * a publish token or a JWT grants it; with a JWT option subscribing needs a
 * JWT too), the Prometheus metrics at `/metrics` and the inspector at
 * `/inspector` (loopback only unless `openInspector`).
 */
export async function createServeHandler(
  options: ServeOptions,
): Promise<ServeHandler> {
  const jwt = await jwtHooks(options);
  const patterns = options.presence ?? [];
  const stampFrom = options.stampFrom === true;
  if (jwt === undefined && (patterns.length > 0 || stampFrom)) {
    throw new CliError(
      `Cannot use ${
        patterns.length > 0 ? "--presence" : "--stamp-from"
      }: clients are known by their JWT's "sub", so give --jwt-secret or --jwt-jwks`,
    );
  }
  const presence = patterns.length === 0
    ? false
    : (topic: string) =>
      patterns.some((pattern) => topicMatches(pattern, topic));
  const backend = await openBackend(options);
  const hub = backend === undefined
    ? new Hub({
      presence,
      ...(options.replay === undefined
        ? {}
        : { replay: { maxMessages: options.replay } }),
    })
    : new Hub({ backend, presence });
  const stop = new AbortController();
  const origins: readonly string[] = options.allowOrigins ?? [];
  const originPolicy: OriginPolicy = origins.includes("*")
    ? "any"
    : origins.length === 0
    ? "same-origin"
    : origins;
  const tokens = options.publishTokens ?? [];
  const byToken = tokens.length === 0 ? undefined : tokenAuthorize(tokens);
  const authorizePublish: HubAuthorize = jwt === undefined
    ? byToken ?? (() => false)
    : byToken === undefined
    ? jwt.authorizePublish
    // Either a publish token or a JWT that grants the topic.
    : (request, topic) =>
      bearerToken(request) !== undefined &&
        tokens.includes(bearerToken(request)!)
        ? true
        : jwt.authorizePublish(request, topic);
  const hubHandler: HubHandler = createHubHandler(hub, {
    prefix: "/hub",
    origins: originPolicy,
    cors: origins.length > 0,
    authorizePublish,
    ...(jwt === undefined ? {} : {
      authorizeSubscribe: jwt.authorizeSubscribe,
      expiresAt: jwt.expiresAt,
    }),
    ...(jwt !== undefined && (patterns.length > 0 || stampFrom)
      ? { identify: identifyWithJwt(jwt), stampFrom }
      : {}),
    allowPublish: options.wsPublish === true &&
      (tokens.length > 0 || jwt !== undefined),
    signal: stop.signal,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  const metrics = createMetricsHandler(hub);
  const inspector = createInspector(hub, {
    authorize: options.openInspector === true
      ? () => true
      : (_request, info) => isLoopback(info),
    signal: stop.signal,
  });
  const routes = new Map<
    string,
    (request: Request, info?: HubRequestInfo) => Promise<Response>
  >([
    ["/metrics", metrics],
    ["/inspector", inspector],
  ]);
  return {
    hub,
    handler(request: Request, info?: HubRequestInfo): Promise<Response> {
      const { pathname } = new URL(request.url);
      const route = routes.get(pathname);
      if (route !== undefined) return route(request, info);
      if (pathname === "/hub" || pathname.startsWith("/hub/")) {
        return hubHandler(request, info);
      }
      return Promise.resolve(
        new Response(
          "Not found: topics are at /hub/<topic>, metrics at /metrics, the inspector at /inspector\n",
          {
            status: 404,
            headers: { "content-type": "text/plain; charset=utf-8" },
          },
        ),
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
      "open-inspector": { type: "boolean" },
      presence: { type: "string", multiple: true },
      "stamp-from": { type: "boolean" },
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
    const presence = stringList(parsed, "presence");
    const bad = presence.find((pattern) =>
      pattern === "" || /\s/.test(pattern) ||
      (pattern.includes("*") && pattern !== "*" &&
        !(pattern.endsWith("/*") && !pattern.slice(0, -1).includes("*")))
    );
    if (bad !== undefined) {
      throw new UsageError(
        `Cannot read --presence: "${bad}" is not a topic, "prefix/*" or "*"`,
      );
    }
    const stampFrom = parsed.values["stamp-from"] === true;
    const jwtGiven = jwtSecret !== undefined || jwtJwks !== undefined;
    if (!jwtGiven && (presence.length > 0 || stampFrom)) {
      throw new UsageError(
        `Cannot run serve: ${
          presence.length > 0 ? "--presence" : "--stamp-from"
        } needs --jwt-secret or --jwt-jwks (clients are known by their JWT's "sub")`,
      );
    }
    const server = await createServeHandler({
      redis,
      kv,
      jwtSecret,
      jwtJwks,
      presence,
      stampFrom,
      openInspector: parsed.values["open-inspector"] === true,
      allowOrigins: stringList(parsed, "allow-origin"),
      publishTokens: tokens,
      wsPublish: parsed.values["ws-publish"] === true,
      ...(replay === undefined ? {} : { replay }),
      onError(error) {
        void io.err(`serverpush serve: ${errorText(error)}\n`);
      },
    });
    let listener: Server;
    try {
      listener = await serve({
        port,
        hostname,
        onError(error) {
          void io.err(`serverpush serve: ${errorText(error)}\n`);
        },
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
    const backendName = redis !== undefined
      ? `redis ${redis}`
      : kv !== undefined
      ? `kv ${kv}`
      : "memory";
    const publishing = jwtSecret === undefined && jwtJwks === undefined
      ? tokens.length === 0
        ? "refused (no --publish-token or --jwt-*)"
        : "needs a token"
      : tokens.length === 0
      ? "needs a JWT that grants it"
      : "needs a token or a JWT that grants it";
    const subscribing = jwtSecret === undefined && jwtJwks === undefined
      ? "open"
      : "needs a JWT that grants it";
    const presenceText = presence.length === 0
      ? ""
      : `; presence on ${presence.join(", ")}`;
    await io.err(
      `serverpush serve: ${backendName} backend; publishing ${publishing}; subscribing ${subscribing}${presenceText}${
        stampFrom ? "; publishes stamped with the sender" : ""
      }; inspector ${
        parsed.values["open-inspector"] === true
          ? "open to any address"
          : "loopback only"
      }\n`,
    );
    await io.out(
      `listening on http://${host}:${actual}/hub/ (metrics at /metrics, inspector at /inspector)\n`,
    );
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
