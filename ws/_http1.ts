// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private HTTP/1.1 head codec for running the WebSocket handshake over a raw
// byte stream (RFC 9112): find the end of a head across chunks with a size
// cap, parse a request head into a `Request` or a response head into status
// and headers, and serialize both kinds of head. Bodies are out of scope.
//
// Errors are `SyntaxError` (malformed) or `RangeError` (too large) carrying
// a `status` hint for the answer a server should send; read it with
// `http1ErrorStatus`.

import { quote } from "../_internal/quote.ts";

/** Default cap on the bytes of one head, terminating blank line included. */
export const DEFAULT_MAX_HEAD_BYTES = 8192;

const TOKEN_REGEXP = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE_REGEXP =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const STATUS_LINE_REGEXP = /^HTTP\/1\.([01]) (\d{3})(?: ([^]*))?$/;
const HEADER_LINE_REGEXP = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([^]*)$/;
/** Field values and reason phrases: HTAB, SP, VCHAR and obs-text only. */
const BAD_FIELD_CHAR_REGEXP = /[^\t\x20-\x7e\x80-\xff]/;
const HOST_REGEXP =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;
const CONTENT_LENGTH_REGEXP = /^\d+$/;

/** Reason phrases for the statuses a WebSocket server sends. */
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  101: "Switching Protocols",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
});

/** A `SyntaxError` or `RangeError` with the status a server should answer. */
export type Http1HeadError = (SyntaxError | RangeError) & {
  readonly status: number;
};

function syntaxError(message: string, status = 400): Http1HeadError {
  return Object.assign(new SyntaxError(message), { status });
}

/**
 * The status a server should answer for an error thrown by this module, or
 * `undefined` for any other error.
 */
export function http1ErrorStatus(error: unknown): number | undefined {
  if (!(error instanceof SyntaxError || error instanceof RangeError)) {
    return undefined;
  }
  const status = (error as Partial<Http1HeadError>).status;
  return typeof status === "number" ? status : undefined;
}

/** Options for {@linkcode createHttp1HeadReader}. */
export interface Http1HeadReaderOptions {
  /**
   * Largest head, in bytes including the blank line that ends it.
   *
   * @default {8192}
   */
  maxHeadBytes?: number;
}

/** A complete head and the bytes that followed it in the same chunks. */
export interface Http1HeadSplit {
  /** The head, up to and including the CRLF CRLF that ends it. */
  head: Uint8Array;
  /** Bytes after the head (the start of the body or of WebSocket frames). */
  rest: Uint8Array;
}

/** Collects chunks until a whole head has arrived. */
export interface Http1HeadReader {
  /**
   * Adds the next chunk. Returns the head and the leftover bytes once the
   * head is complete, `undefined` while it is not.
   *
   * @throws {RangeError} With status 431 once more than `maxHeadBytes` bytes
   * arrived without the end of the head.
   * @throws {TypeError} If called again after the head was returned.
   */
  push(chunk: Uint8Array): Http1HeadSplit | undefined;
}

const CRLFCRLF = [0x0d, 0x0a, 0x0d, 0x0a] as const;

/**
 * Creates a reader that finds the end of an HTTP/1.1 head (CRLF CRLF) across
 * chunks, in linear time, refusing heads larger than `maxHeadBytes`.
 */
export function createHttp1HeadReader(
  options: Http1HeadReaderOptions = {},
): Http1HeadReader {
  const maxHeadBytes = options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  if (!Number.isSafeInteger(maxHeadBytes) || maxHeadBytes < 4) {
    throw new RangeError(
      `Cannot create HTTP head reader: maxHeadBytes ${maxHeadBytes} is not an integer of at least 4`,
    );
  }
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  let matched = 0;
  let done = false;
  return {
    push(chunk: Uint8Array): Http1HeadSplit | undefined {
      if (done) {
        throw new TypeError("Cannot read HTTP head: the head was already read");
      }
      const room = maxHeadBytes - buffered;
      const scan = Math.min(chunk.length, room);
      for (let i = 0; i < scan; i++) {
        const byte = chunk[i]!;
        if (byte === CRLFCRLF[matched]) {
          matched++;
        } else {
          matched = byte === 0x0d ? 1 : 0;
        }
        if (matched === 4) {
          done = true;
          chunks.push(chunk.subarray(0, i + 1));
          const head = concat(chunks, buffered + i + 1);
          chunks.length = 0;
          return { head, rest: chunk.slice(i + 1) };
        }
      }
      if (chunk.length > room) {
        throw Object.assign(
          new RangeError(
            `Cannot read HTTP head: it exceeds maxHeadBytes of ${maxHeadBytes}`,
          ),
          { status: 431 },
        );
      }
      chunks.push(chunk.slice());
      buffered += chunk.length;
      return undefined;
    },
  };
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Decodes bytes one to one into a string (ISO-8859-1). */
function latin1(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 4096) {
    parts.push(String.fromCharCode(...bytes.subarray(i, i + 4096)));
  }
  return parts.join("");
}

