// Copyright 2026 the serverpush authors. MIT license.

/**
 * Puts one command-line process behind one WebSocket connection, the way
 * websocketd does: text messages become lines on the process's stdin, lines
 * it writes to stdout become text messages.
 *
 * @module
 */

import type { WsCloseInfo, WsConnection } from "@serverpush/serverpush/ws";

/** Default longest stdout line, in bytes (without its line feed): 64 KiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** Default wait between SIGTERM and SIGKILL, in milliseconds. */
export const DEFAULT_KILL_GRACE_MS = 2_000;

const LF = 0x0a;
const CR = 0x0d;
/** RFC 6455 allows at most 123 bytes of close reason; ours stay ASCII. */
const MAX_REASON_CHARS = 123;

/** Options for {@linkcode bridgeProcess}. */
export interface BridgeProcessOptions {
  /**
   * Arguments of the command.
   *
   * @default {[]}
   */
  args?: readonly string[];
  /**
   * Extra environment variables for the process (added to the server's).
   *
   * @default {{}}
   */
  env?: Record<string, string>;
  /**
   * Working directory of the process.
   *
   * @default {undefined}
   */
  cwd?: string;
  /**
   * Longest line, in UTF-8 bytes without its line feed, that the process may
   * write to stdout. A longer one kills the process and closes the
   * connection with 1009. At most this many bytes of one line are buffered.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Milliseconds between SIGTERM and SIGKILL when the process has to be
   * stopped.
   *
   * @default {2000}
   */
  killGraceMs?: number;
  /**
   * Where the process's stderr goes: the server's stderr, or nowhere.
   *
   * @default {"inherit"}
   */
  stderr?: "inherit" | "null";
  /**
   * Aborting it stops the process and closes the connection with 1001
   * ("server shutting down").
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** How a bridged process and its connection ended. */
export interface BridgeResult {
  /** The process's exit status. */
  status: Deno.CommandStatus;
  /** How the connection closed (the close frame received from the client). */
  closed: WsCloseInfo;
}

/** A running bridge. See {@linkcode bridgeProcess}. */
export interface ProcessBridge {
  /** The process id of the command. */
  readonly pid: number;
  /** Resolves once the process has exited and the connection is closed. */
  readonly finished: Promise<BridgeResult>;
}

/**
 * The close code and reason that report a process's exit: 1000 and
 * `exit 0` for success, 1011 and `exit <code>` for a non-zero code, 1011
 * and `signal <name>` for a process killed by a signal.
 *
 * @param status The process's exit status.
 * @returns The close code and reason to send.
 *
 * @example Report exit codes
 * ```ts
 * import { exitCloseFrame } from "./bridge.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * deepStrictEqual(
 *   exitCloseFrame({ success: true, code: 0, signal: null }),
 *   { code: 1000, reason: "exit 0" },
 * );
 * deepStrictEqual(
 *   exitCloseFrame({ success: false, code: 3, signal: null }),
 *   { code: 1011, reason: "exit 3" },
 * );
 * ```
 */
export function exitCloseFrame(
  status: Deno.CommandStatus,
): { code: number; reason: string } {
  if (status.signal !== null) {
    return { code: 1011, reason: `signal ${status.signal}` };
  }
  return {
    code: status.code === 0 ? 1000 : 1011,
    reason: `exit ${status.code}`,
  };
}

/**
 * Starts `command` and bridges it to `connection` until one of them ends.
 *
 * - Each text message is written to stdin followed by a line feed; a
 *   message that itself holds line feeds so becomes several lines. A binary
 *   message closes with 1003. The connection's own limits bound what
 *   arrives (its `maxMessageBytes`, `maxUnreadBytes`).
 * - Each line the process writes to stdout (ended by LF, an optional CR
 *   before it dropped) is sent as one text message, decoded as UTF-8 with
 *   invalid bytes replaced by U+FFFD; a last line without LF is sent at end
 *   of output. While a `send()` waits for a slow client, stdout is not read,
 *   so the process blocks on a full pipe instead of memory growing. A line
 *   over `maxLineBytes` kills the process and closes with 1009.
 * - When the process exits (and its stdout has ended), the connection
 *   closes with {@linkcode exitCloseFrame}: 1000 `exit 0`, or 1011 with
 *   `exit <code>` / `signal <name>`.
 * - When the connection closes first, stdin is closed and the process gets
 *   SIGTERM, then SIGKILL after `killGraceMs`.
 *
 * @param connection The accepted connection; the bridge reads and sends on
 * it and nothing else should.
 * @param command The program to run.
 * @param options Arguments, environment, limits, shutdown signal.
 * @returns The running bridge.
 * @throws {Deno.errors.NotFound} If the command cannot be started.
 * @throws {RangeError} If `maxLineBytes` or `killGraceMs` is out of range.
 * In both cases the connection is closed with 1011 "Cannot start command".
 *
 * @example Bridge a greeter
 * ```ts ignore
 * import { acceptWebSocket } from "@serverpush/serverpush/ws";
 * import { bridgeProcess } from "./bridge.ts";
 *
 * Deno.serve(async (request) => {
 *   const { response, connection } = await acceptWebSocket(request);
 *   if (connection !== undefined) {
 *     bridgeProcess(connection, "sh", { args: ["greeter.sh"] });
 *   }
 *   return response;
 * });
 * ```
 */
export function bridgeProcess(
  connection: WsConnection,
  command: string,
  options: BridgeProcessOptions = {},
): ProcessBridge {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let child: Deno.ChildProcess;
  try {
    if (!(maxLineBytes >= 0)) {
      throw new RangeError(
        `Cannot bridge process: maxLineBytes ${maxLineBytes} is not a non-negative number`,
      );
    }
    if (!(killGraceMs >= 0 && killGraceMs < 2 ** 31)) {
      throw new RangeError(
        `Cannot bridge process: killGraceMs ${killGraceMs} is not a number of milliseconds below 2 ** 31`,
      );
    }
    child = new Deno.Command(command, {
      args: [...(options.args ?? [])],
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdin: "piped",
      stdout: "piped",
      stderr: options.stderr ?? "inherit",
    }).spawn();
  } catch (error) {
    void connection.close(1011, "Cannot start command");
    throw error;
  }

  let exited = false;
  let stopping = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const status = child.status.then((status) => {
    exited = true;
    clearTimeout(killTimer);
    return status;
  });
  const stdin = child.stdin.getWriter();
  const stdout = child.stdout.getReader();

  function signal(name: Deno.Signal): void {
    if (exited) return;
    try {
      child.kill(name);
    } catch (error) {
      // The process exited between the check and the kill.
      if (!(error instanceof TypeError)) throw error;
    }
  }

  /** Stops the process (once): stdin closed, SIGTERM, later SIGKILL. */
  function stop(): void {
    if (stopping) return;
    stopping = true;
    stdin.close().catch(ignore);
    stdout.cancel().catch(ignore);
    signal("SIGTERM");
    if (!exited) {
      killTimer = setTimeout(() => signal("SIGKILL"), killGraceMs);
    }
  }

  /** Stops the process and closes the connection with `code`. */
  function fail(code: number, reason: string): void {
    stop();
    void connection.close(code, reason.slice(0, MAX_REASON_CHARS));
  }

  const onAbort = (): void => fail(1001, "server shutting down");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  // Connection -> stdin.
  const encoder = new TextEncoder();
  const input = (async (): Promise<void> => {
    let writable = true;
    for await (const message of connection) {
      if (typeof message !== "string") {
        fail(1003, "Cannot bridge message: the command reads text lines");
        break;
      }
      if (!writable || stopping) continue;
      try {
        await stdin.write(encoder.encode(message + "\n"));
      } catch {
        // The process closed its stdin or exited: later messages are
        // dropped, and the exit (if any) closes the connection.
        writable = false;
      }
    }
  })();
  // The client went away (or the connection failed): stop the process.
  void connection.closed.then(stop);

  // stdout -> connection.
  const output = (async (): Promise<void> => {
    const decoder = new TextDecoder();
    let parts: Uint8Array[] = [];
    let partBytes = 0;

    function takeLine(tail: Uint8Array): string {
      let line: Uint8Array;
      if (parts.length === 0) {
        line = tail;
      } else {
        line = new Uint8Array(partBytes + tail.length);
        let at = 0;
        for (const part of parts) {
          line.set(part, at);
          at += part.length;
        }
        line.set(tail, at);
        parts = [];
        partBytes = 0;
      }
      const end = line.length > 0 && line[line.length - 1] === CR
        ? line.length - 1
        : line.length;
      return decoder.decode(line.subarray(0, end));
    }

    const tooLong =
      `Cannot send line: it exceeds maxLineBytes of ${maxLineBytes}`;
    try {
      while (!stopping) {
        const { value, done } = await stdout.read();
        if (done) break;
        let start = 0;
        while (start <= value.length) {
          const lf = value.indexOf(LF, start);
          if (lf === -1) {
            const rest = value.subarray(start);
            if (partBytes + rest.length > maxLineBytes) {
              fail(1009, tooLong);
              return;
            }
            if (rest.length > 0) {
              parts.push(rest);
              partBytes += rest.length;
            }
            break;
          }
          if (partBytes + lf - start > maxLineBytes) {
            fail(1009, tooLong);
            return;
          }
          const line = takeLine(value.subarray(start, lf));
          start = lf + 1;
          // Backpressure: stdout is not read while the client is slow.
          await connection.send(line);
        }
      }
      if (!stopping && partBytes > 0) {
        await connection.send(takeLine(new Uint8Array()));
      }
    } catch {
      // send() rejects once the connection is closing or closed, and the
      // stdout read rejects once stop() cancelled it: the close path runs.
      return;
    }
    if (stopping) return;
    const exitStatus = await status;
    if (stopping) return; // the client left while the process was exiting
    const frame = exitCloseFrame(exitStatus);
    void connection.close(frame.code, frame.reason);
  })();

  const finished = (async (): Promise<BridgeResult> => {
    await output;
    const exitStatus = await status;
    const closed = await connection.closed;
    await input;
    stdin.close().catch(ignore);
    options.signal?.removeEventListener("abort", onAbort);
    return { status: exitStatus, closed };
  })();

  return { pid: child.pid, finished };
}

/** A rejection that has nowhere to go: the stream is already shut. */
function ignore(): void {}
