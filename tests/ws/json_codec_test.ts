// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { jsonCodec, WsDecodeError } from "../../ws/mod.ts";

Deno.test("jsonCodec encodes with JSON.stringify and decodes text", () => {
  const codec = jsonCodec();
  strictEqual(codec.encode({ a: "é", b: [1] }), '{"a":"é","b":[1]}');
  deepStrictEqual(codec.decode('{"a":"é","b":[1]}'), { a: "é", b: [1] });
  strictEqual(codec.decode("null"), null);
});

Deno.test("jsonCodec refuses binary with a WsDecodeError of close code 1003", () => {
  throws(
    () => jsonCodec().decode(new Uint8Array([0x7b, 0x7d])),
    (error: unknown) =>
      error instanceof WsDecodeError && error.closeCode === 1003,
  );
});

Deno.test("jsonCodec throws a SyntaxError on text that is not JSON", () => {
  throws(() => jsonCodec().decode("{"), SyntaxError);
});

Deno.test("jsonCodec refuses to encode a value with no JSON form", () => {
  throws(() => jsonCodec().encode(undefined), {
    name: "TypeError",
    message: "Cannot encode message: a undefined value has no JSON form",
  });
});

Deno.test("jsonCodec runs parse on every decoded value", () => {
  const codec = jsonCodec((value) => {
    if (!Array.isArray(value)) throw new TypeError("not an array");
    return value as number[];
  });
  deepStrictEqual(codec.decode("[1,2]"), [1, 2]);
  throws(() => codec.decode("{}"), { message: "not an array" });
});
