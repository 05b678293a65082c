// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// bench/runtimes.ts, Node and Bun, ours: the routes of _routes.ts with the
// code of _ours.ts, on `serve(options, handler)` from serve/mod.ts, the
// runtime-neutral server of issue 15. Until that export exists this program
// prints "UNAVAILABLE <reason>" and exits 0, and the bench reports the side
// as not run. Prints "READY <port>" once listening.

import process from "node:process";
import { benchHandler } from "./_routes.ts";
import { oursSide } from "./_ours.ts";
import * as serveEntry from "../../serve/mod.ts";

/** The shape issue 15 gives `serve`. */
type Serve = (
  options: {
    hostname: string;
    port: number;
    onListen?: (addr: { hostname: string; port: number }) => void;
  },
  handler: (request: Request) => Promise<Response>,
) => { finished: Promise<void> };

// Read off the namespace, so `deno check` does not require the export yet.
const serve = (serveEntry as unknown as { serve?: Serve }).serve;
if (typeof serve !== "function") {
  console.log("UNAVAILABLE serve/mod.ts does not export serve() yet");
  process.exit(0);
}
serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ port }): void {
    console.log(`READY ${port}`);
  },
}, benchHandler(oursSide()));
process.on("SIGTERM", () => process.exit(0));
