// Copyright 2026 the serverpush authors. MIT license.
import { strictEqual } from "node:assert/strict";
import { createHash } from "node:crypto";
import { secWebSocketAccept, sha1 } from "../../ws/_sha1.ts";

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("sha1 matches node:crypto for every length from 0 to 300 bytes", () => {
  for (let length = 0; length <= 300; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    strictEqual(
      hex(sha1(data)),
      createHash("sha1").update(data).digest("hex"),
      `length ${length}`,
    );
  }
});

Deno.test("sha1 matches the FIPS 180 examples", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  strictEqual(
    hex(sha1(encode("abc"))),
    "a9993e364706816aba3e25717850c26c9cd0d89d",
  );
  strictEqual(
    hex(sha1(encode(""))),
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  );
  strictEqual(
    hex(
      sha1(encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    ),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
});

Deno.test("secWebSocketAccept agrees with WebCrypto for random keys", async () => {
  for (let i = 0; i < 50; i++) {
    const key = btoa(
      String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
    );
    const digest = await crypto.subtle.digest(
      "SHA-1",
      new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
    );
    strictEqual(
      secWebSocketAccept(key),
      btoa(String.fromCharCode(...new Uint8Array(digest))),
    );
  }
});

Deno.test("secWebSocketAccept agrees with node:crypto for keys of any length and non-ASCII keys", () => {
  const expected = (key: string) =>
    createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
      .digest("base64");
  // Around the shared buffer's limit (83 ASCII characters) and past it.
  for (let length = 0; length <= 200; length++) {
    const key = "k".repeat(length);
    strictEqual(secWebSocketAccept(key), expected(key), `length ${length}`);
  }
  for (const key of ["dGhlIHNhbXBsZSBub25jZQ==é", "ключ", "🔑x"]) {
    strictEqual(secWebSocketAccept(key), expected(key), key);
  }
  // A short key after a long one: nothing of the long one is left over.
  strictEqual(secWebSocketAccept("a".repeat(80)), expected("a".repeat(80)));
  strictEqual(secWebSocketAccept("b"), expected("b"));
});
