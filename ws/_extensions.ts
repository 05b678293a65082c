// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private parser and formatter for `Sec-WebSocket-Extensions`
// (RFC 6455 section 9.1).

import { quote } from "../_internal/quote.ts";
import { TOKEN_REGEXP } from "./_header_tokens.ts";

/** One parameter of an extension element; `value` is absent for a flag. */
export interface ExtensionParam {
  name: string;
  value: string | undefined;
}

/** One element of a `Sec-WebSocket-Extensions` list, params in order. */
export interface ExtensionElement {
  name: string;
  params: ExtensionParam[];
}

const TCHAR_REGEXP = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a `Sec-WebSocket-Extensions` value into its elements, keeping order
 * and duplicates. Quoted parameter values are unescaped and must then be
 * tokens. Empty list elements are skipped (RFC 9110 section 5.6.1).
 *
 * @throws {SyntaxError} If the value does not follow the grammar.
 */
export function parseExtensions(header: string): ExtensionElement[] {
  const out: ExtensionElement[] = [];
  const n = header.length;
  let i = 0;

  function fail(what: string): never {
    throw new SyntaxError(
      `Cannot parse Sec-WebSocket-Extensions ${
        quote(header)
      }: ${what} at index ${i}`,
    );
  }
  function skipOws(): void {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  }
  function readToken(): string {
    const start = i;
    while (i < n && TCHAR_REGEXP.test(header[i]!)) i++;
    return header.slice(start, i);
  }
  function readQuoted(): string {
    i++; // opening quote
    const parts: string[] = [];
    while (i < n) {
      const c = header[i]!;
      if (c === '"') {
        i++;
        return parts.join("");
      }
      if (c === "\\") {
        i++;
        if (i >= n) break;
      }
      const code = header.charCodeAt(i);
      if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) {
        fail("invalid character in quoted string");
      }
      parts.push(header[i]!);
      i++;
    }
    return fail("unterminated quoted string");
  }

  while (true) {
    skipOws();
    if (i >= n) break;
    if (header[i] === ",") {
      i++;
      continue;
    }
    const name = readToken();
    if (name === "") fail("expected an extension name");
    const params: ExtensionParam[] = [];
    skipOws();
    while (header[i] === ";") {
      i++;
      skipOws();
      const paramName = readToken();
      if (paramName === "") fail("expected a parameter name");
      skipOws();
      let value: string | undefined;
      if (header[i] === "=") {
        i++;
        skipOws();
        if (header[i] === '"') {
          value = readQuoted();
          if (!TOKEN_REGEXP.test(value)) fail("quoted value is not a token");
        } else {
          value = readToken();
          if (value === "") fail("expected a parameter value");
        }
        skipOws();
      }
      params.push({ name: paramName, value });
    }
    if (i < n && header[i] !== ",") fail("unexpected character");
    out.push({ name, params });
  }
  return out;
}

/** Formats one extension element, such as `permessage-deflate; a=1; b`. */
export function formatExtension(element: ExtensionElement): string {
  let out = element.name;
  for (const { name, value } of element.params) {
    out += value === undefined ? `; ${name}` : `; ${name}=${value}`;
  }
  return out;
}
