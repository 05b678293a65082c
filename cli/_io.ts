// Copyright 2026 the serverpush authors. MIT license.
// Private: what a subcommand reads and writes, so that every command writes
// through one place (library code never uses the console) and the exit codes
// and one-line errors stay the same across commands.

const encoder = new TextEncoder();

/** Exit code of a command that did what it was asked. */
export const EXIT_OK = 0;
/** Exit code of a command that failed (network, server, refused). */
export const EXIT_FAILURE = 1;
/** Exit code of a command line that is wrong (unknown option, bad value). */
export const EXIT_USAGE = 2;

/** A command line that cannot be run: exit code 2, one line on stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the user can act on: exit code 1, one line on stderr. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
  }
}

/** Where a command writes, and whether to colour it. */
export interface CliIo {
  /** Writes text to stdout. */
  out(text: string): Promise<void>;
  /** Writes text to stderr. */
  err(text: string): Promise<void>;
  /** Whether stdout is a terminal. */
  readonly stdoutIsTerminal: boolean;
  /** Whether stderr is a terminal. */
  readonly stderrIsTerminal: boolean;
  /** Whether colours are allowed (`NO_COLOR` unset). */
  readonly color: boolean;
  /** Aborted on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
}

async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  text: string,
): Promise<void> {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    const n = await writer.write(bytes);
    bytes = bytes.subarray(n);
  }
}

function noColor(): boolean {
  try {
    const value = Deno.env.get("NO_COLOR");
    return value !== undefined && value !== "";
  } catch {
    // Without --allow-env, assume colours are fine.
    return false;
  }
}

/** The process's stdout, stderr and signals. */
export function processIo(signal: AbortSignal): CliIo {
  const stdoutIsTerminal = Deno.stdout.isTerminal();
  const stderrIsTerminal = Deno.stderr.isTerminal();
  let pending: Promise<void> = Promise.resolve();
  let pendingErr: Promise<void> = Promise.resolve();
  return {
    out(text: string): Promise<void> {
      pending = pending.then(() => writeAll(Deno.stdout, text));
      return pending;
    },
    err(text: string): Promise<void> {
      pendingErr = pendingErr.then(() => writeAll(Deno.stderr, text));
      return pendingErr;
    },
    stdoutIsTerminal,
    stderrIsTerminal,
    color: !noColor(),
    signal,
  };
}

/** ANSI colour helpers that do nothing when colours are off. */
export interface Paint {
  dim(text: string): string;
  bold(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
}

/** Colours for output on a terminal, plain text otherwise. */
export function paint(enabled: boolean): Paint {
  const wrap = (open: number, close: number) => (text: string): string =>
    enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    dim: wrap(2, 22),
    bold: wrap(1, 22),
    cyan: wrap(36, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    red: wrap(31, 39),
  };
}

/** Text of any thrown value, on one line. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, " ");
}

/** One subcommand: its help text and what it runs. */
export interface CliCommand {
  /** The subcommand's name. */
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The whole `--help` text. */
  readonly help: string;
  /**
   * Runs the command with the arguments after its name (without `--help`,
   * which `main` answers). Resolves to the exit code; throws a UsageError
   * or CliError to exit with 2 or 1 and one line on stderr.
   */
  run(args: readonly string[], io: CliIo): Promise<number>;
}
