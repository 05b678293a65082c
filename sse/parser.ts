// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * One event dispatched from a `text/event-stream`: the fields a browser puts
 * on the `MessageEvent` it fires.
 */
export interface SseEvent {
  /** Event type: the last `event` field, or `"message"` when none was set. */
  type: string;
  /** The `data` lines of the event, joined with LF. */
  data: string;
  /** The last event id at the time the event was dispatched. */
  lastEventId: string;
}

/** Callbacks that receive what {@linkcode createSseParser} finds. */
export interface SseParserCallbacks {
  /** Called once for every dispatched event, in stream order. */
  onEvent(event: SseEvent): void;
  /**
   * Called with the new reconnection time, in milliseconds, whenever a
   * `retry` field made only of ASCII digits is parsed.
   *
   * @default {undefined}
   */
  onRetry?: ((ms: number) => void) | undefined;
  /**
   * Called with the text of each comment line: everything after the colon,
   * less one leading space if there is one.
   *
   * @default {undefined}
   */
  onComment?: ((text: string) => void) | undefined;
}

/** Options for {@linkcode createSseParser}. */
export interface SseParserOptions {
  /**
   * Largest event the parser buffers, in bytes. It bounds the event's data
   * buffer (every `data` value plus one LF each) together with any line held
   * back because its end has not arrived yet, both measured as UTF-8. Going
   * past it throws a `RangeError`. `Infinity` turns the limit off.
   *
   * @default {16777216}
   */
  maxEventBytes?: number | undefined;
  /**
   * Last event id to start from, as when resuming a stream after a
   * reconnect. Events that arrive before any `id` field carry it.
   *
   * @default {""}
   */
  lastEventId?: string | undefined;
}

/** A streaming `text/event-stream` parser, made by {@linkcode createSseParser}. */
export interface SseParser {
  /**
   * Parses the next chunk of the stream. Bytes are decoded as UTF-8; a string
   * is taken as already-decoded text. Callbacks run before `feed` returns.
   *
   * @throws {RangeError} If an event grows past `maxEventBytes`. The parser
   * then throws the same error from every later call.
   */
  feed(chunk: Uint8Array | string): void;
  /**
   * Ends the stream: finishes the UTF-8 decoder and discards any event or
   * line that was not terminated. The parser can then parse a new stream,
   * keeping its `lastEventId` and `retry`.
   */
  end(): void;
  /** The last event id, as committed by the latest blank line. */
  readonly lastEventId: string;
  /** The latest reconnection time from a `retry` field, if any. */
  readonly retry: number | undefined;
}

const DEFAULT_MAX_EVENT_BYTES = 16_777_216;
const LF = 10;
const CR = 13;
const SPACE = 32;
const COLON = 58;
const STREAM: TextDecodeOptions = Object.freeze({ stream: true });

