// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// bench/runtimes.ts, Deno, ours: the routes of _routes.ts on Deno.serve with
// acceptWebSocket and the hub (_ours.ts), the echo's style from $ECHO.
// Prints "READY <port>".

import { benchHandler } from "./_routes.ts";
import { type EchoStyle, oursSide } from "./_ours.ts";

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ port }): void {
    console.log(`READY ${port}`);
  },
}, benchHandler(oursSide(Deno.env.get("ECHO") as EchoStyle | undefined)));
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
