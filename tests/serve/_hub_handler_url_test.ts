// Copyright 2026 the serverpush authors. MIT license.
// hubUrl (serve/_hub_handler_url.ts) against the runtime's own `URL`:
// whether it reads the string by hand or makes a `URL`, the path and every
// query parameter must be what `new URL(href)` gives.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { hubUrl } from "../../serve/_hub_handler_url.ts";

const PATHS = [
  "/",
  "/hub",
  "/hub/",
  "/hub/news",
  "/hub/a/b",
  "//hub/news",
  "/hub/./news",
  "/hub/../news",
  "/hub/%2e%2E/news",
  "/hub/a%2eb",
  "/hub/%41",
  "/hub/a b",
  "/hub/ä",
  "/hub/a\\b",
  "/hub/{x}",
  "/hub/a'b",
];

const QUERIES = [
  "",
  "?",
  "??",
  "?history",
  "?history=",
  "?history=5",
  "?history=5&history=6",
  "?since=abc&history=5",
  "?=x&history=1",
  "?&&history=2&&",
  "?transport=websocket&state=1&presence=1",
  "?historyx=1&history=3",
  "?xhistory=1",
  "?since=a%20b",
  "?since=a+b",
  "?since=%zz",
  "?since=%E2%82%AC",
  "?%73ince=1",
  "??since=1",
  "??since=%41",
  "?since=a=b",
  "?since=a?b",
  "?since=a b",
  "?since='x'",
  "?since=ä",
  "?since=1#frag",
  "#frag",
];

const NAMES = [
  "",
  "?",
  "?since",
  "history",
  "since",
  "state",
  "presence",
  "transport",
  "lastEventId",
  "x",
];

Deno.test("hubUrl reads the path and the query parameters as URL does", () => {
  let checked = 0;
  for (const origin of ["http://127.0.0.1:8000", "https://example.com"]) {
    for (const path of PATHS) {
      for (const query of QUERIES) {
        // As a request's URL is: serialized by URL already, or as written.
        for (
          const href of [
            new URL(origin + path + query).href,
            origin + path + query,
          ]
        ) {
          let expected: URL;
          try {
            expected = new URL(href);
          } catch {
            continue;
          }
          const url = hubUrl(href);
          strictEqual(url.pathname, expected.pathname, href);
          for (const name of NAMES) {
            strictEqual(
              url.searchParams.get(name),
              expected.searchParams.get(name),
              `${href} ${name}`,
            );
            checked++;
          }
        }
      }
    }
  }
  strictEqual(checked > 5000, true);
});

// A request's URL is always a valid one (checked by `Request` or by
// serve()'s requestUrl); what is not even an http(s) URL goes to `URL`.
Deno.test("hubUrl throws for what is no absolute URL, as URL does", () => {
  for (const href of ["", "/hub/news", "hub/news?since=1"]) {
    let thrown: unknown;
    try {
      hubUrl(href);
    } catch (error) {
      thrown = error;
    }
    deepStrictEqual(thrown instanceof TypeError, true, href);
  }
});
