// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import type { NulDelimitedMode } from "./nul_delimited_mode.ts";
import { checkOneOf, checkPositiveInteger } from "../_internal/check.ts";

/** The byte that ends a message in "nul" mode. */
export const NUL = 0x00;
/** The byte that ends a message in "line" mode. */
export const LF = 0x0a;
/** The byte dropped before an LF in "line" mode. */
export const CR = 0x0d;

/** Default largest message, in bytes, without its delimiter. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

const NUL_REGEXP = /\0/;
const LINE_BREAK_REGEXP = /[\r\n]/;
const encoder = new TextEncoder();
const MODES: readonly NulDelimitedMode[] = ["nul", "line"];

/** Framing options after validation. */
export interface Framing {
  mode: NulDelimitedMode;
  maxMessageBytes: number;
}

/** Validates framing options; `action` names the caller in errors. */
export function checkFraming(
  action: string,
  options: { mode?: NulDelimitedMode; maxMessageBytes?: number },
): Framing {
  const { mode = "nul", maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES } = options;
  checkOneOf(action, "mode", mode, MODES);
  checkPositiveInteger(action, "maxMessageBytes", maxMessageBytes);
  return { mode, maxMessageBytes };
}

/**
 * Encodes one message as UTF-8 followed by its delimiter.
 *
 * @throws {TypeError} If `text` is not a string or contains the delimiter.
 * @throws {RangeError} If its UTF-8 form exceeds `maxMessageBytes`.
 */
export function encodeFrame(
  text: string,
  framing: Framing,
  action = "encode message",
): Uint8Array {
  if (typeof text !== "string") {
    throw new TypeError(`Cannot ${action}: the message is not a string`);
  }
  if (framing.mode === "nul") {
    if (NUL_REGEXP.test(text)) {
      throw new TypeError(
        `Cannot ${action}: it contains a NUL character, the message delimiter`,
      );
    }
  } else if (LINE_BREAK_REGEXP.test(text)) {
    throw new TypeError(
      `Cannot ${action}: it contains CR or LF, which end a message in line mode`,
    );
  }
  const bytes = encoder.encode(text + (framing.mode === "nul" ? "\0" : "\n"));
  if (bytes.length - 1 > framing.maxMessageBytes) {
    throw new RangeError(
      `Cannot ${action}: it is ${
        bytes.length - 1
      } bytes, which exceeds maxMessageBytes of ${framing.maxMessageBytes}`,
    );
  }
  return bytes;
}

/** Options of {@linkcode createSplitter}. */
export interface SplitterOptions extends Framing {
  /** Error on invalid UTF-8 instead of replacing it with U+FFFD. */
  fatal: boolean;
}

/** Splits bytes into delimited messages; see `NulDelimitedDecoderStream`. */
export interface Splitter {
  /** Feeds bytes; calls `onMessage` for every complete message. */
  push(chunk: Uint8Array): void;
  /** Throws a SyntaxError if bytes after the last delimiter are left. */
  flush(): void;
}

/**
 * Creates the decoding core: buffers partial messages as a list of copied
 * parts (joined once, when the delimiter arrives), enforces
 * `maxMessageBytes` as bytes accumulate and decodes each message on its own.
 */
export function createSplitter(
  options: SplitterOptions,
  onMessage: (text: string) => void,
): Splitter {
  const { mode, maxMessageBytes: max, fatal } = options;
  const line = mode === "line";
  const delimiter = line ? LF : NUL;
  const decoder = new TextDecoder("utf-8", { fatal, ignoreBOM: true });
  let parts: Uint8Array[] = [];
  let size = 0;

  function tooLarge(bytes: number, pending: boolean): RangeError {
    return new RangeError(
      `Cannot decode message: ${pending ? "buffered " : ""}${bytes} bytes${
        pending ? " without a delimiter" : ""
      }, which exceeds maxMessageBytes of ${max}`,
    );
  }

  function emit(tail: Uint8Array): void {
    let bytes = tail;
    if (parts.length > 0) {
      bytes = new Uint8Array(size + tail.length);
      let offset = 0;
      for (const part of parts) {
        bytes.set(part, offset);
        offset += part.length;
      }
      bytes.set(tail, offset);
      parts = [];
      size = 0;
    }
    if (line && bytes.length > 0 && bytes[bytes.length - 1] === CR) {
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    if (bytes.length > max) throw tooLarge(bytes.length, false);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (error) {
      throw new SyntaxError(
        "Cannot decode message: it is not valid UTF-8",
        { cause: error },
      );
    }
    onMessage(text);
  }

  return {
    push(chunk: Uint8Array): void {
      let start = 0;
      let end: number;
      while ((end = chunk.indexOf(delimiter, start)) !== -1) {
        emit(chunk.subarray(start, end));
        start = end + 1;
      }
      if (start === chunk.length) return;
      const rest = chunk.subarray(start);
      size += rest.length;
      // In line mode one more byte may be a CR that the LF will drop.
      if (
        size > max &&
        !(line && size === max + 1 && rest[rest.length - 1] === CR)
      ) {
        throw tooLarge(size, true);
      }
      // Copied: the producer may reuse its buffer for the next read.
      parts.push(rest.slice());
    },
    flush(): void {
      if (size > 0) {
        throw new SyntaxError(
          `Cannot decode message: the input ended ${size} bytes into a message, before its delimiter`,
        );
      }
    },
  };
}
