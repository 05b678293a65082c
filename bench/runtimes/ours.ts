// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// bench/runtimes.ts, Node and Bun, ours: the routes of _routes.ts with the
// code of _ours.ts, on `serve(options, handler)` from serve/mod.ts, default
// options (permessage-deflate offered, as a user gets it); the echo's style
// from $ECHO (see _ours.ts). Prints "READY <port>" once listening.

import process from "node:process";
import { benchHandler } from "./_routes.ts";
import { type EchoStyle, oursSide } from "./_ours.ts";
import { serve } from "../../serve/mod.ts";

const server = await serve(
  { hostname: "127.0.0.1", port: 0 },
  benchHandler(oursSide(process.env.ECHO as EchoStyle | undefined)),
);
console.log(`READY ${server.addr.port}`);
process.on("SIGTERM", () => process.exit(0));
