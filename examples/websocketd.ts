// Copyright 2026 the serverpush authors. MIT license.

/**
 * websocketd in a few lines: puts any command-line program behind a
 * WebSocket. Every connection to `/` starts the command; each text message
 * is a line on its stdin, each line it writes to stdout is a text message.
 *
 * ```sh
 * deno run -A examples/websocketd.ts --port 8080 -- sh examples/websocketd/greeter.sh
 * deno run -A examples/websocketd.ts --port 8081 --allow-origin '*' \
 *   -- sh examples/websocketd/chat.sh /tmp/chat.log
 * ```
 *
 * Options (before `--`):
 *
 * - `--port N` (default 8080; `0` picks a free one), `--hostname H`
 *   (default 127.0.0.1);
 * - `--max-processes N` (default 16): further connections get HTTP 503
 *   before the upgrade;
 * - `--max-line-bytes N` (default 65536): a longer stdout line kills the
 *   process and closes with 1009; a longer message closes with 1009;
 * - `--allow-origin ORIGIN` (repeatable) or `--allow-origin '*'`: pages of
 *   other origins allowed to connect (default: same origin only; clients
 *   that send no `Origin`, such as command-line tools, always pass);
 * - `--kill-grace-ms N` (default 2000): SIGTERM to SIGKILL delay;
 * - `--quiet-stderr`: discard the command's stderr (default: inherit).
 *
 * A text message is written to stdin followed by LF, so a message holding
 * line feeds becomes several lines; a binary message closes with 1003. Each
 * stdout line (split on LF, a CR before it dropped, invalid UTF-8 replaced
 * by U+FFFD) is one text message; stdout is not read while the client is
 * slow. The connection closes with 1000 `exit 0` when the command succeeds,
 * 1011 `exit <code>` or `signal <name>` otherwise. Closing the connection
 * stops the command (stdin closed, SIGTERM, then SIGKILL).
 * Prints `listening on <port>` once ready; SIGINT or SIGTERM stop every
 * command and the server.
 *
 * @module
 */

import {
  serveWebsocketd,
  type ServeWebsocketdOptions,
} from "./websocketd/serve.ts";

const USAGE =
  "usage: websocketd.ts [--port N] [--hostname H] [--max-processes N] " +
  "[--max-line-bytes N] [--allow-origin ORIGIN|*]... [--kill-grace-ms N] " +
  "[--quiet-stderr] -- <command> [args...]";

/**
 * Parses the command line of `examples/websocketd.ts`.
 *
 * @param args The arguments, such as `Deno.args`.
 * @returns The server options.
 * @throws {TypeError} With the usage line, if the arguments are wrong.
 *
 * @example Parse a command line
 * ```ts
 * import { parseWebsocketdArgs } from "./websocketd.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * deepStrictEqual(
 *   parseWebsocketdArgs(["--port", "0", "--allow-origin", "*", "--", "cat", "-u"]),
 *   { port: 0, origins: "any", command: "cat", args: ["-u"] },
 * );
 * ```
 */
export function parseWebsocketdArgs(
  args: readonly string[],
): ServeWebsocketdOptions {
  const separator = args.indexOf("--");
  const flags = separator === -1 ? args : args.slice(0, separator);
  const [command, ...rest] = separator === -1 ? [] : args.slice(separator + 1);
  if (command === undefined || command === "") {
    throw new TypeError(
      `Cannot parse arguments: no command after "--"\n${USAGE}`,
    );
  }
  const options: ServeWebsocketdOptions = { command, args: rest };
  const origins: string[] = [];
  let anyOrigin = false;

  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === "--quiet-stderr") {
      options.stderr = "null";
      continue;
    }
    const value = flags[++i];
    if (value === undefined) {
      throw new TypeError(
        `Cannot parse arguments: "${flag}" needs a value\n${USAGE}`,
      );
    }
    switch (flag) {
      case "--port":
        options.port = integer(flag, value, 0);
        break;
      case "--hostname":
        options.hostname = value;
        break;
      case "--max-processes":
        options.maxProcesses = integer(flag, value, 1);
        break;
      case "--max-line-bytes":
        options.maxLineBytes = integer(flag, value, 1);
        break;
      case "--kill-grace-ms":
        options.killGraceMs = integer(flag, value, 0);
        break;
      case "--allow-origin":
        if (value === "*") anyOrigin = true;
        else origins.push(value);
        break;
      default:
        throw new TypeError(
          `Cannot parse arguments: unknown option "${flag}"\n${USAGE}`,
        );
    }
  }
  if (anyOrigin) options.origins = "any";
  else if (origins.length > 0) options.origins = origins;
  return options;
}

function integer(flag: string, value: string, min: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
    throw new TypeError(
      `Cannot parse arguments: "${flag}" takes an integer of at least ${min}, not "${value}"\n${USAGE}`,
    );
  }
  return number;
}

if (import.meta.main) {
  let options: ServeWebsocketdOptions;
  try {
    options = parseWebsocketdArgs(Deno.args);
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
  const websocketd = serveWebsocketd({
    ...options,
    onListen({ port }): void {
      // deno-lint-ignore no-console
      console.log(`listening on ${port}`);
    },
    onError(error): void {
      // deno-lint-ignore no-console
      console.error(`websocketd: cannot start the command: ${error}`);
    },
  });
  const stop = (): void => {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    void websocketd.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await websocketd.server.finished;
  // Exit explicitly: in Deno 2.9.6, when a server-side socket closes while
  // a client message crosses its close frame, the socket reports code 0 and
  // something of it keeps the process alive after server.shutdown().
  Deno.exit(0);
}
