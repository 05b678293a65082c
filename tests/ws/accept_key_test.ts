// Copyright 2026 the serverpush authors. MIT license.
import { strictEqual } from "node:assert/strict";
import { acceptKey } from "../../ws/accept_key.ts";

Deno.test("acceptKey matches the RFC 6455 section 1.3 example", async () => {
  strictEqual(
    await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("acceptKey gives different answers for different keys", async () => {
  const a = await acceptKey("AQIDBAUGBwgJCgsMDQ4PEA==");
  const b = await acceptKey("AQIDBAUGBwgJCgsMDQ4PEQ==");
  strictEqual(a.length, 28);
  strictEqual(a === b, false);
});
