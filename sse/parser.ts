// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

import { incompleteTail, isContinuation, sequenceLength } from "./_utf8.ts";

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
   * Largest event the parser buffers, in bytes: the event's data buffer
   * (each `data` value plus one LF) plus the line held back while its end
   * has not arrived (counted whole, field name included), measured as UTF-8.
   * Going past it throws a `RangeError`. `Infinity` turns the limit off.
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
// Used only for whole decode calls, which keep no state between calls.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Size of `text` encoded as UTF-8 (a surrogate counts 2, a pair 4). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/** True if `text` is one or more ASCII digits. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
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
  return new Parser(callbacks, options);
}

// The parser is a class, not a closure, for speed: its methods are shared by
// every instance, so the optimizing compiler can inline them into `#parse`
// once and keep that code when the next stream makes a new parser.
class Parser implements SseParser {
  #onEvent: (event: SseEvent) => void;
  #onRetry: ((ms: number) => void) | undefined;
  #onComment: ((text: string) => void) | undefined;
  #maxEventBytes: number;
  // A string holds at most 3 UTF-8 bytes per UTF-16 code unit, so an event
  // of fewer code units than this needs no exact count.
  #cheapLimit: number;

  // Bytes of a UTF-8 sequence that the next chunk may finish.
  #tail: number[] = [];
  #atStart = true;
  #failure: RangeError | undefined = undefined;

  #lastEventId: string;
  #retry: number | undefined = undefined;
  #idBuffer: string;
  #type = "";
  // The data buffer, less its last LF, and how many lines it holds.
  #data = "";
  #dataCount = 0;
  // Size of the data buffer in code units, counting one LF per line.
  #dataSize = 0;
  // A line whose end has not arrived yet, in pieces; joined once it ends.
  #lineParts: string[] = [];
  #lineSize = 0;
  // The previous chunk ended in CR: a LF starting the next one ends no line.
  #skipLF = false;

  // Exact UTF-8 sizes, counted only once an event passes `#cheapLimit`, and
  // each piece at most once, so that counting stays linear.
  #countedDataBytes = 0;
  #countedDataLines = 0;
  #countedLineBytes = 0;
  #countedLineParts = 0;

  constructor(callbacks: SseParserCallbacks, options: SseParserOptions) {
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (
      !(maxEventBytes >= 0) ||
      (maxEventBytes !== Infinity && !Number.isSafeInteger(maxEventBytes))
    ) {
      throw new RangeError(
        `Cannot create SSE parser: maxEventBytes ${maxEventBytes} is not a non-negative integer`,
      );
    }
    this.#onEvent = callbacks.onEvent;
    this.#onRetry = callbacks.onRetry;
    this.#onComment = callbacks.onComment;
    this.#maxEventBytes = maxEventBytes;
    this.#cheapLimit = Math.floor(maxEventBytes / 3);
    this.#lastEventId = options.lastEventId ?? "";
    this.#idBuffer = this.#lastEventId;
  }

  get lastEventId(): string {
    return this.#lastEventId;
  }

  get retry(): number | undefined {
    return this.#retry;
  }