/** Size of `text` encoded as UTF-8 (a surrogate counts 2, a pair 4). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/** True if `text` between `start` and `end` is one or more ASCII digits. */
function isDigits(text: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Creates a streaming parser for `text/event-stream`, implementing the WHATWG
 * HTML "event stream interpretation" exactly.
 *
 * Bytes are always decoded as UTF-8, invalid sequences become U+FFFD, and
 * one leading byte order mark is ignored. Lines end at CRLF, LF or CR, also
 * when a CRLF is split across chunks. A blank line dispatches the event; the
 * last event id is committed at every blank line, even when no event fires,
 * and carries over to later events. A `retry` field applies only when it is
 * all ASCII digits. Unknown fields are ignored. Chunks can be cut anywhere,
 * and buffering is linear in the size of the input however small the chunks.
 *
 * If a callback throws, `feed` throws the same error and the rest of that
 * chunk is not parsed.
 *
 * @param callbacks Functions that receive events, retry times and comments.
 * @param options Event size limit and initial last event id.
 * @returns A parser to {@linkcode SseParser.feed} and {@linkcode SseParser.end}.
 * @throws {RangeError} If `maxEventBytes` is not a non-negative integer or
 * `Infinity`.
 * @see {@link https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation}
 *
 * @example Parse events from chunks
 * ```ts
 * import { createSseParser, type SseEvent } from "@serverpush/serverpush/sse";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const events: SseEvent[] = [];
 * const parser = createSseParser({ onEvent: (event) => events.push(event) });
 * parser.feed("id: 1\nevent: greet\ndata: hel");
 * parser.feed(new TextEncoder().encode("lo\n\ndata: bye\r\n\r\n"));
 * parser.end();
 *
 * deepStrictEqual(events, [
 *   { type: "greet", data: "hello", lastEventId: "1" },
 *   { type: "message", data: "bye", lastEventId: "1" },
 * ]);
 * ```
 */
export function createSseParser(
  callbacks: SseParserCallbacks,
  options: SseParserOptions = {},
): SseParser {
  const onEvent = callbacks.onEvent;
  const onRetry = callbacks.onRetry;
  const onComment = callbacks.onComment;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  if (
    !(maxEventBytes >= 0) ||
    (maxEventBytes !== Infinity && !Number.isSafeInteger(maxEventBytes))
  ) {
    throw new RangeError(
      `Cannot create SSE parser: maxEventBytes ${maxEventBytes} is not a non-negative integer`,
    );
  }
  // A string holds at most 3 UTF-8 bytes per UTF-16 code unit, so sizes
  // under this need no exact count.
  const cheapLimit = Math.floor(maxEventBytes / 3);

  let decoder: TextDecoder | undefined;
  let atStart = true;
  let failure: RangeError | undefined;

  let lastEventId = options.lastEventId ?? "";
  let retry: number | undefined;
  let idBuffer = lastEventId;
  let type = "";
  // The latest non-empty event type, matched in place when it repeats.
  let lastType = "";
  // The data buffer: `data` while it holds one line, `dataParts` after that.
  let data = "";
  let dataCount = 0;
  const dataParts: string[] = [];
  // Size of the data buffer in code units, counting one LF per line.
  let dataSize = 0;
  // A line whose end has not arrived yet, in pieces; joined once it ends.
  const lineParts: string[] = [];
  let lineSize = 0;
  // The previous chunk ended in CR: a LF starting the next one ends no line.
  let skipLF = false;

  // Exact UTF-8 sizes, counted only once an event passes `cheapLimit`, and
  // each piece at most once, so that counting stays linear.
  let countedDataBytes = 0;
  let countedDataLines = 0;
  let countedLineBytes = 0;
  let countedLineParts = 0;

  function checkSize(): void {
    while (countedDataLines < dataCount) {
      const part = dataCount === 1 ? data : dataParts[countedDataLines]!;
      countedDataBytes += utf8Length(part) + 1;
      countedDataLines++;
    }
    while (countedLineParts < lineParts.length) {
      countedLineBytes += utf8Length(lineParts[countedLineParts]!);
      countedLineParts++;
    }
    const bytes = countedDataBytes + countedLineBytes;
    if (bytes > maxEventBytes) fail(bytes);
  }

  function fail(bytes: number): never {
    failure = new RangeError(
      `Cannot decode event: buffered ${bytes} bytes, which exceeds maxEventBytes of ${maxEventBytes}`,
    );
    resetStream();
    throw failure;
  }

  function appendData(value: string): void {
    if (dataCount === 0) {
      data = value;
    } else {
      if (dataCount === 1) dataParts.push(data);
      dataParts.push(value);
    }
    dataCount++;
    dataSize += value.length + 1;
    if (dataSize + lineSize > cheapLimit) checkSize();
  }

  function dispatch(): void {
    lastEventId = idBuffer;
    if (dataCount === 0) {
      type = "";
      return;
    }
    let value = data;
    if (dataCount !== 1) {
      value = dataParts.join("\n");
      dataParts.length = 0;
    }
    const event: SseEvent = {
      type: type === "" ? "message" : type,
      data: value,
      lastEventId: idBuffer,
    };
    data = "";
    dataCount = 0;
    dataSize = 0;
    countedDataBytes = 0;
    countedDataLines = 0;
    type = "";
    onEvent(event);
  }

  function field(name: string, value: string): void {
    switch (name) {
      case "data":
        appendData(value);
        break;
      case "event":
        type = value;
        break;
      case "id":
        if (value.indexOf("\0") === -1) idBuffer = value;
        break;
      case "retry":
        if (isDigits(value, 0, value.length)) {
          retry = Number(value);
          onRetry?.(retry);
        }
        break;
    }
  }

  // Handles the non-empty line `text[start, end)`. The character at `end` is
  // a line terminator or past the end of `text`, so peeking at it is safe.
  function line(text: string, start: number, end: number): void {
    if (start === end) {
      dispatch();
      return;
    }
    const c = text.charCodeAt(start);
    if (c === 100) {
      // "data:" or "data"
      if (
        text.charCodeAt(start + 1) === 97 &&
        text.charCodeAt(start + 2) === 116 &&
        text.charCodeAt(start + 3) === 97
      ) {
        const c4 = start + 4 === end ? COLON : text.charCodeAt(start + 4);
        if (c4 === COLON) {
          const from = text.charCodeAt(start + 5) === SPACE && start + 5 < end
            ? start + 6
            : start + 5;
          appendData(from >= end ? "" : text.slice(from, end));
          return;
        }
      }
    } else if (c === 105) {
      // "id:" or "id"
      if (text.charCodeAt(start + 1) === 100) {
        const c2 = start + 2 === end ? COLON : text.charCodeAt(start + 2);
        if (c2 === COLON) {
          const from = text.charCodeAt(start + 3) === SPACE && start + 3 < end
            ? start + 4
            : start + 3;
          if (from >= end) {
            idBuffer = "";
          } else {
            const value = text.slice(from, end);
            if (value.indexOf("\0") === -1) idBuffer = value;
          }
          return;
        }
      }
    } else if (c === 101) {
      // "event:" or "event"
      if (
        text.charCodeAt(start + 1) === 118 &&
        text.charCodeAt(start + 2) === 101 &&
        text.charCodeAt(start + 3) === 110 &&
        text.charCodeAt(start + 4) === 116
      ) {
        const c5 = start + 5 === end ? COLON : text.charCodeAt(start + 5);
        if (c5 === COLON) {
          const from = text.charCodeAt(start + 6) === SPACE && start + 6 < end
            ? start + 7
            : start + 6;
          type = from >= end ? "" : text.slice(from, end);
          if (type !== "") lastType = type;
          return;
        }
      }
    } else if (c === COLON) {
      if (onComment !== undefined) {
        const from = text.charCodeAt(start + 1) === SPACE && start + 1 < end
          ? start + 2
          : start + 1;
        onComment(from >= end ? "" : text.slice(from, end));
      }
      return;
    }
    const whole = text.slice(start, end);
    const colon = whole.indexOf(":");
    if (colon === -1) {
      field(whole, "");
    } else {
      const from = whole.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
      field(whole.slice(0, colon), whole.slice(from));
    }
  }

  // Finishes the line held back from earlier chunks with the start of
  // `text`. Returns where parsing goes on in `text`, or -1 if `text` ends
  // first.
  function finishLine(text: string, pos: number): number {
    const length = text.length;
    const lf = text.indexOf("\n", pos);
    const cr = text.indexOf("\r", pos);
    const end = cr === -1 ? lf : lf === -1 ? cr : cr < lf ? cr : lf;
    if (end === -1) {
      if (pos < length) {
        lineParts.push(pos === 0 ? text : text.slice(pos));
        lineSize += length - pos;
        if (dataSize + lineSize > cheapLimit) checkSize();
      }
      return -1;
    }
    if (end > pos) lineParts.push(text.slice(pos, end));
    const whole = lineParts.length === 1 ? lineParts[0]! : lineParts.join("");
    lineParts.length = 0;
    lineSize = 0;
    countedLineBytes = 0;
    countedLineParts = 0;
    line(whole, 0, whole.length);
    pos = end + 1;
    if (end === cr) {
      if (pos === length) {
        skipLF = true;
        return -1;
      }
      if (text.charCodeAt(pos) === LF) pos++;
    }
    return pos;
  }

  function parse(text: string): void {
    const length = text.length;
    let pos = 0;
    if (skipLF) {
      skipLF = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    if (lineParts.length !== 0) {
      pos = finishLine(text, pos);
      if (pos === -1) return;
    }
    let cr = text.indexOf("\r", pos);
    let lf = -2;
    if (cr === -1) {
      // Fast path: no CR in the rest of the chunk, so every line ends at LF.
      // The line's start decides how to find its end: a blank line needs no
      // search, and an `event` line repeating the previous type is matched
      // in place.
      while (pos < length) {
        const c = text.charCodeAt(pos);
        if (c === LF) {
          dispatch();
          pos++;
          continue;
        }
        if (
          c === 100 &&
          text.charCodeAt(pos + 1) === 97 &&
          text.charCodeAt(pos + 2) === 116 &&
          text.charCodeAt(pos + 3) === 97 &&
          text.charCodeAt(pos + 4) === COLON
        ) {
          const from = text.charCodeAt(pos + 5) === SPACE ? pos + 6 : pos + 5;
          lf = text.indexOf("\n", from);
          if (lf === -1) break;
          appendData(lf === from ? "" : text.slice(from, lf));
          pos = lf + 1;
          continue;
        }
        if (
          c === 101 &&
          text.charCodeAt(pos + 1) === 118 &&
          text.charCodeAt(pos + 2) === 101 &&
          text.charCodeAt(pos + 3) === 110 &&
          text.charCodeAt(pos + 4) === 116 &&
          text.charCodeAt(pos + 5) === COLON
        ) {
          const from = text.charCodeAt(pos + 6) === SPACE ? pos + 7 : pos + 6;
          const previous = lastType;
          const n = previous.length;
          if (n !== 0 && text.charCodeAt(from + n) === LF) {
            let k = 0;
            while (k < n && text.charCodeAt(from + k) === previous.charCodeAt(k)) {
              k++;
            }
            if (k === n) {
              type = previous;
              pos = from + n + 1;
              continue;
            }
          }
          lf = text.indexOf("\n", from);
          if (lf === -1) break;
          if (lf === from) {
            type = "";
          } else {
            type = lastType = text.slice(from, lf);
          }
          pos = lf + 1;
          continue;
        }
        lf = text.indexOf("\n", pos);
        if (lf === -1) break;
        line(text, pos, lf);
        pos = lf + 1;
      }
    } else {
      while (pos < length) {
        const c = text.charCodeAt(pos);
        let end: number;
        if (c === LF || c === CR) {
          end = pos;
          dispatch();
        } else {
          if (lf !== -1 && lf < pos) lf = text.indexOf("\n", pos);
          if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos);
          if (cr !== -1 && (lf === -1 || cr < lf)) end = cr;
          else if (lf !== -1) end = lf;
          else break;
          line(text, pos, end);
        }
        pos = end + 1;
        if (text.charCodeAt(end) === CR) {
          if (pos === length) {
            skipLF = true;
            return;
          }
          if (text.charCodeAt(pos) === LF) pos++;
        }
      }
    }
    if (pos < length) {
      lineParts.push(pos === 0 ? text : text.slice(pos));
      lineSize = length - pos;
      if (dataSize + lineSize > cheapLimit) checkSize();
    }
  }

  function resetStream(): void {
    decoder = undefined;
    atStart = true;
    idBuffer = lastEventId;
    type = "";
    data = "";
    dataCount = 0;
    dataParts.length = 0;
    dataSize = 0;
    lineParts.length = 0;
    lineSize = 0;
    skipLF = false;
    countedDataBytes = 0;
    countedDataLines = 0;
    countedLineBytes = 0;
    countedLineParts = 0;
  }

  return {
    feed(chunk: Uint8Array | string): void {
      if (failure !== undefined) throw failure;
      let text: string;
      if (typeof chunk === "string") {
        text = chunk;
        if (decoder !== undefined) {
          // A string ends any UTF-8 sequence the bytes before it left open.
          text = decoder.decode() + text;
          decoder = undefined;
        }
      } else {
        decoder ??= new TextDecoder("utf-8", { ignoreBOM: true });
        text = decoder.decode(chunk, STREAM);
      }
      if (text.length === 0) return;
      if (atStart) {
        atStart = false;
        if (text.charCodeAt(0) === 0xfeff) {
          if (text.length === 1) return;
          text = text.slice(1);
        }
      }
      parse(text);
    },
    end(): void {
      if (failure !== undefined) throw failure;
      resetStream();
    },
    get lastEventId(): string {
      return lastEventId;
    },
    get retry(): number | undefined {
      return retry;
    },
  };
}
