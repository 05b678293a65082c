// Copyright 2026 the serverpush authors. MIT license.
// The `send` subcommand: an interactive WebSocket session, like wscat.

import { decodeBase64, encodeBase64 } from "../_internal/base64.ts";
import {
  choiceOption,
  headerOptions,
  parseCommand,
  positionals,
  stringList,
  urlArgument,
} from "./_args.ts";
import {
  type CliCommand,
  CliError,
  type CliIo,
  errorText,
  EXIT_FAILURE,
  EXIT_OK,
  paint,
  UsageError,
} from "./_io.ts";
import { openWsSession, type WsSession } from "./_ws_session.ts";

const HELP = `Usage: serverpush send URL [options]

Opens a WebSocket to URL (ws://, wss://, http:// or https://) and keeps it
open: every line read from stdin is sent as a message, and every message
that arrives is printed on stdout, one per line (on a terminal after a
coloured "< "). Status lines ("connected", "pong", "closed") go to stderr.
At the end of stdin (Ctrl-D) or on Ctrl-C the session sends a close frame
(1000), waits for the server's answer, and exits.

Lines starting with "/" are commands:
  /ping [TEXT]          send a ping; prints "pong (N ms)" when it comes back
  /close [CODE [REASON]] close with CODE (default 1000) and REASON
  /binary DATA          send DATA, written in --binary's encoding (hex by
                        default), as a binary message
  /help                 list the commands
  //TEXT                send "/TEXT" as it is

Options:
  --subprotocol P   offer subprotocol P (repeatable); the chosen one is printed
  --header K:V      a handshake header (repeatable), e.g. "Authorization: Bearer x"
  --binary E        hex or base64: every line is decoded and sent as a binary
                    message, and binary messages are printed in E (without
                    it, binary messages print as "[binary N bytes] <hex>")
  -h, --help        this help

Exit codes: 0 closed normally (1000, 1001 or 1005), 1 failed or closed
with another code, 2 bad usage.

Example:
  printf 'hello\\n/ping\\n' | serverpush send ws://127.0.0.1:9001/
`;

function decodeHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) {
    throw new TypeError(
      `"${clean.slice(0, 20)}" is not hex (two digits a byte)`,
    );
  }
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

function decodeBinary(text: string, encoding: "hex" | "base64"): Uint8Array {
  if (encoding === "hex") return decodeHex(text);
  return decodeBase64(text.trim());
}

/** The lines of stdin, without their line ends. */
async function* stdinLines(): AsyncGenerator<string> {
  let buffered = "";
  for await (
    const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  ) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      yield buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered !== "") yield buffered;
}

/** How long a close waits for the server's close frame. */
const CLOSE_TIMEOUT_MS = 3000;

const COMMANDS_TEXT =
  "commands: /ping [TEXT], /close [CODE [REASON]], /binary DATA, /help, //TEXT sends /TEXT";

interface SendState {
  session: WsSession;
  io: CliIo;
  encoding: "hex" | "base64" | undefined;
  pings: number[];
}

/** Handles one line of stdin; resolves to `false` once the session closes. */
async function handleLine(state: SendState, line: string): Promise<boolean> {
  const { session, io } = state;
  if (line.startsWith("/") && !line.startsWith("//")) {
    const [command, ...rest] = line.slice(1).split(" ");
    switch (command) {
      case "ping":
        state.pings.push(performance.now());
        await session.ping(new TextEncoder().encode(rest.join(" ")));
        return true;
      case "close": {
        const code = rest[0] === undefined ? 1000 : Number(rest[0]);
        if (
          !Number.isInteger(code) ||
          !(code === 1000 || (code >= 3000 && code <= 4999))
        ) {
          await io.err(
            `serverpush send: /close takes 1000 or a code from 3000 to 4999\n`,
          );
          return true;
        }
        await session.close(code, rest.slice(1).join(" "));
        return false;
      }
      case "binary":
        try {
          await session.sendBinary(
            decodeBinary(rest.join(" "), state.encoding ?? "hex"),
          );
        } catch (error) {
          await io.err(`serverpush send: not sent: ${errorText(error)}\n`);
        }
        return true;
      case "help":
        await io.err(`serverpush send: ${COMMANDS_TEXT}\n`);
        return true;
      default:
        await io.err(
          `serverpush send: unknown command "/${
            command?.slice(0, 20)
          }" (${COMMANDS_TEXT})\n`,
        );
        return true;
    }
  }
  const text = line.startsWith("//") ? line.slice(1) : line;
  if (state.encoding === undefined) {
    await session.sendText(text);
  } else {
    try {
      await session.sendBinary(decodeBinary(text, state.encoding));
    } catch (error) {
      await io.err(`serverpush send: not sent: ${errorText(error)}\n`);
    }
  }
  return true;
}

