// Copyright 2026 the serverpush authors. MIT license.

import {
  deepStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import {
  createSsePushQueue,
  lastEventId,
  SseClient,
  type SseClientFetch,
  type SseEvent,
  type SseMessage,
  sseResponse,
} from "../../sse/mod.ts";
import { serve, type TestServer, within } from "./_server.ts";
import { delay } from "../_wait.ts";

/** What the server saw of one request. */
interface SeenRequest {
  method: string;
  headers: Headers;
  body: string;
  lastEventId: string | undefined;
}

/**
 * A server that answers its n-th request with `script[n]`, and 204 (which
 * tells the client to stop) once the script runs out.
 */
function scripted(
  script: ((request: Request) => Response | Promise<Response>)[],
): TestServer & { requests: SeenRequest[]; nth(n: number): Promise<void> } {
  const requests: SeenRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const s = serve(async (request) => {
    const body = await request.text();
    requests.push({
      method: request.method,
      headers: request.headers,
      body,
      lastEventId: lastEventId(request),
    });
    for (const waiter of waiters) {
      if (requests.length >= waiter.n) waiter.resolve();
    }
    const step = script[requests.length - 1];
    return step ? step(request) : new Response(null, { status: 204 });
  });
  return Object.assign(s, {
    requests,
    nth(n: number): Promise<void> {
      if (requests.length >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
  });
}

/** A 200 event stream of `messages` that then ends. */
function stream(...messages: SseMessage[]): () => Response {
  return () => sseResponse(messages.values(), { keepAlive: false });
}

/** A 200 event stream of `messages` that stays open until cancelled. */
function openStream(...messages: SseMessage[]): () => Response {
  return () => {
    const queue = createSsePushQueue();
    for (const message of messages) queue.push(message);
    return sseResponse(queue.readable, { keepAlive: false });
  };
}

function nextEvent<T extends Event = MessageEvent>(
  target: EventTarget,
  type: string,
): Promise<T> {
  return new Promise<T>((resolve) =>
    target.addEventListener(type, (event) => resolve(event as T), {
      once: true,
    })
  );
}

/** Waits until `client` is CLOSED (it fires `error` when it gets there). */
async function closed(client: SseClient): Promise<void> {
  while (client.readyState !== SseClient.CLOSED) {
    await within(nextEvent(client, "error"), "the client to close");
  }
}

Deno.test("SseClient exposes the EventSource constants", () => {
  strictEqual(SseClient.CONNECTING, 0);
  strictEqual(SseClient.OPEN, 1);
  strictEqual(SseClient.CLOSED, 2);
  const client = new SseClient("http://127.0.0.1:9/", {
    fetch: () => new Promise(() => {}),
  });
  strictEqual(client.CONNECTING, 0);
  strictEqual(client.OPEN, 1);
  strictEqual(client.CLOSED, 2);
  strictEqual(client.readyState, SseClient.CONNECTING);
  strictEqual(client.url, "http://127.0.0.1:9/");
  strictEqual(client.withCredentials, false);
  client.close();
});

Deno.test("SseClient rejects a bad URL and bad options", () => {
  throws(() => new SseClient("http://[bad"), SyntaxError);
  throws(() => new SseClient("http://localhost/", { retry: -1 }), RangeError);
  throws(
    () => new SseClient("http://localhost/", { maxRetry: NaN }),
    RangeError,
  );
  throws(
    () => new SseClient("http://localhost/", { maxQueuedEvents: 0 }),
    RangeError,
  );
});

Deno.test("SseClient dispatches message events with data, lastEventId and origin", async () => {
  await using s = scripted([openStream({ id: "1", data: "a\nb" })]);
  const client = new SseClient(s.url);
  const event = await within(nextEvent(client, "message"), "a message");
  ok(event instanceof MessageEvent);
  strictEqual(event.data, "a\nb");
  strictEqual(event.lastEventId, "1");
  strictEqual(event.origin, new URL(s.url).origin);
  client.close();
});

Deno.test("SseClient dispatches named events to their own listeners", async () => {
  await using s = scripted([
    openStream({ event: "tick", data: "1" }, { data: "plain" }, {
      event: "tock",
      data: "2",
    }),
  ]);
  const client = new SseClient(s.url);
  const seen: string[] = [];
  client.addEventListener("tick", (e) => seen.push(`tick ${e.data}`));
  client.addEventListener("message", (e) => seen.push(`message ${e.data}`));
  await within(nextEvent(client, "tock"), "the tock event");
  deepStrictEqual(seen, ["tick 1", "message plain"]);
  client.close();
});

Deno.test("SseClient calls onopen and onmessage, with readyState OPEN", async () => {
  await using s = scripted([openStream({ data: "hi" })]);
  const client = new SseClient(s.url);
  const log: string[] = [];
  const done = Promise.withResolvers<void>();
  client.onopen = (event) => {
    log.push(`${event.type} ${client.readyState}`);
  };
  client.onmessage = (event) => {
    log.push(`${event.type} ${event.data} ${client.readyState}`);
    done.resolve();
  };
  strictEqual(typeof client.onopen, "function");
  await within(done.promise, "onmessage");
  deepStrictEqual(log, ["open 1", "message hi 1"]);
  client.onmessage = null;
  strictEqual(client.onmessage, null);
  client.close();
});

Deno.test("SseClient reconnects after the body ends, sending Last-Event-ID", async () => {
  await using s = scripted([
    stream({ id: "5", data: "first" }),
    openStream({ data: "second" }),
  ]);
  const client = new SseClient(s.url, { retry: 10 });
  const states: number[] = [];
  client.onerror = () => states.push(client.readyState);
  const data: string[] = [];
  const second = Promise.withResolvers<MessageEvent>();
  client.onmessage = (event) => {
    data.push(event.data);
    if (event.data === "second") second.resolve(event);
  };
  const event = await within(second.promise, "the second connection");
  deepStrictEqual(data, ["first", "second"]);
  deepStrictEqual(states, [SseClient.CONNECTING]);
  strictEqual(s.requests.length, 2);
  strictEqual(s.requests[0]!.lastEventId, undefined);
  strictEqual(s.requests[1]!.lastEventId, "5");
  strictEqual(event.lastEventId, "5", "the id carries over to later events");
  client.close();
});

Deno.test("SseClient sends a non-ASCII Last-Event-ID as UTF-8", async () => {
  await using s = scripted([
    stream({ id: "é-€", data: "x" }),
    openStream(),
  ]);
  const client = new SseClient(s.url, { retry: 10 });
  await within(s.nth(2), "the reconnection");
  strictEqual(s.requests[1]!.lastEventId, "é-€");
  client.close();
});

Deno.test("SseClient forgets the last event id after an empty id field", async () => {
  await using s = scripted([
    stream({ id: "5", data: "a" }, { id: "", data: "b" }),
    openStream(),
  ]);
  const client = new SseClient(s.url, { retry: 10 });
  const ids: string[] = [];
  client.onmessage = (event) => ids.push(event.lastEventId);
  await within(s.nth(2), "the reconnection");
  deepStrictEqual(ids, ["5", ""]);
  strictEqual(s.requests[1]!.lastEventId, undefined);
  strictEqual(s.requests[1]!.headers.has("last-event-id"), false);
  client.close();
});

Deno.test("SseClient remembers an id set without data", async () => {
  await using s = scripted([stream({ data: "a" }, { id: "9" }), openStream()]);
  const client = new SseClient(s.url, { retry: 10 });
  await within(s.nth(2), "the reconnection");
  strictEqual(s.requests[1]!.lastEventId, "9");
  client.close();
});

Deno.test("SseClient sends the lastEventId option with the first request", async () => {
  await using s = scripted([openStream()]);
  const client = new SseClient(s.url, { lastEventId: "41" });
  await within(s.nth(1), "the request");
  strictEqual(s.requests[0]!.lastEventId, "41");
  client.close();
});

Deno.test("SseClient takes the reconnection time from a retry field", async () => {
  // The initial reconnection time is a minute; only the server's `retry: 10`
  // lets the second request come before the test gives up.
  await using s = scripted([stream({ retry: 10 }), openStream()]);
  const client = new SseClient(s.url, { retry: 60_000 });
  await within(s.nth(2), "a reconnection after the server's retry time");
  client.close();
});

Deno.test("SseClient doubles its delay after consecutive failures", async () => {
  const times: number[] = [];
  const enough = Promise.withResolvers<void>();
  const failing: SseClientFetch = () => {
    times.push(performance.now());
    if (times.length === 5) enough.resolve();
    return Promise.reject(new TypeError("network down"));
  };
  const client = new SseClient("http://127.0.0.1:9/", {
    fetch: failing,
    retry: 50,
    maxRetry: 400,
    minRetry: 50,
  });
  await within(enough.promise, "five attempts");
  client.close();
  // After n failures the delay is at least half of 50 * 2 ** n (capped at
  // 400), and never under the reconnection time: 50, 100, 200, 200.
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const floors = [50, 100, 200, 200];
  gaps.forEach((gap, i) => {
    ok(gap >= floors[i]! - 2, `gap ${i + 1} was ${gap} ms, below ${floors[i]}`);
  });
});

Deno.test("SseClient caps its backoff at maxRetry", async () => {
  // Uncapped, 15 attempts 10 ms apart at first would take minutes (the 14th
  // delay alone is at least 80 s); capped at 40 ms they take well under a
  // second, and the generous timeout only catches a missing cap.
  let calls = 0;
  const enough = Promise.withResolvers<void>();
  const client = new SseClient("http://127.0.0.1:9/", {
    fetch: () => {
      if (++calls === 15) enough.resolve();
      return Promise.reject(new TypeError("network down"));
    },
    retry: 10,
    maxRetry: 40,
  });
  await within(enough.promise, "15 attempts", 20_000);
  client.close();
});

Deno.test("SseClient resets its backoff after a successful open", async () => {
  // Six failures push the next delay to at least 640 ms; a stream that opens
  // resets it to the 10 ms reconnection time.
  const times: number[] = [];
  const enough = Promise.withResolvers<void>();
  const client = new SseClient("http://127.0.0.1:9/", {
    fetch: () => {
      times.push(performance.now());
      if (times.length === 7) {
        return Promise.resolve(
          new Response("data: ok\n\n", {
            headers: { "content-type": "text/event-stream" },
          }),
        );
      }
      if (times.length === 8) enough.resolve();
      return Promise.reject(new TypeError("network down"));
    },
    retry: 10,
    maxRetry: 100_000,
    minRetry: 10,
  });
  await within(enough.promise, "eight attempts");
  client.close();
  const afterOpen = times[7]! - times[6]!;
  ok(afterOpen < 600, `waited ${afterOpen} ms after an open stream ended`);
});

Deno.test("SseClient fails the connection without reconnecting", async (t) => {
  const cases: [string, () => Response, boolean][] = [
    ["status 500", () => new Response("oops", { status: 500 }), true],
    ["status 204", () => new Response(null, { status: 204 }), false],
    [
      "status 201",
      () =>
        new Response("data: x\n\n", {
          status: 201,
          headers: { "content-type": "text/event-stream" },
        }),
      true,
    ],
    [
      "content type text/plain",
      () =>
        new Response("data: x\n\n", {
          headers: { "content-type": "text/plain" },
        }),
      true,
    ],
    ["no content type", () => new Response(new Blob(["data: x\n\n"])), true],
  ];
  for (const [name, respond, iteratorThrows] of cases) {
    await t.step(name, async () => {
      await using s = scripted([respond, openStream({ data: "again" })]);
      const client = new SseClient(s.url, { retry: 10 });
      const iterator = client[Symbol.asyncIterator]();
      let errors = 0;
      client.onerror = () => errors++;
      let messages = 0;
      client.onmessage = () => messages++;
      await closed(client);
      strictEqual(client.readyState, SseClient.CLOSED);
      if (iteratorThrows) await rejects(iterator.next(), TypeError);
      else {deepStrictEqual(await iterator.next(), {
          done: true,
          value: undefined,
        });}
      // Long enough for several reconnections at 10 ms, had there been any.
      await delay(100);
      strictEqual(s.requests.length, 1);
      strictEqual(errors, 1);
      strictEqual(messages, 0);
    });
  }
});

Deno.test("SseClient accepts a content type with parameters and any case", async () => {
  await using s = scripted([() =>
    new Response("data: x\n\n", {
      headers: { "content-type": "Text/Event-Stream ; charset=utf-8" },
    })]);
  const client = new SseClient(s.url);
  strictEqual(
    (await within(nextEvent(client, "message"), "a message")).data,
    "x",
  );
  client.close();
});

Deno.test("SseClient sends its method, body and headers to the server", async () => {
  await using s = scripted([openStream({ data: "ok" })]);
  const client = new SseClient(s.url, {
    method: "POST",
    body: JSON.stringify({ topic: "news" }),
    headers: { "x-token": "secret", "content-type": "application/json" },
  });
  await within(nextEvent(client, "message"), "a message");
  const [seen] = s.requests;
  strictEqual(seen!.method, "POST");
  strictEqual(seen!.body, '{"topic":"news"}');
  strictEqual(seen!.headers.get("x-token"), "secret");
  strictEqual(seen!.headers.get("content-type"), "application/json");
  strictEqual(seen!.headers.get("accept"), "text/event-stream");
  strictEqual(seen!.headers.get("cache-control"), "no-store");
  client.close();
});

Deno.test("SseClient sends the body again on every reconnection", async () => {
  await using s = scripted([stream({ data: "a" }), openStream()]);
  const client = new SseClient(s.url, {
    method: "POST",
    body: new URLSearchParams({ q: "1" }),
    retry: 10,
  });
  await within(s.nth(2), "the reconnection");
  deepStrictEqual(s.requests.map((r) => r.body), ["q=1", "q=1"]);
  client.close();
});

Deno.test("SseClient uses an injected fetch", async () => {
  await using s = scripted([openStream({ data: "through the wrapper" })]);
  const urls: string[] = [];
  const client = new SseClient(s.url, {
    fetch: (input, init) => {
      urls.push(String(input));
      const headers = new Headers(init?.headers);
      headers.set("authorization", "Bearer t");
      return fetch(input, { ...init, headers });
    },
  });
  const event = await within(nextEvent(client, "message"), "a message");
  strictEqual(event.data, "through the wrapper");
  deepStrictEqual(urls, [s.url]);
  strictEqual(s.requests[0]!.headers.get("authorization"), "Bearer t");
  client.close();
});

Deno.test("SseClient close() during an open stream stops for good", async () => {
  const serverSideClosed = Promise.withResolvers<unknown>();
  await using s = scripted([() => {
    const queue = createSsePushQueue({ onClose: serverSideClosed.resolve });
    queue.push({ data: "hello" });
    return sseResponse(queue.readable, { keepAlive: false });
  }]);
  const client = new SseClient(s.url, { retry: 10 });
  let errors = 0;
  client.onerror = () => errors++;
  await within(nextEvent(client, "message"), "a message");
  client.close();
  strictEqual(client.readyState, SseClient.CLOSED);
  await within(serverSideClosed.promise, "the server to see the disconnect");
  await delay(100);
  strictEqual(s.requests.length, 1);
  strictEqual(errors, 0);
});

Deno.test("SseClient close() while waiting to reconnect stops for good", async () => {
  await using s = scripted([stream({ data: "a" }), openStream()]);
  const client = new SseClient(s.url, { retry: 50 });
  client.onerror = () => {
    strictEqual(client.readyState, SseClient.CONNECTING);
    client.close();
  };
  await within(nextEvent(client, "error"), "the reconnection wait");
  strictEqual(client.readyState, SseClient.CLOSED);
  await delay(150);
  strictEqual(s.requests.length, 1);
});

Deno.test("SseClient close() while the request is in flight aborts it", async () => {
  const aborted = Promise.withResolvers<unknown>();
  const client = new SseClient("http://127.0.0.1:9/", {
    fetch: (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          aborted.resolve(init.signal?.reason);
          reject(init.signal?.reason);
        });
      }),
  });
  client.close();
  await within(aborted.promise, "the fetch to be aborted");
  strictEqual(client.readyState, SseClient.CLOSED);
});

