// Copyright 2026 the serverpush authors. MIT license.
// requestUrl (serve/_node_request_url.ts) against the runtime's own `URL`:
// whether it takes the string path or `new URL`, it must give what
// `new URL(target, base).href` gives, and throw where that throws.

import { strictEqual } from "node:assert/strict";
import { requestUrl } from "../../serve/_node_request_url.ts";

const HOSTS = [
  "127.0.0.1:8000",
  "localhost",
  "localhost:80",
  "localhost:443",
  "localhost:8080",
  "LOCALHOST",
  "a.b.c",
  "1.2.3",
  "01.2.3.4",
  "1.2.3.4",
  "256.1.1.1",
  "0x7f.1",
  "foo.0x1",
  "foo.1",
  "foo.1a",
  "foo.09",
  "xn--abc.com",
  "xn--nxasmq6b.com",
  "a..b",
  "example.com.",
  "a_b",
  "-a.com",
  "a-.com",
  "[::1]:80",
  "[::1]",
  "h:0",
  "h:65535",
  "h:65536",
  "h:080",
  "h:",
  "a.b:99999",
  "255.255.255.255",
  "1.2.3.4:5",
  "1.2.3.4.5",
  "foo.0x",
  "foo.0",
  "0",
  "a%41",
  "a b",
  "évian.fr",
  "",
];

const TARGETS = [
  "/",
  "/a/b?c=d",
  "/./a",
  "/a/../b",
  "/a/%2e%2e/b",
  "/%2E",
  "//evil/x",
  "/a b",
  "/a'b?c'd",
  "/a?b#c",
  "/a\\b",
  "*",
  "http://other/x",
  "/?",
  "/a?x=/./",
  "/~_-.!$&()*+,;=:@",
  "/%zz",
  "/a%2fb",
  "/é",
  "/a|b",
  "/a{b}",
  "/a^b",
  "/a`b",
  '/a"b',
  "/a<b>",
  "/a/.",
  "/..",
  "/.well-known/x",
  "/a?q=%2e",
  "/hub/bench?history=5&transport=websocket",
];

function expected(scheme: string, host: string, target: string): string {
  try {
    return new URL(
      target,
      host === "" ? "http://origin:1" : `${scheme}://${host}`,
    )
      .href;
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

function actual(
  scheme: "http" | "https",
  host: string,
  target: string,
): string {
  try {
    return requestUrl(
      scheme,
      host === "" ? undefined : host,
      "http://origin:1",
      target,
    );
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

Deno.test("requestUrl gives what new URL gives, for every host and target", () => {
  let checked = 0;
  for (const scheme of ["http", "https"] as const) {
    for (const host of HOSTS) {
      for (const target of TARGETS) {
        strictEqual(
          actual(scheme, host, target),
          expected(scheme, host, target),
          `${scheme} ${JSON.stringify(host)} ${JSON.stringify(target)}`,
        );
        checked++;
      }
    }
  }
  strictEqual(checked, 2 * HOSTS.length * TARGETS.length);
});

Deno.test("requestUrl resolves against the origin when there is no Host", () => {
  strictEqual(
    requestUrl("http", undefined, "http://127.0.0.1:8000", "/a?b"),
    "http://127.0.0.1:8000/a?b",
  );
  strictEqual(
    requestUrl("https", "", "https://[::1]:8443", "/x"),
    "https://[::1]:8443/x",
  );
});
