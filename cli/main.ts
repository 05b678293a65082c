// Copyright 2026 the serverpush authors. MIT license.

/**
 * The `serverpush` command: watch a topic, talk to a WebSocket, publish,
 * run a standalone hub, and load-test a server.
 *
 * ```sh
 * serverpush listen http://127.0.0.1:8080/hub/news
 * serverpush send ws://127.0.0.1:9001/
 * serverpush publish http://127.0.0.1:8080/hub/news "hello" --token s3cret
 * serverpush serve --port 8080 --publish-token s3cret
 * serverpush bench http://127.0.0.1:8080/hub/load --clients 1000 --token s3cret
 * ```
 *
 * Every subcommand has `--help`. Exit codes: 0 success, 1 failure, 2 bad
 * usage; errors are one line on stderr that says what to do. See
 * `docs/cli.md` for each command with its output.
 *
 * @example Run a subcommand from code
 * ```ts
 * import { main } from "@serverpush/serverpush/cli";
 * import { strictEqual } from "node:assert/strict";
 *
 * // An unknown subcommand is bad usage: exit code 2.
 * strictEqual(await main(["frobnicate"], { quiet: true }), 2);
 * ```
 *
 * @module
 */

import { benchCommand } from "./bench.ts";
import {
  type CliCommand,
  CliError,
  type CliIo,
  errorText,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  processIo,
  UsageError,
} from "./_io.ts";
import { listenCommand } from "./listen.ts";
import { publishCommand } from "./publish.ts";
import { sendCommand } from "./send.ts";
import { serveCommand } from "./serve.ts";

const COMMANDS: readonly CliCommand[] = [
  listenCommand,
  sendCommand,
  publishCommand,
  serveCommand,
  benchCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `Usage: serverpush <command> [options]

Commands:
${
    COMMANDS.map((command) =>
      `  ${command.name.padEnd(width)}  ${command.summary}`
    ).join("\n")
  }

Run "serverpush <command> --help" for the options of one command.
Exit codes: 0 success, 1 failure, 2 bad usage.
`;
}

/** Options of {@linkcode main}. */
export interface MainOptions {
  /**
   * Write nothing (for a caller that only wants the exit code).
   *
   * @default {false}
   */
  quiet?: boolean;
  /**
   * Stops a running command (as SIGINT does), for example a `listen` or
   * `serve` started from code.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

function quietIo(signal: AbortSignal): CliIo {
  return {
    out: () => Promise.resolve(),
    err: () => Promise.resolve(),
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    color: false,
    signal,
  };
}

/**
 * Runs the `serverpush` command line and resolves to its exit code: 0
 * success, 1 failure, 2 bad usage (an unknown command or option, a value
 * out of range). A failure is reported as one line on stderr.
 *
 * @param args The arguments after the program name, for example
 * `["publish", url, "hello"]`.
 * @param options Quiet mode and a stop signal.
 * @returns The exit code.
 *
 * @example Ask for the help of a subcommand
 * ```ts
 * import { main } from "@serverpush/serverpush/cli";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(await main(["publish", "--help"], { quiet: true }), 0);
 * strictEqual(await main(["publish"], { quiet: true }), 2);
 * ```
 */
export async function main(
  args: readonly string[],
  options: MainOptions = {},
): Promise<number> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const io = options.quiet === true
    ? quietIo(stop.signal)
    : processIo(stop.signal);
  const [name, ...rest] = args;
  try {
    if (
      name === undefined || name === "--help" || name === "-h" ||
      name === "help"
    ) {
      await io.out(overview());
      return name === undefined ? EXIT_USAGE : EXIT_OK;
    }
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (command === undefined) {
      throw new UsageError(
        `Cannot run "${name.slice(0, 40)}": no such command (commands: ${
          COMMANDS.map((c) => c.name).join(", ")
        }; see: serverpush --help)`,
      );
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      await io.out(command.help);
      return EXIT_OK;
    }
    return await command.run(rest, io);
  } catch (error) {
    await io.err(`serverpush: ${errorText(error)}\n`);
    if (error instanceof UsageError) return EXIT_USAGE;
    if (!(error instanceof CliError)) return EXIT_FAILURE;
    return EXIT_FAILURE;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function onSignals(controller: AbortController): () => void {
  const stop = (): void => controller.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  return () => {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  };
}

if (import.meta.main) {
  const controller = new AbortController();
  const removeSignals = onSignals(controller);
  const code = await main(Deno.args, { signal: controller.signal });
  removeSignals();
  Deno.exit(code);
}