/** `serverpush send`. */
export const sendCommand: CliCommand = {
  name: "send",
  summary: "an interactive WebSocket session: stdin lines out, messages in",
  help: HELP,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommand("send", args, {
      subprotocol: { type: "string", multiple: true },
      header: { type: "string", multiple: true },
      binary: { type: "string" },
    });
    const [urlText] = positionals("send", parsed, ["url"]);
    const url = urlArgument(urlText!, ["ws:", "wss:", "http:", "https:"]);
    const encoding = parsed.values.binary === undefined
      ? undefined
      : choiceOption(parsed, "binary", ["hex", "base64"] as const, "hex");
    const protocols = stringList(parsed, "subprotocol");
    for (const protocol of protocols) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(protocol)) {
        throw new UsageError(
          `Cannot read --subprotocol: "${protocol}" is not a token`,
        );
      }
    }
    let session: WsSession;
    try {
      session = await openWsSession(url, {
        protocols,
        headers: headerOptions(parsed),
      });
    } catch (error) {
      throw new CliError(
        `Cannot connect to ${url.href}: ${
          errorText(error)
        } (is it a WebSocket endpoint, and is the server running?)`,
      );
    }
    const colors = paint(io.color && io.stdoutIsTerminal);
    const status = paint(io.color && io.stderrIsTerminal);
    await io.err(
      `${
        status.dim(
          `connected to ${url.href}${
            session.protocol === "" ? "" : ` (subprotocol ${session.protocol})`
          }; lines are sent, /help lists commands, Ctrl-D or Ctrl-C closes`,
        )
      }\n`,
    );
    const state: SendState = { session, io, encoding, pings: [] };
    const prefix = io.stdoutIsTerminal ? colors.green("< ") : "";
    let closeCode = 1006;
    const receiving = (async () => {
      for await (const event of session.events) {
        switch (event.type) {
          case "text":
            await io.out(`${prefix}${event.data}\n`);
            break;
          case "binary":
            await io.out(
              `${prefix}${
                encoding === undefined
                  ? `[binary ${event.data.length} bytes] ${
                    encodeHex(event.data)
                  }`
                  : encoding === "hex"
                  ? encodeHex(event.data)
                  : encodeBase64(event.data)
              }\n`,
            );
            break;
          case "pong": {
            const sent = state.pings.shift();
            await io.err(
              status.dim(
                `pong${
                  sent === undefined
                    ? ""
                    : ` (${(performance.now() - sent).toFixed(1)} ms)`
                }`,
              ) + "\n",
            );
            break;
          }
          case "ping":
            break;
          case "close":
            closeCode = event.code;
            await io.err(
              status.dim(
                `closed: ${event.code}${
                  event.reason === "" ? "" : ` ${event.reason}`
                }`,
              ) + "\n",
            );
            break;
        }
      }
    })();
    let closing = false;
    const closeOnSignal = (): void => {
      closing = true;
      void session.close(1000, "").catch(() => session.destroy());
    };
    io.signal.addEventListener("abort", closeOnSignal, { once: true });
    const sending = (async () => {
      try {
        for await (const line of stdinLines()) {
          if (closing) return;
          if (!await handleLine(state, line)) return;
        }
        await session.close(1000, "");
      } catch {
        // The connection is gone: the receiver reports how it closed.
      }
    })();
    // Stop reading stdin once the server has closed; after our close frame,
    // wait for the server's answer for at most CLOSE_TIMEOUT_MS.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closeSent = new Promise<void>((resolve) => {
      io.signal.addEventListener("abort", () => resolve(), { once: true });
      void sending.then(() => resolve());
    });
    const timedOut = closeSent.then(() =>
      new Promise<void>((resolve) =>
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)
      )
    );
    await Promise.race([receiving, timedOut]);
    clearTimeout(timer);
    io.signal.removeEventListener("abort", closeOnSignal);
    session.destroy();
    return closeCode === 1000 || closeCode === 1001 || closeCode === 1005
      ? EXIT_OK
      : EXIT_FAILURE;
  },
};
