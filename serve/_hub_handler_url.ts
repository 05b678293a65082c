// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: the path and query parameters of a hub request, as `URL` reads
// them, without making a `URL` and its `URLSearchParams` for the usual
// request (a server's every WebSocket upgrade asks for them once, and the
// two objects are about half a kilobyte of garbage each time).

/** What the hub handler reads of a request's URL: a `URL` is one. */
export interface HubUrl {
  /** The path, as `URL.pathname` gives it (not percent-decoded). */
  readonly pathname: string;
  /** The query parameters, decoded as `URLSearchParams` decodes them. */
  readonly searchParams: { get(name: string): string | null };
}

/**
 * An absolute `http(s)` URL whose path and query are written only with
 * characters `URL` leaves as they are (no `\`, no fragment); its path is
 * group 1, its query (without `?`) group 2.
 */
const PLAIN_URL_REGEXP =
  /^https?:\/\/[^/?#\\]*(\/[A-Za-z0-9\-._~!$&()*+,;=:@/%]*)(?:\?([A-Za-z0-9\-._~!$&()*+,;=:@/?%]*))?$/;
/** What `URL` would treat as a dot segment (`/./`, `/../`, `%2e`). */
const DOT_SEGMENT_REGEXP = /\/\.|%2e/i;

/**
 * A plain URL's path and query: its own `searchParams` (so that one object
 * stands for both). Parameters are read from the query as written; a query
 * with `%` or `+`, which `URLSearchParams` decodes, is read by one.
 */
class PlainUrl implements HubUrl {
  readonly pathname: string;
  #query: string;
  #params: URLSearchParams | undefined;

  constructor(pathname: string, query: string) {
    this.pathname = pathname;
    this.#query = query;
  }

  get searchParams(): { get(name: string): string | null } {
    return this;
  }

  /** The first value of `name`, or `null`, as `URLSearchParams.get`. */
  get(name: string): string | null {
    const query = this.#query;
    if (query === "") return null;
    if (query.includes("%") || query.includes("+")) {
      // `URLSearchParams` drops one leading `?`, which is the query's own.
      return (this.#params ??= new URLSearchParams(`?${query}`)).get(name);
    }
    let start = 0;
    while (start <= query.length) {
      let end = query.indexOf("&", start);
      if (end < 0) end = query.length;
      const equals = query.indexOf("=", start);
      const nameEnd = equals >= 0 && equals < end ? equals : end;
      if (
        nameEnd - start === name.length && query.startsWith(name, start) &&
        end > start
      ) {
        return nameEnd === end ? "" : query.slice(nameEnd + 1, end);
      }
      start = end + 1;
    }
    return null;
  }
}

/**
 * The path and query parameters of `href`, a request's URL (valid: a
 * `Request` or serve()'s `requestUrl` made it), exactly as `new URL(href)`
 * reads them: by hand for a plain URL, else by `URL`.
 *
 * @throws {TypeError} If `href` is not even an absolute `http(s)` URL.
 */
export function hubUrl(href: string): HubUrl {
  const match = PLAIN_URL_REGEXP.exec(href);
  if (match === null || DOT_SEGMENT_REGEXP.test(match[1]!)) {
    return new URL(href);
  }
  return new PlainUrl(match[1]!, match[2] ?? "");
}
