// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// bench/runtimes.ts, Deno, the usual choice: bare Deno.serve +
// Deno.upgradeWebSocket, the echo and a set of sockets sent one
// pre-encoded string each (the hub's JSON shape). Prints "READY <port>".

import { benchHandler } from "./_routes.ts";

const sockets = new Set<WebSocket>();

function upgrade(request: Request, echo: boolean): Response {
  // The hub's default heartbeat (30 s + 30 s) is this idle timeout.
  const { socket, response } = Deno.upgradeWebSocket(request, {
    idleTimeout: 60,
  });
  if (echo) {
    socket.onmessage = (event) => socket.send(event.data);
  } else {
    socket.onopen = () => sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
  }
  return response;
}

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen({ port }): void {
      console.log(`READY ${port}`);
    },
  },
  benchHandler({
    echo: (request) => upgrade(request, true),
    subscribe: (request) => upgrade(request, false),
    broadcast(k: number, data: string): void {
      const text = JSON.stringify({ id: String(k), data });
      for (const socket of sockets) socket.send(text);
    },
  }),
);
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
