// Copyright 2026 the serverpush authors. MIT license.
// deno-lint-ignore-file no-console
// bench/runtimes.ts, Bun, the usual choice: Bun.serve with its own
// `websocket` handlers; /echo echoes, /hub/bench subscribers join the topic
// "bench" and a broadcast is one server.publish of the hub's JSON shape
// (with $BUN_FANOUT=loop, one `send` per subscriber from JavaScript, to
// tell the cost of the loop from the cost of what it calls). Prints
// "READY <port>".

import process from "node:process";

interface BunSocket {
  data: { echo: boolean };
  send(data: string | Uint8Array): number;
  subscribe(topic: string): void;
}
interface BunServer {
  port: number;
  upgrade(request: Request, options: { data: { echo: boolean } }): boolean;
  publish(topic: string, data: string): number;
}
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | undefined;
    websocket: {
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | Uint8Array): void;
      close(ws: BunSocket): void;
      idleTimeout?: number;
    };
  }): BunServer;
};

/** `$BUN_FANOUT` "loop": broadcasts call `send` on each subscriber instead. */
const loop = process.env.BUN_FANOUT === "loop";
const subscribers = new Set<BunSocket>();

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname === "/echo" || url.pathname === "/hub/bench") {
      const echo = url.pathname === "/echo";
      if (server.upgrade(request, { data: { echo } })) return undefined;
      return new Response("Upgrade Required", { status: 426 });
    }
    if (url.pathname === "/_bench/broadcast") {
      const k = Number(url.searchParams.get("k"));
      const text = JSON.stringify({
        id: String(k),
        data: `b${k}@${performance.timeOrigin + performance.now()}`,
      });
      if (loop) { for (const subscriber of subscribers) subscriber.send(text); }
      else server.publish("bench", text);
      return new Response(null, { status: 204 });
    }
    return new Response("Not Found", { status: 404 });
  },
  websocket: {
    // The hub's default heartbeat (30 s + 30 s) is this idle timeout.
    idleTimeout: 60,
    open(ws) {
      if (ws.data.echo) return;
      ws.subscribe("bench");
      subscribers.add(ws);
    },
    message(ws, message) {
      if (ws.data.echo) ws.send(message);
    },
    close(ws) {
      subscribers.delete(ws);
    },
  },
});
console.log(`READY ${server.port}`);
process.on("SIGTERM", () => process.exit(0));