  feed(chunk: Uint8Array | string): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (typeof chunk === "string") {
      if (this.#tail.length !== 0) {
        // A string ends the UTF-8 sequence the bytes before it left open.
        this.#tail.length = 0;
        this.#text("\uFFFD");
      }
      this.#text(chunk);
    } else {
      this.#decode(chunk);
    }
  }

  // Decodes `bytes` as the next part of a UTF-8 stream. Bytes that may
  // start a sequence finished by the next chunk are held in `#tail`, so a
  // plain `decode` call on the rest gives what a streaming decoder would.
  #decode(bytes: Uint8Array): void {
    const length = bytes.length;
    const tail = this.#tail;
    let start = 0;
    if (tail.length !== 0) {
      const lead = tail[0]!;
      const need = sequenceLength(lead);
      while (
        tail.length < need && start < length &&
        isContinuation(lead, tail.length, bytes[start]!)
      ) {
        tail.push(bytes[start]!);
        start++;
      }
      if (tail.length === need) {
        const text = UTF8.decode(Uint8Array.from(tail));
        tail.length = 0;
        this.#text(text);
      } else if (start < length) {
        // The sequence broke off: one U+FFFD stands for what it had.
        tail.length = 0;
        this.#text("\uFFFD");
      } else {
        return;
      }
    }
    const cut = length - incompleteTail(bytes, start, length);
    for (let i = cut; i < length; i++) tail.push(bytes[i]!);
    if (cut > start) {
      this.#text(
        UTF8.decode(
          start === 0 && cut === length ? bytes : bytes.subarray(start, cut),
        ),
      );
    }
  }

  #text(text: string): void {
    if (text.length === 0) return;
    if (this.#atStart) {
      this.#atStart = false;
      if (text.charCodeAt(0) === 0xfeff) {
        if (text.length === 1) return;
        text = text.slice(1);
      }
    }
    this.#parse(text);
  }

  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#reset();
  }

  #reset(): void {
    this.#tail.length = 0;
    this.#atStart = true;
    this.#idBuffer = this.#lastEventId;
    this.#type = "";
    this.#data = "";
    this.#dataCount = 0;
    this.#dataSize = 0;
    this.#lineParts.length = 0;
    this.#lineSize = 0;
    this.#skipLF = false;
    this.#countedDataBytes = 0;
    this.#countedDataLines = 0;
    this.#countedLineBytes = 0;
    this.#countedLineParts = 0;
  }

  #checkSize(): void {
    if (this.#countedDataLines !== this.#dataCount) {
      // The data buffer holds one LF per line; `#data` has one less.
      this.#countedDataBytes = this.#dataCount === 0
        ? 0
        : utf8Length(this.#data) + 1;
      this.#countedDataLines = this.#dataCount;
    }
    const lineParts = this.#lineParts;
    while (this.#countedLineParts < lineParts.length) {
      this.#countedLineBytes += utf8Length(lineParts[this.#countedLineParts]!);
      this.#countedLineParts++;
    }
    const bytes = this.#countedDataBytes + this.#countedLineBytes;
    if (bytes > this.#maxEventBytes) {
      this.#failure = new RangeError(
        `Cannot decode event: buffered ${bytes} bytes, which exceeds maxEventBytes of ${this.#maxEventBytes}`,
      );
      this.#reset();
      throw this.#failure;
    }
  }

  #appendData(value: string): void {
    const count = this.#dataCount;
    // Joining as we go builds a rope (a tree of strings) in every major
    // engine, which is flattened once, when the data is first read; the
    // buffer is never searched, so this stays linear.
    this.#data = count === 0 ? value : `${this.#data}\n${value}`;
    this.#dataCount = count + 1;
    this.#dataSize += value.length + 1;
    if (this.#dataSize + this.#lineSize > this.#cheapLimit) {
      if (this.#countedDataLines === count) {
        this.#countedDataBytes += utf8Length(value) + 1;
        this.#countedDataLines = count + 1;
      }
      this.#checkSize();
    }
  }

  #dispatch(): void {
    const lastEventId = this.#idBuffer;
    this.#lastEventId = lastEventId;
    const count = this.#dataCount;
    const type = this.#type;
    this.#type = "";
    if (count === 0) return;
    const data = this.#data;
    this.#data = "";
    this.#dataCount = 0;
    this.#dataSize = 0;
    this.#countedDataBytes = 0;
    this.#countedDataLines = 0;
    this.#onEvent({
      type: type === "" ? "message" : type,
      data,
      lastEventId,
    });
  }

  #field(name: string, value: string): void {
    switch (name) {
      case "data":
        this.#appendData(value);
        break;
      case "event":
        this.#type = value;
        break;
      case "id":
        if (value.indexOf("\0") === -1) this.#idBuffer = value;
        break;
      case "retry":
        if (isDigits(value)) {
          const ms = Number(value);
          this.#retry = ms;
          this.#onRetry?.(ms);
        }
        break;
    }
  }

  // Handles the line `text[start, end)`. Reads no character at or past
  // `end`: an out-of-bounds `charCodeAt` would deoptimize the caller.
  #line(text: string, start: number, end: number): void {
    const n = end - start;
    if (n === 0) {
      this.#dispatch();
      return;
    }
    const c = text.charCodeAt(start);
    if (c === 100) {
      // "data:" or "data"
      if (
        n >= 4 &&
        text.charCodeAt(start + 1) === 97 &&
        text.charCodeAt(start + 2) === 116 &&
        text.charCodeAt(start + 3) === 97 &&
        (n === 4 || text.charCodeAt(start + 4) === COLON)
      ) {
        let from = start + 5;
        if (from < end && text.charCodeAt(from) === SPACE) from++;
        this.#appendData(from >= end ? "" : text.slice(from, end));
        return;
      }
    } else if (c === 105) {
      // "id:" or "id"
      if (
        n >= 2 &&
        text.charCodeAt(start + 1) === 100 &&
        (n === 2 || text.charCodeAt(start + 2) === COLON)
      ) {
        let from = start + 3;
        if (from < end && text.charCodeAt(from) === SPACE) from++;
        if (from >= end) {
          this.#idBuffer = "";
        } else {
          const value = text.slice(from, end);
          if (value.indexOf("\0") === -1) this.#idBuffer = value;
        }
        return;
      }
    } else if (c === 101) {
      // "event:" or "event"
      if (
        n >= 5 &&
        text.charCodeAt(start + 1) === 118 &&
        text.charCodeAt(start + 2) === 101 &&
        text.charCodeAt(start + 3) === 110 &&
        text.charCodeAt(start + 4) === 116 &&
        (n === 5 || text.charCodeAt(start + 5) === COLON)
      ) {
        let from = start + 6;
        if (from < end && text.charCodeAt(from) === SPACE) from++;
        this.#type = from >= end ? "" : text.slice(from, end);
        return;
      }
    } else if (c === COLON) {
      const onComment = this.#onComment;
      if (onComment !== undefined) {
        let from = start + 1;
        if (from < end && text.charCodeAt(from) === SPACE) from++;
        onComment(from >= end ? "" : text.slice(from, end));
      }
      return;
    }
    const whole = text.slice(start, end);
    const colon = whole.indexOf(":");
    if (colon === -1) {
      this.#field(whole, "");
    } else {
      let from = colon + 1;
      if (from < whole.length && whole.charCodeAt(from) === SPACE) from++;
      this.#field(whole.slice(0, colon), whole.slice(from));
    }
  }

  // Finishes the line held back from earlier chunks with the start of
  // `text`; `cr` is the first CR at or after `pos`. Returns where parsing
  // goes on in `text`, or -1 if `text` ends first.
  #finishLine(text: string, pos: number, cr: number): number {
    const length = text.length;
    const lineParts = this.#lineParts;
    const lf = text.indexOf("\n", pos);
    const end = cr === -1 ? lf : lf === -1 ? cr : cr < lf ? cr : lf;
    if (end === -1) {
      if (pos < length) {
        lineParts.push(pos === 0 ? text : text.slice(pos));
        this.#lineSize += length - pos;
        if (this.#dataSize + this.#lineSize > this.#cheapLimit) {
          this.#checkSize();
        }
      }
      return -1;
    }
    if (end > pos) lineParts.push(text.slice(pos, end));
    const whole = lineParts.length === 1 ? lineParts[0]! : lineParts.join("");
    lineParts.length = 0;
    this.#lineSize = 0;
    this.#countedLineBytes = 0;
    this.#countedLineParts = 0;
    this.#line(whole, 0, whole.length);
    pos = end + 1;
    if (end === cr) {
      if (pos === length) {
        this.#skipLF = true;
        return -1;
      }
      if (text.charCodeAt(pos) === LF) pos++;
    }
    return pos;
  }

  #parse(text: string): void {
    const length = text.length;
    let pos = 0;
    if (this.#skipLF) {
      this.#skipLF = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    let cr = text.indexOf("\r", pos);
    if (this.#lineParts.length !== 0) {
      pos = this.#finishLine(text, pos, cr);
      if (pos === -1) return;
      if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos);
    }
    let lf = -2;
    if (cr === -1) {
      // Fast path: no CR in the rest of the chunk, so every line ends at LF.
      // A blank line needs no search, and an `id` is scanned in the same
      // loop that checks it for NUL.
      while (pos < length) {
        const c = text.charCodeAt(pos);
        if (c === LF) {
          this.#dispatch();
          pos++;
          continue;
        }
        if (pos + 7 >= length) {
          // Too close to the end to peek at a field name: take the slow way.
        } else if (
          c === 100 &&
          text.charCodeAt(pos + 1) === 97 &&
          text.charCodeAt(pos + 2) === 116 &&
          text.charCodeAt(pos + 3) === 97 &&
          text.charCodeAt(pos + 4) === COLON
        ) {
          const from = text.charCodeAt(pos + 5) === SPACE ? pos + 6 : pos + 5;
          lf = text.indexOf("\n", from);
          if (lf === -1) break;
          this.#appendData(lf === from ? "" : text.slice(from, lf));
          pos = lf + 1;
          continue;
        } else if (
          c === 101 &&
          text.charCodeAt(pos + 1) === 118 &&
          text.charCodeAt(pos + 2) === 101 &&
          text.charCodeAt(pos + 3) === 110 &&
          text.charCodeAt(pos + 4) === 116 &&
          text.charCodeAt(pos + 5) === COLON
        ) {
          const from = text.charCodeAt(pos + 6) === SPACE ? pos + 7 : pos + 6;
          lf = text.indexOf("\n", from);
          if (lf === -1) break;
          if (lf === from) {
            this.#type = "";
          } else {
            this.#type = text.slice(from, lf);
          }
          pos = lf + 1;
          continue;
        } else if (
          c === 105 &&
          text.charCodeAt(pos + 1) === 100 &&
          text.charCodeAt(pos + 2) === COLON
        ) {
          const from = text.charCodeAt(pos + 3) === SPACE ? pos + 4 : pos + 3;
          lf = text.indexOf("\n", from);
          if (lf === -1) break;
          if (lf === from) {
            this.#idBuffer = "";
          } else {
            const value = text.slice(from, lf);
            if (value.indexOf("\0") === -1) this.#idBuffer = value;
          }
          pos = lf + 1;
          continue;
        }
        lf = text.indexOf("\n", pos);
        if (lf === -1) break;
        this.#line(text, pos, lf);
        pos = lf + 1;
      }
    } else {
      while (pos < length) {
        const c = text.charCodeAt(pos);
        let end: number;
        if (c === LF || c === CR) {
          end = pos;
          this.#dispatch();
        } else {
          if (lf !== -1 && lf < pos) lf = text.indexOf("\n", pos);
          if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos);
          if (cr !== -1 && (lf === -1 || cr < lf)) end = cr;
          else if (lf !== -1) end = lf;
          else break;
          this.#line(text, pos, end);
        }
        pos = end + 1;
        if (text.charCodeAt(end) === CR) {
          if (pos === length) {
            this.#skipLF = true;
            return;
          }
          if (text.charCodeAt(pos) === LF) pos++;
        }
      }
    }
    if (pos < length) {
      this.#lineParts.push(pos === 0 ? text : text.slice(pos));
      this.#lineSize = length - pos;
      if (this.#dataSize + this.#lineSize > this.#cheapLimit) {
        this.#checkSize();
      }
    }
  }
}
