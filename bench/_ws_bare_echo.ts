// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// The baseline of bench/ws_e2e.ts: a bare Deno.serve + Deno.upgradeWebSocket
// echo on 127.0.0.1, without serverpush. Prints "listening on N"; exits on
// SIGTERM.

Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
  onListen({ port }): void {
    console.log(`listening on ${port}`);
  },
}, (request) => {
  const { response, socket } = Deno.upgradeWebSocket(request);
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
Deno.addSignalListener("SIGTERM", () => {
  Deno.exit(0);
});
