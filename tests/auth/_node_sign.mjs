// Copyright 2026 the serverpush authors. MIT license.
// Run by real Node (`node _node_sign.mjs`): makes a key pair of each
// algorithm with node:crypto, signs one token with each, and prints
// `[{ alg, token, jwk?, secret? }]` as JSON, for the auth tests to verify.

import {
  createHmac,
  createSign,
  generateKeyPairSync,
  randomBytes,
  sign,
} from "node:crypto";

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const exp = Math.floor(Date.now() / 1000) + 600;
const out = [];

function add(alg, kid, signer, key) {
  const input = `${b64({ alg, typ: "JWT", kid })}.${
    b64({ sub: `node-${alg}`, exp, serverpush: { subscribe: ["chat"] } })
  }`;
  out.push({
    alg,
    kid,
    token: `${input}.${signer(input).toString("base64url")}`,
    ...key,
  });
}

const secret = randomBytes(32).toString("hex");
add(
  "HS256",
  "h",
  (input) => createHmac("sha256", secret).update(input).digest(),
  { secret },
);
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
add(
  "RS256",
  "r",
  (input) => createSign("RSA-SHA256").update(input).sign(rsa.privateKey),
  {
    jwk: rsa.publicKey.export({ format: "jwk" }),
  },
);
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
add(
  "ES256",
  "e",
  (input) =>
    createSign("SHA256").update(input).sign({
      key: ec.privateKey,
      dsaEncoding: "ieee-p1363",
    }),
  { jwk: ec.publicKey.export({ format: "jwk" }) },
);
const ed = generateKeyPairSync("ed25519");
add("EdDSA", "d", (input) => sign(null, Buffer.from(input), ed.privateKey), {
  jwk: ed.publicKey.export({ format: "jwk" }),
});
process.stdout.write(JSON.stringify({ node: process.version, vectors: out }));
