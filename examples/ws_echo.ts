// Copyright 2026 the serverpush authors. MIT license.

/**
 * A WebSocket echo server, the shape conformance suites (such as the
 * Autobahn|Testsuite fuzzing client) drive:
 *
 * ```sh
 * deno run -A examples/ws_echo.ts --port 9001 --engine codec --deflate
 * deno run -A examples/ws_echo.ts --port 9002 --engine native --allow-origin '*'
 * ```
 *
 * Every text or binary message at `/` on 127.0.0.1 comes back with the same
 * type and payload; a close is answered with the peer's code. Limits are the
 * defaults except `maxMessageBytes` of 64 MiB. The Origin policy is
 * same-origin unless `--allow-origin` widens it (`*` for any; repeat the flag
 * for several origins). `--deflate` turns permessage-deflate on (codec engine
 * only). Prints `listening on N` once ready and stops cleanly on SIGINT and
 * SIGTERM.
 *
 * @module
 */

import { permessageDeflate } from "../ws/deflate.ts";
import {
  acceptWebSocket,
  type OriginPolicy,
  serveWebSocket,
  type WsConnection,
} from "../ws/mod.ts";

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Parsed command line of the echo server. */
export interface EchoArgs {
  /** The port; 0 picks a free one. */
  port: number;
  /** Which engine serves. */
  engine: "codec" | "native";
  /** Negotiate permessage-deflate (codec engine). */
  deflate: boolean;
  /** Origins allowed besides the same origin; `"any"` for `*`. */
  origins: OriginPolicy;
}

/**
 * Parses `--port N --engine codec|native [--deflate] [--allow-origin O]`.
 *
 * @param args The command-line arguments.
 * @returns The settings.
 * @throws {TypeError} On an unknown flag or a bad value.
 */
export function parseEchoArgs(args: readonly string[]): EchoArgs {
  let port = 9001;
  let engine: "codec" | "native" = "codec";
  let deflate = false;
  const origins: string[] = [];
  let any = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const [name, inline] = flag.includes("=")
      ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)]
      : [flag, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) {
        throw new TypeError(`Cannot parse arguments: ${name} needs a value`);
      }
      return v;
    };
    switch (name) {
      case "--port":
        port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new TypeError(
            `Cannot parse arguments: port ${args[i]} is not 0 to 65535`,
          );
        }
        break;
      case "--engine": {
        const v = value();
        if (v !== "codec" && v !== "native") {
          throw new TypeError(
            `Cannot parse arguments: engine "${v}" is not "codec" or "native"`,
          );
        }
        engine = v;
        break;
      }
      case "--deflate":
        deflate = true;
        break;
      case "--allow-origin": {
        const v = value();
        if (v === "*") any = true;
        else origins.push(v);
        break;
      }
      default:
        throw new TypeError(`Cannot parse arguments: unknown flag "${flag}"`);
    }
  }
  if (deflate && engine === "native") {
    throw new TypeError(
      "Cannot parse arguments: --deflate needs --engine codec (Deno's native server does not compress)",
    );
  }
  const policy: OriginPolicy = any
    ? "any"
    : origins.length > 0
    ? (origin, request) =>
      origin === undefined || origins.includes(origin) ||
      sameOrigin(origin, request)
    : "same-origin";
  return { port, engine, deflate, origins: policy };
}

function sameOrigin(origin: string, request: Request): boolean {
  if (!URL.canParse(origin)) return false;
  return new URL(origin).host === request.headers.get("host");
}

/** Sends every message back; ends when the connection closes. */
async function echo(connection: WsConnection): Promise<void> {
  try {
    for await (const message of connection) await connection.send(message);
  } catch {
    // send() rejects once the peer has gone: the loop is over anyway.
  }
}

/** A running echo server. */
export interface EchoServer {
  /** The port it listens on. */
  port: number;
  /** Stops listening and closes every connection with 1001. */
  shutdown(): Promise<void>;
}

/**
 * Starts the echo server with parsed settings.
 *
 * @param args What {@linkcode parseEchoArgs} returned.
 * @returns The running server.
 */
export function startEcho(args: EchoArgs): EchoServer {
  if (args.engine === "codec") {
    const server = serveWebSocket({
      port: args.port,
      hostname: "127.0.0.1",
      deflate: args.deflate ? permessageDeflate() : false,
      origins: args.origins,
      maxMessageBytes: MAX_MESSAGE_BYTES,
    }, echo);
    return { port: server.addr.port, shutdown: () => server.shutdown() };
  }
  const connections = new Set<WsConnection>();
  const server = Deno.serve({
    port: args.port,
    hostname: "127.0.0.1",
    onListen(): void {},
  }, async (request, info) => {
    const { response, connection } = await acceptWebSocket(request, {
      origins: args.origins,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      remoteAddr: info.remoteAddr,
    });
    if (connection !== undefined) {
      connections.add(connection);
      connection.closed.then(() => connections.delete(connection));
      void echo(connection);
    }
    return response;
  });
  return {
    port: server.addr.port,
    async shutdown(): Promise<void> {
      await Promise.all([...connections].map((c) => c.close(1001)));
      await server.shutdown();
    },
  };
}

if (import.meta.main) {
  let args: EchoArgs;
  try {
    args = parseEchoArgs(Deno.args);
  } catch (error) {
    // deno-lint-ignore no-console
    console.error((error as Error).message);
    Deno.exit(2);
  }
  const server = startEcho(args);
  // deno-lint-ignore no-console
  console.log(`listening on ${server.port}`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
