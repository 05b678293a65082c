// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createSign, generateKeyPairSync } from "node:crypto";
import {
  createJwtVerifier,
  JwtError,
  type JwtErrorReason,
  type JwtKeySource,
  verifyJwt,
  type VerifyJwtOptions,
} from "../../auth/mod.ts";
import {
  type Alg,
  generateKeys,
  inSeconds,
  part,
  SECRET,
  signJwt,
  type TestKeys,
} from "./_sign.ts";

const rsa = generateKeys("RS256", "rsa-1");
const ec = generateKeys("ES256", "ec-1");
const ed = generateKeys("EdDSA", "ed-1");
const jwks = { keys: [rsa.jwk, ec.jwk, ed.jwk] };
const PAIRS: Record<Exclude<Alg, "HS256">, TestKeys> = {
  RS256: rsa,
  ES256: ec,
  EdDSA: ed,
};

/** A token of `alg` over `claims`, signed with the test key of `alg`. */
function token(
  alg: Alg,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  if (alg === "HS256") {
    return signJwt(alg, SECRET, { alg, typ: "JWT", ...header }, claims);
  }
  const keys = PAIRS[alg];
  return signJwt(
    alg,
    keys.privateKey,
    { alg, typ: "JWT", kid: keys.jwk.kid, ...header },
    claims,
  );
}

function keysOf(alg: Alg): JwtKeySource {
  return alg === "HS256" ? { secret: SECRET } : { jwks };
}

/** Asserts that verifying rejects with a JwtError of `reason`. */
async function refused(
  promise: Promise<unknown>,
  reason: JwtErrorReason,
): Promise<void> {
  await rejects(promise, (error: unknown) => {
    ok(error instanceof JwtError, `not a JwtError: ${error}`);
    strictEqual(error.reason, reason, error.message);
    ok(error.message.startsWith("Cannot verify token: "), error.message);
    return true;
  });
}

const ALGS: Alg[] = ["HS256", "RS256", "ES256", "EdDSA"];

Deno.test("verifyJwt resolves to the claims of a token of each algorithm", async (t) => {
  for (const alg of ALGS) {
    await t.step(alg, async () => {
      const claims = { sub: "ada", exp: inSeconds(60), n: [1, "two"] };
      deepStrictEqual(await verifyJwt(token(alg, claims), keysOf(alg)), claims);
    });
  }
});

Deno.test("verifyJwt accepts a CryptoKey of each asymmetric algorithm", async (t) => {
  const params = {
    RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    ES256: { name: "ECDSA", namedCurve: "P-256" },
    EdDSA: { name: "Ed25519" },
  } as const;
  for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
    await t.step(alg, async () => {
      const key = await crypto.subtle.importKey(
        "jwk",
        { ...PAIRS[alg].jwk, kid: undefined } as JsonWebKey,
        params[alg],
        false,
        ["verify"],
      );
      const claims = { sub: alg, exp: inSeconds(60) };
      deepStrictEqual(await verifyJwt(token(alg, claims), { key }), claims);
    });
  }
});

Deno.test("verifyJwt verifies tokens signed by a real Node process", async () => {
  const output = await new Deno.Command("node", {
    args: [new URL("./_node_sign.mjs", import.meta.url).pathname],
    stdout: "piped",
  }).output();
  strictEqual(output.code, 0);
  const { node, vectors } = JSON.parse(new TextDecoder().decode(output.stdout));
  ok(String(node).startsWith("v"));
  deepStrictEqual(vectors.map((v: { alg: string }) => v.alg), ALGS);
  for (const vector of vectors) {
    const keys: JwtKeySource = vector.secret === undefined
      ? { jwks: { keys: [{ ...vector.jwk, kid: vector.kid }] } }
      : { secret: vector.secret };
    const claims = await verifyJwt(vector.token, keys);
    strictEqual(claims.sub, `node-${vector.alg}`);
    deepStrictEqual(claims.serverpush, { subscribe: ["chat"] });
  }
});

Deno.test("verifyJwt refuses an expired token, beyond the clock tolerance", async (t) => {
  for (const alg of ALGS) {
    await t.step(alg, async () => {
      await refused(
        verifyJwt(token(alg, { exp: inSeconds(-60) }), keysOf(alg)),
        "expired",
      );
    });
  }
  await t.step(
    "within the default tolerance of 5 seconds it passes",
    async () => {
      const exp = 1_000_000;
      const keys = keysOf("HS256");
      const at = (ms: number): VerifyJwtOptions => ({ now: () => ms });
      ok(
        await verifyJwt(token("HS256", { exp }), keys, at(exp * 1000 + 4_000)),
      );
      await refused(
        verifyJwt(token("HS256", { exp }), keys, at(exp * 1000 + 5_000)),
        "expired",
      );
      await refused(
        verifyJwt(token("HS256", { exp }), keys, {
          ...at(exp * 1000 + 1),
          clockTolerance: 0,
        }),
        "expired",
      );
    },
  );
});

