// Copyright 2026 the serverpush authors. MIT license.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  acceptDeflate,
  type DeflateOptions,
  type DeflateParams,
  offerDeflate,
  verifyDeflateResponse,
} from "../../ws/deflate_negotiation.ts";

function params(overrides: Partial<DeflateParams> = {}): DeflateParams {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...overrides,
  };
}

Deno.test("offerDeflate builds the client's offer from the options", async (t) => {
  const cases: [DeflateOptions, string][] = [
    [{}, "permessage-deflate; client_max_window_bits"],
    [
      { clientMaxWindowBits: 10 },
      "permessage-deflate; client_max_window_bits=10",
    ],
    [
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 8,
        clientMaxWindowBits: 15,
      },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=15",
    ],
  ];
  for (const [options, expected] of cases) {
    await t.step(expected, () => strictEqual(offerDeflate(options), expected));
  }
});

Deno.test("offerDeflate refuses window sizes outside 8..15", async (t) => {
  for (const bits of [7, 16, 9.5, NaN]) {
    await t.step(String(bits), () => {
      throws(() => offerDeflate({ serverMaxWindowBits: bits }), RangeError);
      throws(() => offerDeflate({ clientMaxWindowBits: bits }), RangeError);
    });
  }
});

Deno.test("acceptDeflate answers the first acceptable offer", async (t) => {
  const cases: {
    header: string;
    options?: DeflateOptions;
    response: string | undefined;
    agreed?: Partial<DeflateParams>;
  }[] = [
    { header: "permessage-deflate", response: "permessage-deflate" },
    {
      header: "permessage-deflate; client_max_window_bits",
      response: "permessage-deflate",
    },
    {
      header: "permessage-deflate; client_max_window_bits=10",
      response: "permessage-deflate; client_max_window_bits=10",
      agreed: { clientMaxWindowBits: 10 },
    },
    {
      header: "permessage-deflate; client_max_window_bits=12",
      options: { clientMaxWindowBits: 10 },
      response: "permessage-deflate; client_max_window_bits=10",
      agreed: { clientMaxWindowBits: 10 },
    },
    {
      header: "permessage-deflate; client_max_window_bits=9",
      options: { clientMaxWindowBits: 10 },
      response: "permessage-deflate; client_max_window_bits=9",
      agreed: { clientMaxWindowBits: 9 },
    },
    {
      header: "permessage-deflate; server_max_window_bits=10",
      response: "permessage-deflate; server_max_window_bits=10",
      agreed: { serverMaxWindowBits: 10 },
    },
    {
      header: "permessage-deflate; server_max_window_bits=15",
      response: "permessage-deflate; server_max_window_bits=15",
    },
    {
      header: "permessage-deflate; server_max_window_bits=12",
      options: { serverMaxWindowBits: 9 },
      response: "permessage-deflate; server_max_window_bits=9",
      agreed: { serverMaxWindowBits: 9 },
    },
    {
      header: "permessage-deflate",
      options: { serverMaxWindowBits: 11 },
      response: "permessage-deflate; server_max_window_bits=11",
      agreed: { serverMaxWindowBits: 11 },
    },
    {
      header: "permessage-deflate; server_no_context_takeover",
      response: "permessage-deflate; server_no_context_takeover",
      agreed: { serverNoContextTakeover: true },
    },
    {
      header: "permessage-deflate",
      options: { serverNoContextTakeover: true, clientNoContextTakeover: true },
      response:
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      agreed: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    },
    {
      header: "permessage-deflate; client_no_context_takeover",
      response: "permessage-deflate; client_no_context_takeover",
      agreed: { clientNoContextTakeover: true },
    },
    {
      // The client cannot be limited without client_max_window_bits: decline.
      header: "permessage-deflate",
      options: { clientMaxWindowBits: 10 },
      response: undefined,
    },
    {
      header:
        "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
      options: { clientMaxWindowBits: 10 },
      response: "permessage-deflate; client_max_window_bits=10",
      agreed: { clientMaxWindowBits: 10 },
    },
    { header: "x-webkit-deflate-frame", response: undefined },
    { header: "", response: undefined },
    {
      header: "x-foo; a=1, permessage-deflate",
      response: "permessage-deflate",
    },
    {
      header: 'permessage-deflate; client_max_window_bits="10"',
      response: "permessage-deflate; client_max_window_bits=10",
      agreed: { clientMaxWindowBits: 10 },
    },
  ];
  for (const c of cases) {
    await t.step(`${c.header} ${JSON.stringify(c.options ?? {})}`, () => {
      const accepted = acceptDeflate(c.header, c.options);
      strictEqual(accepted?.response, c.response);
      if (accepted !== undefined) {
        deepStrictEqual(accepted.params, params(c.agreed));
      }
    });
  }
});