Deno.test("SseClient closes when its signal aborts", async () => {
  await using s = scripted([openStream({ data: "a" })]);
  const controller = new AbortController();
  const client = new SseClient(s.url, { signal: controller.signal });
  await within(nextEvent(client, "message"), "a message");
  controller.abort();
  strictEqual(client.readyState, SseClient.CLOSED);
  const never = new SseClient(s.url, { signal: AbortSignal.abort() });
  strictEqual(never.readyState, SseClient.CLOSED);
  await delay(50);
  strictEqual(s.requests.length, 1);
});

Deno.test("SseClient fails the connection on an event over maxEventBytes", async () => {
  await using s = scripted([
    stream({ data: "x".repeat(100) }),
    openStream({ data: "again" }),
  ]);
  const client = new SseClient(s.url, { maxEventBytes: 50, retry: 10 });
  const iterator = client[Symbol.asyncIterator]();
  await closed(client);
  await rejects(iterator.next(), RangeError);
  await delay(100);
  strictEqual(s.requests.length, 1);
});

Deno.test("SseClient iterates over events across reconnections", async () => {
  await using s = scripted([
    stream({ event: "a", id: "1", data: "one" }),
    openStream({ data: "two" }),
  ]);
  const client = new SseClient(s.url, { retry: 10 });
  const events: SseEvent[] = [];
  for await (const event of client) {
    events.push(event);
    if (events.length === 2) break;
  }
  deepStrictEqual(events, [
    { type: "a", data: "one", lastEventId: "1" },
    { type: "message", data: "two", lastEventId: "1" },
  ]);
  strictEqual(client.readyState, SseClient.CLOSED, "break closes the client");
});

