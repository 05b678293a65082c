// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual as assertEquals,
  strictEqual,
  throws,
} from "node:assert/strict";
import { encodedOnce } from "../../hub/mod.ts";

Deno.test("encodedOnce calls the encoder once per message object and returns the same result", () => {
  const calls: object[] = [];
  function encode(message: { n: number }): Uint8Array {
    calls.push(message);
    return new Uint8Array([message.n]);
  }
  const a = { n: 1 };
  const b = { n: 1 };
  const first = encodedOnce(a, encode);
  strictEqual(encodedOnce(a, encode), first);
  const other = encodedOnce(b, encode);
  assertEquals(other, first);
  strictEqual(other === first, false);
  assertEquals(calls, [a, b]);
});

Deno.test("encodedOnce keeps one cache per encoder function", () => {
  const message = { text: "hi" };
  function upper(m: { text: string }): string {
    return m.text.toUpperCase();
  }
  function length(m: { text: string }): number {
    return m.text.length;
  }
  strictEqual(encodedOnce(message, upper), "HI");
  strictEqual(encodedOnce(message, length), 2);
  strictEqual(encodedOnce(message, upper), "HI");
});

Deno.test("encodedOnce caches falsy results", () => {
  let calls = 0;
  function empty(): string {
    calls++;
    return "";
  }
  const message = {};
  strictEqual(encodedOnce(message, empty), "");
  strictEqual(encodedOnce(message, empty), "");
  strictEqual(calls, 1);
});

Deno.test("encodedOnce caches nothing when the encoder throws", () => {
  let calls = 0;
  function failing(): string {
    calls++;
    throw new TypeError("bad");
  }
  const message = {};
  throws(() => encodedOnce(message, failing), TypeError);
  throws(() => encodedOnce(message, failing), TypeError);
  strictEqual(calls, 2);
});
