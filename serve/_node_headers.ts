// Copyright 2026 the serverpush authors. MIT license.
// Private: the `headers` of a lazy request (`_node_request.ts`): a
// `Headers` as far as anyone can tell, whose `get` and `has` read Node's
// `rawHeaders` (names and values alternating, values already trimmed by
// Node's parser) without building `undici`'s header list, its map and an
// entry per header. Anything else (iteration, `set`, `append`, `delete`,
// `getSetCookie`, `new Headers(headers)`...) builds the real `Headers` once
// and goes to it from then on.

import { delegateToReal } from "./_lazy_web_object.ts";

/** A header name (an HTTP token), which `get` and `has` look up. */
const TOKEN_REGEXP = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

let realOf: (headers: NodeHeaders) => Headers;

/** See the file comment. */
export class NodeHeaders {
  #raw: string[];
  #real: Headers | undefined;

  /** Headers of Node's `rawHeaders` (names and values alternating). */
  constructor(raw: string[]) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    if (this.#real !== undefined || !isToken(name)) {
      return realOf(this).get(name);
    }
    const raw = this.#raw;
    let value: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (sameName(raw[i]!, name)) {
        value = value === null ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
      }
    }
    return value;
  }

  has(name: string): boolean {
    if (this.#real !== undefined || !isToken(name)) {
      return realOf(this).has(name);
    }
    const raw = this.#raw;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (sameName(raw[i]!, name)) return true;
    }
    return false;
  }

  /** What to give `new Request` as these headers, without building them. */
  static init(headers: NodeHeaders): HeadersInit {
    return headers.#real ?? pairs(headers.#raw);
  }

  static {
    realOf = (headers) => headers.#real ??= new Headers(pairs(headers.#raw));
  }
}

/** Wires `NodeHeaders`' prototype to `Headers`', once. */
export function prepareNodeHeaders(): void {
  if (prepared) return;
  prepared = true;
  delegateToReal(
    NodeHeaders.prototype,
    Headers,
    new Headers(),
    (self) => realOf(self),
  );
}

let prepared = false;

/**
 * The first value of header `name` (lower case) in Node's `rawHeaders`, as
 * Node's `req.headers` has it for headers that cannot repeat (`host`).
 */
export function firstValue(raw: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (sameName(raw[i]!, name)) return raw[i + 1];
  }
  return undefined;
}

function isToken(name: unknown): name is string {
  return typeof name === "string" && TOKEN_REGEXP.test(name);
}

/** Whether two header names are equal, ASCII case ignored. */
function sameName(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** Node's alternating names and values as pairs, which `Headers` takes. */
export function pairs(raw: string[]): [string, string][] {
  const list: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    list.push([raw[i]!, raw[i + 1]!]);
  }
  return list;
}