Deno.test("SseClient iteration ends when the client is closed", async () => {
  await using s = scripted([openStream({ data: "a" }, { data: "b" })]);
  const client = new SseClient(s.url);
  const data: string[] = [];
  client.addEventListener("message", (event) => {
    if (event.data === "b") client.close();
  });
  for await (const event of client) data.push(event.data);
  deepStrictEqual(data, ["a", "b"]);
});

Deno.test("SseClient iterator throws once its consumer falls behind maxQueuedEvents", async () => {
  await using s = scripted([
    openStream(...["1", "2", "3", "4", "5"].map((data) => ({ data }))),
  ]);
  const client = new SseClient(s.url, { maxQueuedEvents: 2 });
  const iterator = client[Symbol.asyncIterator]();
  const fifth = nextEvent(client, "message");
  let received = 0;
  const all = Promise.withResolvers<void>();
  client.onmessage = () => {
    if (++received === 5) all.resolve();
  };
  await within(all.promise, "five events");
  await fifth;
  deepStrictEqual(await iterator.next(), {
    done: false,
    value: { type: "message", data: "1", lastEventId: "" },
  });
  deepStrictEqual(await iterator.next(), {
    done: false,
    value: { type: "message", data: "2", lastEventId: "" },
  });
  await rejects(iterator.next(), RangeError);
  strictEqual(client.readyState, SseClient.OPEN, "other consumers go on");
  client.close();
});
