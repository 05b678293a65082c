// Copyright 2026 the serverpush authors. MIT license.
// The committed prebuilt client, dist/client.js, is what `deno task
// build:client` makes from the sources today, and it is a loadable module
// with the entry's exports.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { bundleClient, DIST_CLIENT, ROOT } from "../_bundle.ts";
import * as entry from "../../client/mod.ts";

Deno.test("dist/client.js is up to date with the sources (run deno task build:client)", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "dist_client_" });
  try {
    await bundleClient(`${tmp}/client.js`);
    const fresh = await Deno.readTextFile(`${tmp}/client.js`);
    const committed = await Deno.readTextFile(`${ROOT}${DIST_CLIENT}`);
    ok(
      fresh === committed,
      `${DIST_CLIENT} is stale: run deno task build:client and commit it`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("dist/client.js exports what ./client exports and names no node: module", async () => {
  const text = await Deno.readTextFile(`${ROOT}${DIST_CLIENT}`);
  strictEqual(text.includes("node:"), false);
  strictEqual(/\bDeno\b/.test(text), false);
  const built = await import(`file://${ROOT}${DIST_CLIENT}`);
  deepStrictEqual(Object.keys(built).sort(), Object.keys(entry).sort());
  strictEqual(typeof built.connect, "function");
});