/** Splits a head into lines, checking that it ends with CRLF CRLF. */
function headLines(head: Uint8Array, what: string): string[] {
  const text = latin1(head);
  if (!text.endsWith("\r\n\r\n")) {
    throw syntaxError(
      `Cannot parse HTTP ${what} head: it does not end with CRLF CRLF`,
    );
  }
  const lines = text.slice(0, -4).split("\r\n");
  for (const line of lines) {
    if (line.includes("\r") || line.includes("\n")) {
      throw syntaxError(
        `Cannot parse HTTP ${what} head: line ${
          quote(line)
        } holds a bare CR or LF`,
      );
    }
  }
  return lines;
}

/** Parses header field lines into `Headers`, counting `host` lines. */
function parseFields(
  lines: readonly string[],
  what: string,
): { headers: Headers; hosts: number } {
  const headers = new Headers();
  let hosts = 0;
  for (const line of lines) {
    const match = HEADER_LINE_REGEXP.exec(line);
    if (match === null) {
      throw syntaxError(
        `Cannot parse HTTP ${what} head: header line ${
          quote(line)
        } is malformed`,
      );
    }
    const name = match[1]!;
    const value = match[2]!.replace(/^[\t ]+|[\t ]+$/g, "");
    if (BAD_FIELD_CHAR_REGEXP.test(value)) {
      throw syntaxError(
        `Cannot parse HTTP ${what} head: header ${
          quote(name)
        } holds a control character`,
      );
    }
    if (name.toLowerCase() === "host") hosts++;
    headers.append(name, value);
  }
  return { headers, hosts };
}

/** Options for {@linkcode parseHttp1RequestHead}. */
export interface ParseHttp1RequestHeadOptions {
  /**
   * Scheme of the connection the head arrived on, for the request URL.
   *
   * @default {"http"}
   */
  scheme?: "http" | "https";
}

/**
 * Parses an HTTP/1.1 request head (as returned by an
 * {@linkcode Http1HeadReader}) into a body-less `Request`.
 *
 * The request-line must be `method SP target SP HTTP/1.1` with an
 * origin-form or absolute-form target; exactly one `Host` is required;
 * obsolete line folding, bare CR or LF and control characters are refused.
 * Since the body is not read, a request that declares one is refused.
 *
 * @throws {SyntaxError} With status 400 if malformed, 505 for an HTTP
 * version other than 1.1, 501 for a method `Request` cannot represent or a
 * `Transfer-Encoding`, 413 for a non-zero `Content-Length`.
 */
export function parseHttp1RequestHead(
  head: Uint8Array,
  options: ParseHttp1RequestHeadOptions = {},
): Request {
  const lines = headLines(head, "request");
  const requestLine = lines[0]!;
  const match = REQUEST_LINE_REGEXP.exec(requestLine);
  if (match === null) {
    throw syntaxError(
      `Cannot parse HTTP request head: request-line ${
        quote(requestLine)
      } is malformed`,
    );
  }
  const [, method, target, major, minor] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (major !== "1" || minor !== "1") {
    throw syntaxError(
      `Cannot parse HTTP request head: version HTTP/${major}.${minor} is not HTTP/1.1`,
      505,
    );
  }
  const { headers, hosts } = parseFields(lines.slice(1), "request");
  const host = headers.get("host");
  if (hosts !== 1 || host === null || !HOST_REGEXP.test(host)) {
    throw syntaxError(
      `Cannot parse HTTP request head: it needs exactly one valid Host, got ${
        quote(host ?? "")
      }`,
    );
  }
  let url: string;
  if (target.startsWith("/")) {
    url = `${options.scheme ?? "http"}://${host}${target}`;
  } else if (/^https?:\/\//i.test(target)) {
    url = target;
  } else {
    throw syntaxError(
      `Cannot parse HTTP request head: target ${
        quote(target)
      } is not in origin or absolute form`,
    );
  }
  if (!URL.canParse(url)) {
    throw syntaxError(
      `Cannot parse HTTP request head: ${quote(url)} is not a valid URL`,
    );
  }
  if (headers.has("transfer-encoding")) {
    throw syntaxError(
      "Cannot parse HTTP request head: Transfer-Encoding is not supported",
      501,
    );
  }
  const contentLength = headers.get("content-length");
  if (contentLength !== null) {
    const values = contentLength.split(/[\t ]*,[\t ]*/);
    if (!values.every((value) => CONTENT_LENGTH_REGEXP.test(value))) {
      throw syntaxError(
        `Cannot parse HTTP request head: Content-Length ${
          quote(contentLength)
        } is malformed`,
      );
    }
    if (values.some((value) => Number(value) !== 0)) {
      throw syntaxError(
        "Cannot parse HTTP request head: a request body is not supported",
        413,
      );
    }
  }
  const unsupported = (cause?: unknown): SyntaxError =>
    Object.assign(
      new SyntaxError(
        `Cannot parse HTTP request head: method ${
          quote(method)
        } is not supported`,
        { cause },
      ),
      { status: 501 },
    );
  // The fetch standard forbids these, but not every `Request` refuses them
  // (Bun's accepts CONNECT), so refuse them here on every runtime.
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) throw unsupported();
  try {
    return new Request(url, { method, headers });
  } catch (error) {
    throw unsupported(error);
  }
}

