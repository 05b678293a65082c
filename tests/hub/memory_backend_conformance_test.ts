// Copyright 2026 the serverpush authors. MIT license.
// The backend contract, run against the in-memory backend.

import { createMemoryBackend } from "../../hub/mod.ts";
import { backendConformance } from "./_backend_conformance.ts";

backendConformance({
  name: "memory",
  shared: false,
  fakeClock: true,
  hubWideCaps: true,
  closes: false,
  store: () =>
    Promise.resolve({
      open: (limits) => createMemoryBackend(limits),
      dispose: () => Promise.resolve(),
    }),
});
