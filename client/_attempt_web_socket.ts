// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: one attempt of `connect` at the WebSocket transport, with the
// WHATWG `WebSocket` global (browsers, Deno, Node 22+, Bun).

import { readMessageFields } from "./_json_data.ts";
import { truncate } from "../_internal/truncate.ts";
import {
  type AttemptContext,
  type AttemptOutcome,
  historyUrl,
} from "./_transport_attempt.ts";
import type { ClientWebSocket } from "./client_web_socket.ts";
import type { PollingMessage } from "../polling/connect_polling.ts";
import type { PushEvent } from "./push_client.ts";
import { parsePresence, presenceEvent } from "./_presence_event.ts";

type PollingEvent = PollingMessage;

/** Close codes after which a socket that never delivered is not "cut". */
const CLEAN_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The WebSocket URL of a topic URL, resuming after `since`, or without it
 * asking for the newest `history` messages first; with `?presence=1` when
 * `presence`.
 */
export function webSocketUrl(
  url: URL,
  since: string | undefined,
  history: number | undefined,
  presence = false,
): URL {
  const target = historyUrl(url, history);
  if (presence) target.searchParams.set("presence", "1");
  target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
  if (since === undefined) target.searchParams.delete("since");
  else target.searchParams.set("since", since);
  return target;
}

/**
 * Reads one text frame of the hub's topic protocol: a message
 * `{"id","event"?,"data","encoding"?}`, a reset `{"reset":reason}` or a
 * refusal `{"error":code,"message":text}`.
 */
function readFrame(
  text: string,
): PushEvent | { error: string; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new SyntaxError(
      `Cannot read WebSocket message: ${
        JSON.stringify(truncate(text, 40))
      } is not JSON`,
      { cause },
    );
  }
  if (isObject(value)) {
    if (typeof value.reset === "string") {
      return { kind: "reset", reason: value.reset };
    }
    for (const kind of ["join", "leave"] as const) {
      if (isObject(value[kind])) {
        return presenceEvent(
          kind,
          parsePresence(value[kind], "WebSocket message"),
        );
      }
    }
    if (typeof value.error === "string") {
      return {
        error: value.error,
        message: typeof value.message === "string"
          ? value.message
          : value.error,
      };
    }
    const message = readMessageFields(value);
    if (message !== undefined) return message;
  }
  throw new SyntaxError(
    `Cannot read WebSocket message: ${
      JSON.stringify(truncate(text, 40))
    } is not a message, a reset or an error`,
  );
}

/**
 * Runs one WebSocket connection to the topic until it ends.
 *
 * It works when it opens within `firstByteTimeout` and then neither closes
 * abnormally (a code other than 1000 or 1001, such as 1006 for a cut
 * connection) before its first message nor within `firstByteTimeout` of
 * opening. Otherwise it failed (a refused upgrade closes before opening).
 */
export function attemptWebSocket(
  context: AttemptContext,
): Promise<AttemptOutcome> {
  const { signal, firstByteTimeout } = context;
  if (signal.aborted) return Promise.resolve({ kind: "closed" });
  return new Promise((resolve, reject) => {
    const WebSocketClass = context.WebSocket;
    if (WebSocketClass === undefined) {
      resolve({
        kind: "failed",
        reason:
          "Cannot open WebSocket: this runtime has no WebSocket class (pass CodecWebSocket from @serverpush/serverpush/ws as the WebSocket option)",
        retryable: false,
      });
      return;
    }
    let socket: ClientWebSocket;
    try {
      socket = new WebSocketClass(
        String(
          webSocketUrl(
            context.url,
            context.since,
            context.history,
            context.presence,
          ),
        ),
      );
    } catch (error) {
      resolve({
        kind: "failed",
        reason: `Cannot open WebSocket: ${(error as Error).message}`,
        retryable: false,
      });
      return;
    }
    let opened = false;
    let working = false;
    let failure: string | undefined;
    let fatal: { error: unknown } | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      timer = undefined;
      failure =
        `Cannot open WebSocket: no answer within firstByteTimeout of ${firstByteTimeout} ms`;
      socket.close();
    }, firstByteTimeout);

    function stop(): void {
      socket.close(1000);
    }
    signal.addEventListener("abort", stop, { once: true });

    socket.onopen = (): void => {
      opened = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        working = true;
      }, firstByteTimeout);
      context.setSender((text) => socket.send(text));
    };

    socket.onmessage = (event: { readonly data: unknown }): void => {
      if (fatal !== undefined || signal.aborted) return;
      working = true;
      clearTimeout(timer);
      timer = undefined;
      try {
        if (typeof event.data !== "string") {
          throw new SyntaxError(
            "Cannot read WebSocket message: it is binary, expected JSON text",
          );
        }
        const frame = readFrame(event.data);
        if ("error" in frame) {
          context.onSendError(new Error(frame.message, { cause: frame.error }));
        } else {
          context.deliver(frame);
        }
      } catch (error) {
        fatal = { error };
        socket.close(1000);
      }
    };

    socket.onclose = (event: { readonly code: number }): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      context.setSender(undefined);
      if (fatal !== undefined) {
        reject(fatal.error);
      } else if (signal.aborted) {
        resolve({ kind: "closed" });
      } else if (failure !== undefined) {
        resolve({ kind: "failed", reason: failure, retryable: true });
      } else if (!opened) {
        resolve({
          kind: "failed",
          reason:
            "Cannot open WebSocket: the upgrade was refused or the connection failed",
          retryable: true,
        });
      } else if (!working && !CLEAN_CLOSE_CODES.has(event.code)) {
        resolve({
          kind: "failed",
          reason:
            `Cannot use WebSocket: it closed with code ${event.code} before its first message`,
          retryable: true,
        });
      } else {
        resolve({ kind: "dropped" });
      }
    };
  });
}
