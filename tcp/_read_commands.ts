// Copyright 2026 the serverpush authors. MIT license.
// What the relay reads from a client: a Flash policy-file request as the
// very first bytes, then the commands `subscribe <topic> [<last id>]` and
// `unsubscribe <topic>`; anything else only counts as activity.

import type { NulDelimitedMode } from "./nul_delimited_mode.ts";
import { createSplitter } from "./_framing.ts";
import type { Connection } from "./_connection.ts";
import { errorMessage } from "./_relay_frames.ts";
import { matchPolicyRequest, POLICY_REQUEST } from "./_policy_file.ts";
import { subscribe, type SubscribeContext } from "./_subscribe.ts";

const COMMAND_REGEXP = /^(subscribe|unsubscribe) +(\S+)(?: +(\S+))?$/;
const READ_BUFFER_BYTES = 1024;

/** What reading a connection needs from its relay. */
export interface CommandContext extends SubscribeContext {
  /** The message delimiter. */
  readonly mode: NulDelimitedMode;
  /** Largest message a client may send. */
  readonly maxCommandBytes: number;
  /** The answer to a policy request; `undefined` to not answer. */
  readonly policyFrame: Uint8Array | undefined;
}

/** Runs one command from `connection`; unknown messages are ignored. */
export function runCommand(
  connection: Connection,
  text: string,
  context: SubscribeContext,
): void {
  if (connection.closing || connection.closed) return;
  const match = COMMAND_REGEXP.exec(text.trim());
  if (match === null) return;
  const topic = match[2]!;
  if (match[1] === "subscribe") subscribe(connection, topic, match[3], context);
  else if (match[3] === undefined) {
    connection.subscriptions.get(topic)?.abort();
  }
}

/**
 * Reads `connection` until it ends: answers a policy request while the id
 * is held, runs commands, and closes the connection at the end (after an
 * error message if a message exceeds maxCommandBytes).
 */
export async function readCommands(
  connection: Connection,
  context: CommandContext,
): Promise<void> {
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  const splitter = createSplitter(
    {
      mode: context.mode,
      maxMessageBytes: context.maxCommandBytes,
      fatal: false,
    },
    (text) => {
      // Only a complete message is activity: not a byte trickled alone.
      connection.lastActivity = performance.now();
      runCommand(connection, text, context);
    },
  );
  // Bytes of POLICY_REQUEST received so far, while the id is held.
  let matched = 0;
  try {
    while (!connection.closed) {
      const n = await connection.conn.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      if (connection.held) {
        const next = matchPolicyRequest(chunk, matched);
        if (next !== -1) {
          matched = next;
          if (matched < POLICY_REQUEST.length) continue;
          // Held only when there is a policy frame to answer with.
          connection.answerInstead(context.policyFrame!);
          return;
        }
        connection.release();
      }
      if (matched > 0) {
        splitter.push(POLICY_REQUEST.subarray(0, matched));
        matched = 0;
      }
      if (connection.closing) continue;
      splitter.push(chunk);
    }
  } catch (error) {
    if (error instanceof RangeError && !connection.closed) {
      // The client sent a message longer than maxCommandBytes.
      connection.closeAfter(context.notice(errorMessage(error)));
      return;
    }
    // Otherwise reading failed: the peer reset the connection, or it was
    // closed here.
  }
  connection.close();
}