Deno.test("acceptDeflate declines invalid offers and takes the next one", async (t) => {
  for (
    const bad of [
      "permessage-deflate; foo",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover=true",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=010",
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=1; client_max_window_bits=1",
    ]
  ) {
    await t.step(bad, () => {
      strictEqual(acceptDeflate(bad), undefined);
      strictEqual(
        acceptDeflate(`${bad}, permessage-deflate`)?.response,
        "permessage-deflate",
      );
    });
  }
});

Deno.test("acceptDeflate refuses a malformed header with a SyntaxError", () => {
  throws(() => acceptDeflate("permessage-deflate; ="), SyntaxError);
  throws(() => acceptDeflate("permessage-deflate,; a"), SyntaxError);
});

Deno.test("verifyDeflateResponse accepts valid answers to the offer", async (t) => {
  const cases: {
    header: string;
    options?: DeflateOptions;
    agreed: Partial<DeflateParams> | undefined;
  }[] = [
    { header: "", agreed: undefined },
    { header: "permessage-deflate", agreed: {} },
    {
      header: "permessage-deflate; server_no_context_takeover",
      agreed: { serverNoContextTakeover: true },
    },
    {
      header: "permessage-deflate; client_no_context_takeover",
      agreed: { clientNoContextTakeover: true },
    },
    {
      header: "permessage-deflate",
      options: { clientNoContextTakeover: true },
      agreed: { clientNoContextTakeover: true },
    },
    {
      header: "permessage-deflate; server_max_window_bits=9",
      agreed: { serverMaxWindowBits: 9 },
    },
    {
      header: "permessage-deflate; server_max_window_bits=10",
      options: { serverMaxWindowBits: 10 },
      agreed: { serverMaxWindowBits: 10 },
    },
    {
      header: "permessage-deflate; client_max_window_bits=8",
      agreed: { clientMaxWindowBits: 8 },
    },
    {
      header: "permessage-deflate",
      options: { clientMaxWindowBits: 11 },
      agreed: { clientMaxWindowBits: 11 },
    },
    {
      header: "permessage-deflate; client_max_window_bits=10",
      options: { clientMaxWindowBits: 11 },
      agreed: { clientMaxWindowBits: 10 },
    },
    {
      header: "permessage-deflate; server_no_context_takeover",
      options: { serverNoContextTakeover: true },
      agreed: { serverNoContextTakeover: true },
    },
  ];
  for (const c of cases) {
    await t.step(`${c.header} ${JSON.stringify(c.options ?? {})}`, () => {
      deepStrictEqual(
        verifyDeflateResponse(c.header, c.options),
        c.agreed === undefined ? undefined : params(c.agreed),
      );
    });
  }
});

Deno.test("verifyDeflateResponse refuses invalid answers with a SyntaxError", async (t) => {
  const cases: [string, DeflateOptions?][] = [
    ["permessage-deflate; foo"],
    ["permessage-deflate; server_no_context_takeover; server_no_context_takeover"],
    ["permessage-deflate; server_no_context_takeover=1"],
    ["permessage-deflate; client_max_window_bits"],
    ["permessage-deflate; server_max_window_bits"],
    ["permessage-deflate; server_max_window_bits=7"],
    ["permessage-deflate; client_max_window_bits=16"],
    ["permessage-deflate; client_max_window_bits=08"],
    ["permessage-deflate, permessage-deflate"],
    ["x-webkit-deflate-frame"],
    ["permessage-deflate, x-foo"],
    ["permessage-deflate;"],
    ["permessage-deflate", { serverNoContextTakeover: true }],
    ["permessage-deflate", { serverMaxWindowBits: 10 }],
    ["permessage-deflate; server_max_window_bits=11", {
      serverMaxWindowBits: 10,
    }],
    ["permessage-deflate; client_max_window_bits=12", {
      clientMaxWindowBits: 11,
    }],
  ];
  for (const [header, options] of cases) {
    await t.step(`${header} ${JSON.stringify(options ?? {})}`, () => {
      throws(() => verifyDeflateResponse(header, options), SyntaxError);
    });
  }
});

Deno.test("acceptDeflate's answer passes verifyDeflateResponse with the same agreement", async (t) => {
  const pairs: [DeflateOptions, DeflateOptions][] = [
    [{}, {}],
    [{ serverNoContextTakeover: true }, {}],
    [{}, { serverNoContextTakeover: true, clientMaxWindowBits: 9 }],
    [{ clientMaxWindowBits: 12 }, { serverMaxWindowBits: 8 }],
    [{ clientNoContextTakeover: true, serverMaxWindowBits: 10 }, {
      serverMaxWindowBits: 12,
    }],
  ];
  for (const [client, server] of pairs) {
    await t.step(`${JSON.stringify(client)} ${JSON.stringify(server)}`, () => {
      const accepted = acceptDeflate(offerDeflate(client), server);
      strictEqual(accepted === undefined, false);
      deepStrictEqual(
        verifyDeflateResponse(accepted!.response, client),
        accepted!.params,
      );
    });
  }
});
