// Copyright 2026 the serverpush authors. MIT license.
// The HTTP surface every server of bench/runtimes.ts offers, written once
// over fetch-style handlers so it runs on any runtime:
//
//   GET  /echo                  WebSocket; every message comes back as is
//   GET  /hub/bench             WebSocket subscriber of the one topic
//   POST /_bench/broadcast?k=K  sends "b<K>@<time>" to every subscriber
//                               (time: ms since the epoch), 204 when handed
//                               over
//
// The orchestrator measures CPU and RSS from /proc, so servers report
// nothing themselves. Each program prints "READY <port>" once listening.

/** What one server does; the routes are shared. */
export interface BenchSide {
  /** Answers an upgrade on /echo. */
  echo(request: Request): Response | Promise<Response>;
  /** Answers an upgrade on /hub/bench. */
  subscribe(request: Request): Response | Promise<Response>;
  /** Sends `data` to every subscriber. */
  broadcast(k: number, data: string): void | Promise<void>;
}

/** Milliseconds since the epoch, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The handler serving the routes above for `side`. */
export function benchHandler(
  side: BenchSide,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo":
        return await side.echo(request);
      case "/hub/bench":
        return await side.subscribe(request);
      case "/_bench/broadcast": {
        const k = Number(url.searchParams.get("k"));
        await side.broadcast(k, `b${k}@${now()}`);
        return new Response(null, { status: 204 });
      }
      default:
        return new Response("Not Found", { status: 404 });
    }
  };
}
