// Copyright 2026 the serverpush authors. MIT license.
// connectMultiplex (the serverpush.v1 client) against a real hub server.

import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import { openHub, serve, until } from "../polling/_helpers.ts";
import type { HubHandlerOptions } from "../../serve/mod.ts";
import { droppableHandler } from "../_droppable_handler.ts";
import {
  connectMultiplex,
  type ConnectMultiplexOptions,
  type MultiplexSubscription,
  type PushEvent,
} from "../../client/mod.ts";
import { CodecWebSocket } from "../../ws/mod.ts";

const OPTIONS: HubHandlerOptions = {
  prefix: "/hub",
  allowPublish: true,
  authorizePublish: () => true,
};

const UUID_REGEXP =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A hub server at `/hub/` whose WebSockets `drop()` closes (1001), and a
 * WebSocket class that records what the client sends and can cut the
 * connection right after a publish frame went out.
 */
function startHub(options: HubHandlerOptions = OPTIONS) {
  const hub = openHub();
  const handler = droppableHandler(hub, options);
  const server = serve(handler.handle);
  const sent: Record<string, unknown>[] = [];
  let opened = 0;
  /** Publish frames after which the socket is cut, counted down. */
  let cutAfterPublish = 0;
  class RecordingWebSocket extends WebSocket {
    /** Cut: what the server answers no longer reaches the client. */
    #cut = false;
    constructor(url: string, protocols: string) {
      super(url, protocols);
      opened++;
    }
    override get onmessage(): WebSocket["onmessage"] {
      return super.onmessage;
    }
    override set onmessage(handler: WebSocket["onmessage"]) {
      super.onmessage = handler === null ? null : (event) => {
        if (!this.#cut) handler.call(this, event);
      };
    }
    override send(data: string): void {
      const frame = JSON.parse(data);
      sent.push(frame);
      super.send(data);
      if (frame.type === "publish" && cutAfterPublish > 0) {
        cutAfterPublish--;
        this.#cut = true;
        this.close(4000);
      }
    }
  }
  return {
    hub,
    url: `${server.url}hub/`,
    sent,
    get opened(): number {
      return opened;
    },
    cutAfterPublish(times: number): void {
      cutAfterPublish = times;
    },
    WebSocket: RecordingWebSocket,
    drop: handler.drop,
    async [Symbol.asyncDispose](): Promise<void> {
      handler.stop();
      await hub.close();
      await server.server.shutdown();
    },
  };
}

/** Reads a subscription in the background. */
function collect<E extends object | undefined>(
  subscription: MultiplexSubscription<E>,
) {
  const events: PushEvent<E>[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const event of subscription) events.push(event);
    } catch (error) {
      failure = error;
    }
  })();
  return {
    events,
    done,
    get failure(): unknown {
      return failure;
    },
  };
}

function texts(events: readonly PushEvent[]): string[] {
  return events.map((event) =>
    event.kind === "message"
      ? String(event.data)
      : event.kind === "reset"
      ? `reset:${event.reason}`
      : event.kind
  );
}

function clientOptions(
  front: ReturnType<typeof startHub>,
): ConnectMultiplexOptions {
  return { WebSocket: front.WebSocket, retry: 20, maxRetry: 100 };
}

Deno.test("connectMultiplex subscribes with history, then receives live messages and its own publishes", async () => {
  await using front = startHub();
  for (const data of ["a", "b", "c"]) {
    await front.hub.publish("news", { data });
  }
  const client = connectMultiplex(front.url, clientOptions(front));
  try {
    const news = collect(client.subscribe("news", { history: 2 }));
    await until(() => news.events.length >= 2, "the history");
    const id = await client.publish("news", "d", { event: "mine" });
    await until(() => news.events.length >= 3, "the publish");
    deepStrictEqual(texts(news.events), ["b", "c", "d"]);
    deepStrictEqual(news.events[2], {
      kind: "message",
      id,
      event: "mine",
      data: "d",
    });
    strictEqual(client.connected, true);
  } finally {
    await client.close();
  }
  strictEqual(client.closed, true);
  deepStrictEqual(front.sent[0], {
    type: "subscribe",
    topic: "news",
    history: 2,
  });
});

