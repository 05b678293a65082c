// Copyright 2026 the serverpush authors. MIT license.
// A minimal SSE server over a Redis-backed hub, run as a child process by
// tests/hub/redis_test.ts: `deno run -A _redis_sse_server.ts <redis url>`.
// It prints its port on the first line of stdout.
//
//   GET  /events?topic=t    an event stream; Last-Event-ID resumes
//   POST /publish?topic=t   publishes the body as text; answers with the id

import { Hub, type HubMessage } from "../../hub/mod.ts";
import { createRedisBackend } from "../../hub/redis.ts";
import { lastEventId, type SseMessage, sseResponse } from "../../sse/mod.ts";

const url = Deno.args[0];
if (url === undefined) throw new Error("usage: _redis_sse_server.ts <url>");
const backend = createRedisBackend({ url });
const hub = new Hub({ backend });

function toSse(message: HubMessage): SseMessage {
  return message.kind === "reset"
    ? { event: "serverpush-reset", data: message.reason }
    : message.kind === "message"
    ? { id: message.id, data: String(message.data) }
    : { event: message.kind, data: message.clientId };
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ port }): void {
    // deno-lint-ignore no-console
    console.log(port);
  },
}, async (request) => {
  const { pathname, searchParams } = new URL(request.url);
  const topic = searchParams.get("topic") ?? "events";
  if (request.method === "POST" && pathname === "/publish") {
    const id = await hub.publish(topic, { data: await request.text() });
    return new Response(id);
  }
  if (request.method === "GET" && pathname === "/events") {
    const since = lastEventId(request);
    const messages = hub.subscribe(topic, since === undefined ? {} : { since });
    return sseResponse(
      messages.pipeThrough(
        new TransformStream<HubMessage, SseMessage>({
          transform(message, controller): void {
            controller.enqueue(toSse(message));
          },
        }),
      ),
      { keepAlive: false },
    );
  }
  return new Response("not found", { status: 404 });
});
