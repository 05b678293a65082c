// Copyright 2026 the serverpush authors. MIT license.
// What the relay writes besides pushed messages: its own notices (ids,
// errors) and hub messages in the relay's format.

import type { HubMessage } from "../message/message.ts";
import { hubMessageToJson } from "../message/message_to_json.ts";
import { quote } from "../_internal/quote.ts";
import { encodeBase64 } from "../_internal/base64.ts";
import { encodeFrame, type Framing } from "./_framing.ts";
import type { TcpPushFormat } from "./serve_tcp_push_options.ts";

const BAD_TEXT_REGEXP = /[\0\r\n]/g;

/** The relay's frame makers, made once per relay. */
export interface RelayFrames {
  /** A relay-made text as a frame, with anything that would break it removed. */
  notice(text: string): Uint8Array;
  /**
   * A hub message as a frame; a message that cannot be framed as a notice
   * frame in its place; an Error when the connection must close. The same
   * function for the relay's life: `encodedOnce` caches per function and
   * message.
   */
  encodeHubMessage(message: HubMessage): Uint8Array | Error;
}

/** The message of `error`, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Makes the frame makers of a relay writing `format` with `framing`. */
export function createRelayFrames(
  format: TcpPushFormat,
  framing: Framing,
): RelayFrames {
  // Relay-made messages (ids, errors) are not bound by maxMessageBytes.
  const unbounded: Framing = {
    mode: framing.mode,
    maxMessageBytes: Number.MAX_SAFE_INTEGER,
  };

  function notice(text: string): Uint8Array {
    return encodeFrame(text.replace(BAD_TEXT_REGEXP, " "), unbounded);
  }

  function encodeHubMessage(message: HubMessage): Uint8Array | Error {
    if (message.kind === "reset") {
      if (format === "json") return encodeJson(message);
      return new Error(
        `Cannot push topic ${
          quote(message.topic)
        }: messages are missing (reset ${
          quote(message.reason)
        }), which format "data" cannot express`,
      );
    }
    // The relay never asks for presence events; JSON could carry them.
    if (message.kind !== "message") return encodeJson(message);
    try {
      if (format === "json") return encodeJson(message);
      const text = typeof message.data === "string"
        ? message.data
        : encodeBase64(message.data);
      return encodeFrame(
        text,
        framing,
        `push message ${JSON.stringify(message.id)} of topic ${
          quote(message.topic)
        }`,
      );
    } catch (error) {
      // The delimiter in the data, or over maxMessageBytes: skip it, and
      // say so in its place.
      const reason = errorMessage(error);
      if (format === "data") return notice(reason);
      return notice(
        `{"topic":${JSON.stringify(message.topic)},"id":${
          JSON.stringify(message.id)
        },"error":${JSON.stringify(reason)}}`,
      );
    }
  }

  function encodeJson(message: HubMessage): Uint8Array {
    const json = hubMessageToJson(message);
    // hubMessageToJson always writes an object: add the topic in front.
    return encodeFrame(
      `{"topic":${JSON.stringify(message.topic)},${json.slice(1)}`,
      framing,
      `push ${
        message.kind === "message"
          ? `message ${JSON.stringify(message.id)} of `
          : ""
      }topic ${quote(message.topic)}`,
    );
  }

  return { notice, encodeHubMessage };
}