Deno.test("verifyJwt refuses a token without exp unless requireExpiration is false", async () => {
  const bare = token("ES256", { sub: "ada" });
  await refused(verifyJwt(bare, { jwks }), "expired");
  deepStrictEqual(
    await verifyJwt(bare, { jwks }, { requireExpiration: false }),
    { sub: "ada" },
  );
});

Deno.test("verifyJwt refuses a token that is not valid yet", async (t) => {
  for (const alg of ALGS) {
    await t.step(alg, async () => {
      await refused(
        verifyJwt(
          token(alg, { exp: inSeconds(600), nbf: inSeconds(60) }),
          keysOf(alg),
        ),
        "not-yet-valid",
      );
    });
  }
  await t.step("an nbf within the tolerance passes", async () => {
    ok(
      await verifyJwt(
        token("EdDSA", { exp: inSeconds(600), nbf: inSeconds(3) }),
        { jwks },
      ),
    );
  });
});

Deno.test("verifyJwt checks the audience", async (t) => {
  const exp = inSeconds(60);
  await t.step(
    "a matching aud, as a string or in an array, passes",
    async () => {
      ok(
        await verifyJwt(token("RS256", { exp, aud: "push" }), { jwks }, {
          audience: "push",
        }),
      );
      ok(
        await verifyJwt(token("RS256", { exp, aud: ["other", "push"] }), {
          jwks,
        }, {
          audience: ["push", "x"],
        }),
      );
    },
  );
  await t.step("another aud is refused", async () => {
    await refused(
      verifyJwt(token("RS256", { exp, aud: "other" }), { jwks }, {
        audience: "push",
      }),
      "wrong-audience",
    );
  });
  await t.step("no aud is refused when an audience is set", async () => {
    await refused(
      verifyJwt(token("RS256", { exp }), { jwks }, { audience: "push" }),
      "wrong-audience",
    );
  });
  await t.step(
    "an aud is refused when no audience is set (RFC 7519 4.1.3)",
    async () => {
      await refused(
        verifyJwt(token("RS256", { exp, aud: "push" }), { jwks }),
        "wrong-audience",
      );
    },
  );
  await t.step("an aud that is not a string is malformed", async () => {
    await refused(
      verifyJwt(token("RS256", { exp, aud: 7 }), { jwks }, {
        audience: "push",
      }),
      "malformed",
    );
  });
});

Deno.test("verifyJwt checks the issuer", async () => {
  const exp = inSeconds(60);
  const options = { issuer: ["https://a.example", "https://b.example"] };
  ok(
    await verifyJwt(token("HS256", { exp, iss: "https://b.example" }), {
      secret: SECRET,
    }, options),
  );
  await refused(
    verifyJwt(token("HS256", { exp, iss: "https://evil.example" }), {
      secret: SECRET,
    }, options),
    "wrong-issuer",
  );
  await refused(
    verifyJwt(token("HS256", { exp }), { secret: SECRET }, options),
    "wrong-issuer",
  );
});

Deno.test("verifyJwt refuses a token signed with another key", async (t) => {
  const exp = inSeconds(60);
  await t.step("HS256 with another secret", async () => {
    await refused(
      verifyJwt(signJwt("HS256", "x".repeat(32), { alg: "HS256" }, { exp }), {
        secret: SECRET,
      }),
      "bad-signature",
    );
  });
  for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
    await t.step(`${alg} with another key under the same kid`, async () => {
      const other = generateKeys(alg, PAIRS[alg].jwk.kid);
      await refused(
        verifyJwt(
          signJwt(alg, other.privateKey, { alg, kid: other.jwk.kid }, { exp }),
          { jwks },
        ),
        "bad-signature",
      );
    });
  }
  await t.step("a payload changed after signing", async () => {
    const [header, , signature] = token("EdDSA", { exp, sub: "ada" }).split(
      ".",
    );
    await refused(
      verifyJwt(`${header}.${part({ exp, sub: "root" })}.${signature}`, {
        jwks,
      }),
      "bad-signature",
    );
  });
  await t.step("an ES256 signature in DER instead of r || s", async () => {
    const input = `${part({ alg: "ES256", kid: "ec-1" })}.${part({ exp })}`;
    const der = createSign("SHA256").update(input).sign(ec.privateKey);
    await refused(
      verifyJwt(`${input}.${der.toString("base64url")}`, { jwks }),
      "bad-signature",
    );
  });
});

