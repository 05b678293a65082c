// Copyright 2026 the serverpush authors. MIT license.
// The backend contract, run against the Deno KV backend: in memory, on a
// file, and with one store opened by several backends.

import { createKvBackend } from "../../hub/kv.ts";
import { backendConformance } from "./_backend_conformance.ts";

backendConformance({
  name: "kv (:memory:, one Deno.Kv)",
  shared: true,
  fakeClock: true,
  hubWideCaps: true,
  closes: true,
  async store() {
    // Backends given a Deno.Kv leave it open: the test closes it.
    const kv = await Deno.openKv(":memory:");
    return {
      open: (limits) => createKvBackend(kv, { ...limits, pollMs: 10 }),
      dispose: () => Promise.resolve(kv.close()),
    };
  },
});

backendConformance({
  name: "kv (file)",
  shared: true,
  fakeClock: true,
  hubWideCaps: true,
  closes: true,
  async store() {
    const dir = await Deno.makeTempDir({ prefix: "serverpush_kv_" });
    return {
      // Each backend opens the file itself, as another process would.
      open: (limits) =>
        createKvBackend(`${dir}/hub.sqlite`, { ...limits, pollMs: 10 }),
      dispose: () => Deno.remove(dir, { recursive: true }),
    };
  },
});
