// Copyright 2026 the serverpush authors. MIT license.
// SseClient's `history` option against a real hub server.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { SseClient } from "../../sse/mod.ts";
import { Hub } from "../../hub/mod.ts";
import { droppableHandler } from "../_droppable_handler.ts";
import { serve } from "./_server.ts";
import { until } from "../_wait.ts";

/** A hub server whose streams `drop()` ends, recording each request. */
function hubServer(hub: Hub) {
  const handler = droppableHandler(hub, { retry: 20 });
  const requests: { history: string | null; lastEventId: string | null }[] = [];
  const server = serve((request) => {
    requests.push({
      history: new URL(request.url).searchParams.get("history"),
      lastEventId: request.headers.get("last-event-id"),
    });
    return handler.handle(request);
  });
  return {
    server,
    requests,
    drop: handler.drop,
    async [Symbol.asyncDispose](): Promise<void> {
      handler.stop();
      await hub.close();
      await server.server.shutdown();
    },
  };
}

Deno.test("SseClient with history gets the newest messages first and resumes by Last-Event-ID after a drop", async () => {
  const hub = new Hub();
  await using front = hubServer(hub);
  for (const data of ["a", "b", "c"]) await hub.publish("t", { data });
  const url = `${front.server.url}t`;
  const client = new SseClient(url, { history: 2, minRetry: 0 });
  const seen: string[] = [];
  client.onmessage = (event) => seen.push(event.data);
  try {
    await until(() => seen.length >= 2, "the history");
    front.drop();
    await hub.publish("t", { data: "d" });
    await until(() => seen.length >= 3, "the missed message");
  } finally {
    client.close();
  }
  deepStrictEqual(seen, ["b", "c", "d"]);
  strictEqual(client.url, url);
  const ids = (await hub.history("t")).messages.map((m) => m.id);
  deepStrictEqual(front.requests.slice(0, 2), [
    { history: "2", lastEventId: null },
    { history: null, lastEventId: ids[2] },
  ]);
});

Deno.test("SseClient sends no history with a lastEventId to resume after", async () => {
  const hub = new Hub();
  await using front = hubServer(hub);
  const first = await hub.publish("t", { data: "a" });
  await hub.publish("t", { data: "b" });
  const client = new SseClient(`${front.server.url}t`, {
    history: 5,
    lastEventId: first,
  });
  const seen: string[] = [];
  try {
    for await (const event of client) {
      seen.push(event.data);
      break;
    }
  } finally {
    client.close();
  }
  deepStrictEqual(seen, ["b"]);
  deepStrictEqual(front.requests[0], { history: null, lastEventId: first });
});

Deno.test("SseClient rejects a history out of range", () => {
  for (const history of [-1, 2.5, 10_001]) {
    throws(() => new SseClient("http://127.0.0.1:9/", { history }), RangeError);
  }
});
