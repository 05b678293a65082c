// Copyright 2026 the serverpush authors. MIT license.

import { strictEqual, throws } from "node:assert/strict";
import { encodeSse } from "../../sse/encode.ts";
import { assertParsesEveryWay, message, only } from "./_decode.ts";

Deno.test("encodeSse writes one data line for single-line data", () => {
  strictEqual(encodeSse({ data: "hello" }), "data: hello\n\n");
});

Deno.test("encodeSse splits data on CRLF, CR and LF", async (t) => {
  for (
    const [name, data] of [
      ["LF", "a\nb\nc"],
      ["CRLF", "a\r\nb\r\nc"],
      ["CR", "a\rb\rc"],
      ["mixed", "a\r\nb\rc"],
    ] as const
  ) {
    await t.step(name, () => {
      strictEqual(encodeSse({ data }), "data: a\ndata: b\ndata: c\n\n");
    });
  }
  strictEqual(encodeSse({ data: "a\n" }), "data: a\ndata: \n\n");
  strictEqual(encodeSse({ data: "\r\n\r\n" }), "data: \ndata: \ndata: \n\n");
});

Deno.test("encodeSse keeps leading spaces of data so they round-trip", () => {
  const text = encodeSse({ data: "  two\n one" });
  strictEqual(text, "data:   two\ndata:  one\n\n");
  assertParsesEveryWay(text, only([message("  two\n one")]));
});

Deno.test("encodeSse writes one empty data line for empty data", () => {
  strictEqual(encodeSse({ data: "" }), "data: \n\n");
  assertParsesEveryWay(encodeSse({ data: "" }), only([message("")]));
});

Deno.test("encodeSse writes id 0, an empty id and retry 0", () => {
  strictEqual(encodeSse({ id: "0", data: "a" }), "id: 0\ndata: a\n\n");
  strictEqual(encodeSse({ id: "" }), "id: \n\n");
  strictEqual(encodeSse({ retry: 0 }), "retry: 0\n\n");
  strictEqual(encodeSse({ event: "", data: "a" }), "event: \ndata: a\n\n");
});

Deno.test("encodeSse writes fields in the order comment, event, id, retry, data", () => {
  strictEqual(
    encodeSse({ data: "d", retry: 5, id: "i", event: "e", comment: "c" }),
    ": c\nevent: e\nid: i\nretry: 5\ndata: d\n\n",
  );
});

Deno.test("encodeSse throws a TypeError for CR, LF or NUL in event or id", async (t) => {
  for (const field of ["event", "id"] as const) {
    for (const bad of ["a\nb", "a\rb", "a\r\nb", "a\u0000b", "\n"]) {
      await t.step(`${field} ${JSON.stringify(bad)}`, () => {
        throws(
          () => encodeSse({ [field]: bad, data: "x" }),
          (error) =>
            error instanceof TypeError &&
            error.message.startsWith(`Cannot encode SSE ${field}: `),
        );
      });
    }
  }
});

Deno.test("encodeSse throws a RangeError for a retry that is not a non-negative integer", async (t) => {
  for (const bad of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53]) {
    await t.step(String(bad), () => {
      throws(
        () => encodeSse({ retry: bad }),
        new RangeError(
          `Cannot encode SSE retry: ${bad} is not a non-negative integer`,
        ),
      );
    });
  }
});

Deno.test("encodeSse writes a comment-only keep-alive that dispatches nothing", () => {
  strictEqual(encodeSse({ comment: "" }), ": \n\n");
  strictEqual(encodeSse({ comment: "ping" }), ": ping\n\n");
  strictEqual(encodeSse({ comment: "a\r\nb" }), ": a\n: b\n\n");
  assertParsesEveryWay(
    encodeSse({ comment: "ping" }),
    only([], { comments: ["ping"] }),
  );
});

Deno.test("encodeSse writes a blank line for an empty message", () => {
  strictEqual(encodeSse({}), "\n");
});