Deno.test("connectMultiplex carries several topics over one WebSocket, as text, bytes and JSON", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, clientOptions(front));
  try {
    const a = collect(client.subscribe("a"));
    const b = collect(
      client.subscribe<{ point: { x: number } }>("b", { json: true }),
    );
    await client.publish("a", "text");
    await client.publish("a", new Uint8Array([1, 2, 255]));
    await client.publish("b", '{"x":3}', { event: "point" });
    await until(
      () => a.events.length >= 2 && b.events.length >= 1,
      "three messages",
    );
    const [, bytes] = a.events;
    deepStrictEqual(
      bytes?.kind === "message" && bytes.data,
      new Uint8Array([1, 2, 255]),
    );
    const [point] = b.events;
    strictEqual(point?.kind === "message" && point.data.x, 3);
  } finally {
    await client.close();
  }
  strictEqual(front.opened, 1);
});

Deno.test("connectMultiplex resubscribes after its last id, without history, after the connection drops", async () => {
  await using front = startHub();
  await front.hub.publish("news", { data: "a" });
  const client = connectMultiplex(front.url, clientOptions(front));
  const news = collect(client.subscribe("news", { history: 5 }));
  let lastId: string;
  try {
    await until(() => news.events.length >= 1, "the history");
    lastId = await client.publish("news", "b");
    await until(() => news.events.length >= 2, "b");
    front.drop();
    await until(() => !client.connected, "the drop");
    await front.hub.publish("news", { data: "c" });
    await until(() => news.events.length >= 3, "the missed message");
  } finally {
    await client.close();
  }
  await news.done;
  deepStrictEqual(texts(news.events), ["a", "b", "c"]);
  const subscribes = front.sent.filter((frame) => frame.type === "subscribe");
  deepStrictEqual(subscribes, [
    { type: "subscribe", topic: "news", history: 5 },
    { type: "subscribe", topic: "news", since: lastId },
  ]);
  strictEqual(front.opened, 2);
});

Deno.test("connectMultiplex publishes with a generated key and sends it again after a cut, stored once", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, clientOptions(front));
  try {
    front.cutAfterPublish(2);
    const id = await client.publish("orders", "one");
    const { messages } = await front.hub.history("orders");
    deepStrictEqual(messages.map((m) => [m.id, m.data]), [[id, "one"]]);
    const publishes = front.sent.filter((frame) => frame.type === "publish");
    strictEqual(publishes.length, 3);
    const [key] = new Set(publishes.map((frame) => frame.idempotencyKey));
    strictEqual(
      publishes.every((frame) => frame.idempotencyKey === key),
      true,
    );
    match(String(key), UUID_REGEXP);
    // The next publish draws a new key.
    await client.publish("orders", "two");
    const last = front.sent.filter((frame) => frame.type === "publish").at(-1);
    ok(last?.idempotencyKey !== key);
  } finally {
    await client.close();
  }
});

Deno.test("connectMultiplex reuses a caller's key: a publish repeated with it is stored once", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, clientOptions(front));
  try {
    const first = await client.publish("orders", "one", {
      idempotencyKey: "order-7",
    });
    const again = await client.publish("orders", "one", {
      idempotencyKey: "order-7",
    });
    strictEqual(again, first);
    strictEqual((await front.hub.history("orders")).messages.length, 1);
  } finally {
    await client.close();
  }
});

Deno.test("connectMultiplex rejects a publish cut off more often than its retries", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, clientOptions(front));
  try {
    front.cutAfterPublish(2);
    await rejects(
      client.publish("orders", "one", { retries: 1 }),
      /the connection closed before the server answered, 2 times/,
    );
  } finally {
    await client.close();
  }
});

Deno.test("connectMultiplex reports the server's refusals", async (t) => {
  await t.step(
    "a refused subscribe ends its iteration, and is not unsubscribed",
    async () => {
      await using front = startHub({
        ...OPTIONS,
        authorizeSubscribe: (_request, topic) => topic !== "secret",
      });
      const client = connectMultiplex(front.url, clientOptions(front));
      try {
        const secret = collect(client.subscribe("secret"));
        await secret.done;
        ok(secret.failure instanceof Error);
        strictEqual((secret.failure as Error).cause, "unauthorized");
        // The topic is free to subscribe to again.
        const open = collect(client.subscribe("open"));
        await client.publish("open", "hi");
        await until(() => open.events.length >= 1, "a message");
      } finally {
        await client.close();
      }
      deepStrictEqual(
        front.sent.filter((frame) => frame.type === "unsubscribe"),
        [],
      );
    },
  );
  await t.step("a refused publish rejects with the server's code", async () => {
    await using front = startHub({ prefix: "/hub" });
    const client = connectMultiplex(front.url, clientOptions(front));
    try {
      await rejects(
        client.publish("news", "hi"),
        (error: Error) => error.cause === "publish-disabled",
      );
    } finally {
      await client.close();
    }
  });
});