/** Methods the fetch standard forbids a `Request` to have. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** A parsed HTTP/1.1 response head. */
export interface Http1ResponseHead {
  /** The status code, 100..999. */
  status: number;
  /** The reason phrase, possibly empty. */
  statusText: string;
  /** The header fields. */
  headers: Headers;
}

/**
 * Parses an HTTP/1.1 (or 1.0) response head, as returned by an
 * {@linkcode Http1HeadReader}.
 *
 * @throws {SyntaxError} If the status-line or a header line is malformed.
 */
export function parseHttp1ResponseHead(head: Uint8Array): Http1ResponseHead {
  const lines = headLines(head, "response");
  const statusLine = lines[0]!;
  const match = STATUS_LINE_REGEXP.exec(statusLine);
  const statusText = match?.[3] ?? "";
  if (match === null || BAD_FIELD_CHAR_REGEXP.test(statusText)) {
    throw syntaxError(
      `Cannot parse HTTP response head: status-line ${
        quote(statusLine)
      } is malformed`,
    );
  }
  const { headers } = parseFields(lines.slice(1), "response");
  return { status: Number(match[2]), statusText, headers };
}

/** What {@linkcode serializeHttp1RequestHead} writes. */
export interface Http1RequestHeadInit {
  /** The request method. @default {"GET"} */
  method?: string;
  /** The request URL; its path and query become the origin-form target. */
  url: string | URL;
  /** The header fields; `Host` is added from `url` when absent. */
  headers?: HeadersInit;
}

/**
 * Serializes an HTTP/1.1 request head, ending with the blank line.
 *
 * @throws {TypeError} If the method is not a token or the URL is invalid.
 */
export function serializeHttp1RequestHead(
  init: Http1RequestHeadInit,
): Uint8Array {
  const method = init.method ?? "GET";
  if (!TOKEN_REGEXP.test(method)) {
    throw new TypeError(
      `Cannot serialize HTTP request head: method ${
        quote(method)
      } is not a token`,
    );
  }
  const url = new URL(init.url);
  const headers = new Headers(init.headers);
  if (!headers.has("host")) headers.set("host", url.host);
  const target = `${url.pathname || "/"}${url.search}`;
  return encodeHead(`${method} ${target} HTTP/1.1`, headers);
}

/** What {@linkcode serializeHttp1ResponseHead} writes. */
export interface Http1ResponseHeadInit {
  /** The status code, 100..999. */
  status: number;
  /**
   * The reason phrase; a standard one is used for common statuses when this
   * is absent or empty.
   *
   * @default {""}
   */
  statusText?: string;
  /** The header fields. @default {undefined} */
  headers?: HeadersInit;
}

/**
 * Serializes an HTTP/1.1 response head, such as a `101 Switching Protocols`
 * from {@linkcode acceptUpgrade} headers, ending with the blank line.
 *
 * @throws {RangeError} If the status is not an integer from 100 to 999.
 * @throws {TypeError} If the reason phrase holds a control character.
 */
export function serializeHttp1ResponseHead(
  init: Http1ResponseHeadInit,
): Uint8Array {
  const { status } = init;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(
      `Cannot serialize HTTP response head: status ${status} is not an integer from 100 to 999`,
    );
  }
  const reason = init.statusText || REASONS[status] || "";
  if (BAD_FIELD_CHAR_REGEXP.test(reason)) {
    throw new TypeError(
      `Cannot serialize HTTP response head: reason ${
        quote(reason)
      } holds a control character`,
    );
  }
  return encodeHead(`HTTP/1.1 ${status} ${reason}`, new Headers(init.headers));
}

/** Writes a start line and header fields as ISO-8859-1 bytes. */
function encodeHead(startLine: string, headers: Headers): Uint8Array {
  let text = `${startLine}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  text += "\r\n";
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) {
      throw new TypeError(
        "Cannot serialize HTTP head: it holds a character above U+00FF",
      );
    }
    out[i] = code;
  }
  return out;
}
