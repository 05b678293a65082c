// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { formatExtension, parseExtensions } from "../../ws/_extensions.ts";

Deno.test("parseExtensions reads offers, params and quoted values", async (t) => {
  const cases: [string, ReturnType<typeof parseExtensions>][] = [
    ["", []],
    ["permessage-deflate", [{ name: "permessage-deflate", params: [] }]],
    [
      "permessage-deflate; client_max_window_bits",
      [{
        name: "permessage-deflate",
        params: [{ name: "client_max_window_bits", value: undefined }],
      }],
    ],
    [
      'a;x=1 ; y = "2";z, b\t;\tq="a\\bc" ,, c',
      [
        {
          name: "a",
          params: [
            { name: "x", value: "1" },
            { name: "y", value: "2" },
            { name: "z", value: undefined },
          ],
        },
        { name: "b", params: [{ name: "q", value: "abc" }] },
        { name: "c", params: [] },
      ],
    ],
    [
      "a; x; x",
      [{
        name: "a",
        params: [{ name: "x", value: undefined }, {
          name: "x",
          value: undefined,
        }],
      }],
    ],
  ];
  for (const [header, expected] of cases) {
    await t.step(JSON.stringify(header), () => {
      deepStrictEqual(parseExtensions(header), expected);
    });
  }
});

Deno.test("parseExtensions refuses malformed values with a SyntaxError", async (t) => {
  for (
    const header of [
      ";",
      "a;",
      "a; =1",
      "a; x=",
      "a; x=1 2",
      'a; x="1',
      'a; x="a b"',
      'a; x=""',
      "a b",
      "a; x=é",
      "a@b",
    ]
  ) {
    await t.step(JSON.stringify(header), () => {
      throws(() => parseExtensions(header), SyntaxError);
    });
  }
});

Deno.test("formatExtension writes flags and values in order", () => {
  strictEqual(
    formatExtension({
      name: "permessage-deflate",
      params: [
        { name: "server_no_context_takeover", value: undefined },
        { name: "client_max_window_bits", value: "10" },
      ],
    }),
    "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
  );
});