Deno.test("connectMultiplex unsubscribes when a subscription closes or its loop is left", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, clientOptions(front));
  try {
    const news = client.subscribe("news");
    await client.publish("news", "one");
    for await (const event of news) {
      strictEqual(event.kind === "message" && event.data, "one");
      break;
    }
    await client.publish("news", "two");
    await until(
      () => front.sent.some((frame) => frame.type === "unsubscribe"),
      "the unsubscribe",
    );
    // Subscribing again is allowed once the first one ended.
    const again = collect(client.subscribe("news", { history: 1 }));
    await until(() => again.events.length >= 1, "the history");
    deepStrictEqual(texts(again.events), ["two"]);
  } finally {
    await client.close();
  }
});

Deno.test("connectMultiplex close() ends every subscription and rejects waiting publishes", async () => {
  // Nothing listens on port 9: the client keeps reconnecting.
  const client = connectMultiplex("ws://127.0.0.1:9/hub/", {
    retry: 10,
    maxRetry: 20,
  });
  const news = collect(client.subscribe("news"));
  const waiting = rejects(
    client.publish("news", "never"),
    /the client is closed/,
  );
  await client.close();
  await waiting;
  await news.done;
  deepStrictEqual(news.events, []);
  strictEqual(news.failure, undefined);
  await rejects(client.publish("news", "late"), /the client is closed/);
});

Deno.test("connectMultiplex closes when its signal aborts", async () => {
  await using front = startHub();
  const controller = new AbortController();
  const client = connectMultiplex(front.url, {
    ...clientOptions(front),
    signal: controller.signal,
  });
  const news = collect(client.subscribe("news"));
  await client.publish("news", "hi");
  await until(() => news.events.length >= 1, "a message");
  controller.abort();
  await news.done;
  strictEqual(client.closed, true);
  await client.close();
});

Deno.test("connectMultiplex works with CodecWebSocket where a runtime has no WebSocket", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, {
    WebSocket: CodecWebSocket,
    retry: 20,
  });
  try {
    const news = collect(client.subscribe("news"));
    await client.publish("news", "over the codec");
    await until(() => news.events.length >= 1, "a message");
    deepStrictEqual(texts(news.events), ["over the codec"]);
  } finally {
    await client.close();
  }
});

Deno.test("connectMultiplex throws on bad arguments", async () => {
  throws(() => connectMultiplex("ftp://example.com/"), TypeError);
  throws(
    () => connectMultiplex("ws://127.0.0.1:9/", { retry: -1 }),
    RangeError,
  );
  const client = connectMultiplex("ws://127.0.0.1:9/", { retry: 10 });
  try {
    throws(() => client.subscribe("bad topic!"), TypeError);
    throws(() => client.subscribe("t", { history: -1 }), RangeError);
    client.subscribe("t");
    throws(() => client.subscribe("t"), TypeError);
    await rejects(client.publish("t", 42 as unknown as string), TypeError);
    await rejects(
      client.publish("t", "x", { idempotencyKey: "" }),
      TypeError,
    );
  } finally {
    await client.close();
  }
});

Deno.test("connectMultiplex ends a subscription whose consumer falls behind maxQueuedEvents, and keeps the others", async () => {
  await using front = startHub();
  const client = connectMultiplex(front.url, {
    ...clientOptions(front),
    maxQueuedEvents: 5,
  });
  try {
    for (let i = 0; i < 50; i++) {
      await front.hub.publish("flood", { data: `m${i}` });
    }
    // Fifty messages at once, none read.
    const slow = client.subscribe("flood", { history: 50 });
    const other = collect(client.subscribe("other"));
    await until(
      () => front.sent.some((frame) => frame.type === "unsubscribe"),
      "the unsubscribe of the slow subscription",
    );
    const read: string[] = [];
    await rejects(
      async () => {
        for await (const event of slow) {
          read.push(String(event.kind === "message" && event.data));
        }
      },
      (error: unknown) =>
        error instanceof RangeError && /maxQueuedEvents/.test(error.message),
    );
    // At most maxQueuedEvents were held: the first five, then the error.
    deepStrictEqual(read, ["m0", "m1", "m2", "m3", "m4"]);
    await client.publish("other", "still here");
    await until(() => other.events.length >= 1, "the other topic");
    strictEqual(client.connected, true);
  } finally {
    await client.close();
  }
});