Deno.test("verifyJwt refuses alg none and unknown algorithms", async (t) => {
  const exp = inSeconds(60);
  for (const alg of ["none", "None", "HS512", "PS256", "RS384", "", 1]) {
    await t.step(String(alg), async () => {
      const unsigned = `${part({ alg, typ: "JWT" })}.${part({ exp })}.`;
      await refused(verifyJwt(unsigned, { secret: SECRET }), "unsupported-alg");
      await refused(verifyJwt(unsigned, { jwks }), "unsupported-alg");
    });
  }
  await t.step("a header with crit", async () => {
    await refused(
      verifyJwt(token("HS256", { exp }, { crit: ["b64"], b64: false }), {
        secret: SECRET,
      }),
      "unsupported-alg",
    );
  });
});

Deno.test("verifyJwt refuses algorithm confusion", async (t) => {
  const exp = inSeconds(60);
  await t.step(
    "HS256 signed with the RSA public key PEM as the secret, against the JWKS",
    async () => {
      const forged = signJwt("HS256", rsa.pem, { alg: "HS256", kid: "rsa-1" }, {
        exp,
      });
      await refused(verifyJwt(forged, { jwks }), "alg-mismatch");
    },
  );
  await t.step("the same token, against the RSA CryptoKey", async () => {
    const key = await crypto.subtle.importKey(
      "spki",
      new Uint8Array(rsa.publicKey.export({ type: "spki", format: "der" })),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const forged = signJwt("HS256", rsa.pem, { alg: "HS256" }, { exp });
    await refused(verifyJwt(forged, { key }), "alg-mismatch");
  });
  await t.step("a PEM key given as a secret is refused up front", () => {
    throws(() => createJwtVerifier({ secret: rsa.pem }), TypeError);
  });
  await t.step("RS256 against an HMAC secret", async () => {
    await refused(
      verifyJwt(token("RS256", { exp }), { secret: SECRET }),
      "alg-mismatch",
    );
  });
  await t.step("ES256 header on an Ed25519 kid", async () => {
    const forged = signJwt("ES256", ec.privateKey, {
      alg: "ES256",
      kid: "ed-1",
    }, { exp });
    await refused(verifyJwt(forged, { jwks }), "alg-mismatch");
  });
});

Deno.test("verifyJwt refuses malformed tokens", async (t) => {
  const exp = inSeconds(60);
  const good = token("HS256", { exp });
  const [header, payload, signature] = good.split(".") as [
    string,
    string,
    string,
  ];
  const cases: [string, string][] = [
    ["two parts", `${header}.${payload}`],
    ["four parts", `${good}.x`],
    ["empty", ""],
    ["padding in the header", `${header}=.${payload}.${signature}`],
    [
      "standard base64 characters",
      `${header.replace(/.$/, "+")}.${payload}.${signature}`,
    ],
    ["a space", ` ${good}`],
    ["a header that is not JSON", `${part("{alg:")}.${payload}.${signature}`],
    [
      "a header that is a JSON array",
      `${part(["HS256"])}.${payload}.${signature}`,
    ],
    [
      "a header that is not UTF-8",
      `${
        Buffer.from([0xff, 0xfe]).toString("base64url")
      }.${payload}.${signature}`,
    ],
    [
      "a kid that is not a string",
      signJwt("HS256", SECRET, { alg: "HS256", kid: 1 }, { exp }),
    ],
    ["a signature that is not base64url", `${header}.${payload}.${signature}!`],
    [
      "a signed payload that is not JSON",
      signJwt("HS256", SECRET, { alg: "HS256" }, "{not json"),
    ],
    [
      "a signed payload that is a JSON string",
      signJwt("HS256", SECRET, { alg: "HS256" }, '"hi"'),
    ],
    [
      "an exp that is a string",
      signJwt("HS256", SECRET, { alg: "HS256" }, { exp: String(exp) }),
    ],
    [
      "an nbf that is null",
      signJwt("HS256", SECRET, { alg: "HS256" }, { exp, nbf: null }),
    ],
  ];
  for (const [name, text] of cases) {
    await t.step(name, async () => {
      await refused(verifyJwt(text, { secret: SECRET }), "malformed");
    });
  }
  await t.step("a token that is not a string", async () => {
    await refused(
      verifyJwt(42 as unknown as string, { secret: SECRET }),
      "malformed",
    );
  });
});

Deno.test("verifyJwt refuses a token over maxTokenBytes before decoding it", async () => {
  const big = token("HS256", { exp: inSeconds(60), pad: "x".repeat(8192) });
  ok(big.length > 8192);
  await refused(verifyJwt(big, { secret: SECRET }), "too-large");
  ok(
    await verifyJwt(big, { secret: SECRET }, { maxTokenBytes: big.length }),
  );
  // A long run of garbage is refused by its length alone.
  await refused(
    verifyJwt("!".repeat(100_000), { secret: SECRET }),
    "too-large",
  );
});

Deno.test("verifyJwt picks a JWKS key by kid", async (t) => {
  const exp = inSeconds(60);
  await t.step("an unknown kid", async () => {
    await refused(
      verifyJwt(token("RS256", { exp }, { kid: "nope" }), { jwks }),
      "unknown-key",
    );
  });
  await t.step("no kid, and one key of the algorithm", async () => {
    const claims = { exp };
    deepStrictEqual(
      await verifyJwt(
        signJwt("ES256", ec.privateKey, { alg: "ES256" }, claims),
        { jwks },
      ),
      claims,
    );
  });
  await t.step("no kid, and two keys of the algorithm", async () => {
    const second = generateKeys("ES256", "ec-2");
    await refused(
      verifyJwt(signJwt("ES256", ec.privateKey, { alg: "ES256" }, { exp }), {
        jwks: { keys: [ec.jwk, second.jwk] },
      }),
      "unknown-key",
    );
  });
  await t.step("a kid is ignored with a single secret or key", async () => {
    ok(
      await verifyJwt(token("HS256", { exp }, { kid: "whatever" }), {
        secret: SECRET,
      }),
    );
  });
  await t.step(
    "keys for encryption or of unknown types are skipped",
    async () => {
      const keys = [
        { ...ec.jwk, use: "enc" },
        { kty: "RSA", kid: "rsa-1", n: "AQAB", e: "AQAB" },
        { kty: "unknown", kid: "x" },
        { kty: "EC", crv: "P-256", kid: "ec-1" },
        { kty: "OKP", crv: "Ed25519", kid: "ed-1" },
        rsa.jwk,
      ];
      ok(await verifyJwt(token("RS256", { exp }), { jwks: { keys } }));
      await refused(
        verifyJwt(token("ES256", { exp }), { jwks: { keys } }),
        "unknown-key",
      );
    },
  );
  await t.step("a JWKS given as JSON text", async () => {
    ok(
      await verifyJwt(token("EdDSA", { exp }), { jwks: JSON.stringify(jwks) }),
    );
  });
});

Deno.test("createJwtVerifier refuses key sources it cannot use safely", async (t) => {
  await t.step("a secret shorter than 32 bytes", () => {
    throws(() => createJwtVerifier({ secret: "short" }), RangeError);
    throws(() => createJwtVerifier({ secret: new Uint8Array(31) }), RangeError);
  });
  await t.step("a JWKS of more than 100 keys", () => {
    throws(
      () => createJwtVerifier({ jwks: { keys: Array(101).fill(ec.jwk) } }),
      RangeError,
    );
  });
  await t.step("a JWKS text of more than 64 KiB", () => {
    throws(
      () =>
        createJwtVerifier({
          jwks: JSON.stringify({ keys: [], pad: "x".repeat(65_536) }),
        }),
      RangeError,
    );
  });
  await t.step("a JWKS with no usable key", () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey
      .export({ format: "jwk" }) as JsonWebKey;
    throws(() => createJwtVerifier({ jwks: { keys: [weak] } }), TypeError);
    throws(() => createJwtVerifier({ jwks: { keys: [] } }), TypeError);
    throws(() => createJwtVerifier({ jwks: "not json" }), TypeError);
    throws(
      () =>
        createJwtVerifier({
          jwks: { keys: [{ kty: "RSA", n: "AQAB", e: "AQAB" }] },
        }),
      TypeError,
    );
  });
  await t.step("a private CryptoKey", async () => {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    throws(() => createJwtVerifier({ key: pair.privateKey }), TypeError);
    ok(createJwtVerifier({ key: pair.publicKey }));
  });
  await t.step("a clock tolerance out of range", () => {
    throws(
      () => createJwtVerifier({ secret: SECRET }, { clockTolerance: -1 }),
      RangeError,
    );
    throws(
      () => createJwtVerifier({ secret: SECRET }, { clockTolerance: 301 }),
      RangeError,
    );
  });
});
