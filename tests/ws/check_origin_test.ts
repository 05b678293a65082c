// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { checkOrigin, type OriginPolicy } from "../../ws/check_origin.ts";
import { WsHandshakeError } from "../../ws/handshake_error.ts";

function request(origin: string | null, host = "chat.example.com"): Request {
  const headers = new Headers({ host });
  if (origin !== null) headers.set("origin", origin);
  return new Request(`http://${host}/ws`, { headers });
}

function allowed(req: Request, policy?: OriginPolicy): boolean {
  try {
    checkOrigin(req, policy);
    return true;
  } catch (error) {
    ok(error instanceof WsHandshakeError, String(error));
    strictEqual(error.code, "forbidden-origin");
    strictEqual(error.status, 403);
    return false;
  }
}

Deno.test("checkOrigin allows only the request's own host by default", async (t) => {
  const cases: [origin: string | null, host: string, expected: boolean][] = [
    ["https://chat.example.com", "chat.example.com", true],
    ["http://chat.example.com", "chat.example.com", true],
    ["https://CHAT.example.com", "chat.example.com", true],
    ["https://chat.example.com", "chat.example.com:443", true],
    ["http://chat.example.com:8080", "chat.example.com:8080", true],
    ["http://chat.example.com:8080", "chat.example.com", false],
    ["https://evil.example", "chat.example.com", false],
    ["https://chat.example.com.evil.example", "chat.example.com", false],
    ["null", "chat.example.com", false],
    ["not a url", "chat.example.com", false],
    [null, "chat.example.com", true],
  ];
  for (const [origin, host, expected] of cases) {
    await t.step(`${origin} vs ${host}`, () => {
      strictEqual(allowed(request(origin, host)), expected);
      strictEqual(allowed(request(origin, host), "same-origin"), expected);
    });
  }
});

Deno.test("checkOrigin matches an allow-list of strings and matchers", async (t) => {
  const policy: OriginPolicy = [
    "https://app.example.com/",
    /^https:\/\/[a-z]+\.trusted\.example$/,
    new URLPattern({ protocol: "https", hostname: "*.pattern.example" }),
  ];
  const cases: [string | null, boolean][] = [
    ["https://app.example.com", true],
    ["https://APP.example.com", true],
    ["http://app.example.com", false],
    ["https://a.trusted.example", true],
    ["https://a.b.trusted.example", false],
    ["https://x.pattern.example", true],
    ["http://x.pattern.example", false],
    ["https://chat.example.com", false],
    ["null", false],
    [null, true],
  ];
  for (const [origin, expected] of cases) {
    await t.step(String(origin), () => {
      strictEqual(allowed(request(origin), policy), expected);
    });
  }
});

Deno.test('checkOrigin with "any" allows every origin', () => {
  strictEqual(allowed(request("https://evil.example"), "any"), true);
  strictEqual(allowed(request("null"), "any"), true);
});

Deno.test("checkOrigin calls a function policy with the origin and request", () => {
  const seen: [string | undefined, Request][] = [];
  const policy = (origin: string | undefined, r: Request): boolean => {
    seen.push([origin, r]);
    return origin === "https://a.example";
  };
  const first = request("https://a.example");
  const second = request(null);
  strictEqual(allowed(first, policy), true);
  strictEqual(allowed(second, policy), false);
  deepStrictEqual(seen, [["https://a.example", first], [undefined, second]]);
  strictEqual(seen[0]![1], first);
});

Deno.test("checkOrigin refuses a list entry that is not a URL", () => {
  throws(
    () => checkOrigin(request("https://a.example"), ["a.example"]),
    TypeError,
  );
});
