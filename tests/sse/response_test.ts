// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  createSsePushQueue,
  type SseByteSink,
  type SseByteSource,
  type SseMessage,
  sseResponse,
} from "../../sse/mod.ts";
import { serve, textReader, within } from "./_server.ts";

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
];

async function* messages(list: SseMessage[]): AsyncGenerator<SseMessage> {
  yield* list;
}

Deno.test("sseResponse builds exactly the event-stream headers", () => {
  const response = sseResponse(messages([]));
  strictEqual(response.status, 200);
  deepStrictEqual([...response.headers], [
    ["cache-control", "no-cache"],
    ["content-type", "text/event-stream; charset=utf-8"],
    ["x-accel-buffering", "no"],
  ]);
  return response.body?.cancel();
});

Deno.test("sseResponse headers reach the client without Connection or Keep-Alive", async () => {
  await using s = serve(() => sseResponse(messages([{ data: "x" }])));
  const response = await fetch(s.url);
  strictEqual(response.status, 200);
  strictEqual(
    response.headers.get("content-type"),
    "text/event-stream; charset=utf-8",
  );
  strictEqual(response.headers.get("cache-control"), "no-cache");
  strictEqual(response.headers.get("x-accel-buffering"), "no");
  strictEqual(response.headers.get("connection"), null);
  strictEqual(response.headers.get("keep-alive"), null);
  await response.body?.cancel();
});

Deno.test("sseResponse merges extra headers over the defaults", () => {
  const response = sseResponse(messages([]), {
    headers: {
      "cache-control": "no-cache, no-transform",
      "access-control-allow-origin": "*",
    },
  });
  deepStrictEqual([...response.headers], [
    ["access-control-allow-origin", "*"],
    ["cache-control", "no-cache, no-transform"],
    ["content-type", "text/event-stream; charset=utf-8"],
    ["x-accel-buffering", "no"],
  ]);
  return response.body?.cancel();
});

Deno.test("sseResponse refuses connection-specific headers", async (t) => {
  for (const name of HOP_BY_HOP) {
    await t.step(name, () => {
      throws(
        () => sseResponse(messages([]), { headers: { [name]: "x" } }),
        TypeError,
      );
    });
  }
});

Deno.test("sseResponse refuses a content-type other than text/event-stream", () => {
  throws(
    () =>
      sseResponse(messages([]), { headers: { "content-type": "text/plain" } }),
    TypeError,
  );
  const response = sseResponse(messages([]), {
    headers: { "content-type": "text/event-stream" },
  });
  strictEqual(response.headers.get("content-type"), "text/event-stream");
  return response.body?.cancel();
});

Deno.test("sseResponse refuses a bad retry or keepAlive", () => {
  throws(() => sseResponse(messages([]), { retry: -1 }), RangeError);
  throws(() => sseResponse(messages([]), { retry: 1.5 }), RangeError);
  throws(() => sseResponse(messages([]), { keepAlive: -1 }), RangeError);
  throws(() => sseResponse(messages([]), { keepAlive: NaN }), RangeError);
});

Deno.test("sseResponse refuses a source that is not iterable", () => {
  throws(
    () => sseResponse({} as AsyncIterable<SseMessage>),
    TypeError,
  );
});

Deno.test("sseResponse sends the encoded messages as the body", async () => {
  await using s = serve(() =>
    sseResponse(messages([
      { data: "one" },
      { event: "tick", id: "2", data: "two\nlines" },
      { id: "" },
      { comment: "note" },
      { data: "" },
    ]))
  );
  const response = await fetch(s.url);
  strictEqual(
    await response.text(),
    "data: one\n\nevent: tick\nid: 2\ndata: two\ndata: lines\n\nid: \n\n: note\n\ndata: \n\n",
  );
});

Deno.test("sseResponse accepts a ReadableStream source", async () => {
  await using s = serve(() =>
    sseResponse(ReadableStream.from([{ data: "a" }, { data: "b" }]))
  );
  const response = await fetch(s.url);
  strictEqual(await response.text(), "data: a\n\ndata: b\n\n");
});

Deno.test("sseResponse accepts a plain iterable source", async () => {
  await using s = serve(() =>
    sseResponse([{ data: "a" }, { event: "e", data: "b" }].values())
  );
  const response = await fetch(s.url);
  strictEqual(await response.text(), "data: a\n\nevent: e\ndata: b\n\n");
});

Deno.test("sseResponse sends retry before the first message", async () => {
  await using s = serve(() =>
    sseResponse(messages([{ data: "a" }]), { retry: 0 })
  );
  const response = await fetch(s.url);
  strictEqual(await response.text(), "retry: 0\n\ndata: a\n\n");
});

Deno.test("sseResponse sends a keep-alive comment while the source is idle", async () => {
  const release = Promise.withResolvers<void>();
  async function* slow(): AsyncGenerator<SseMessage> {
    yield { data: "first" };
    await release.promise;
    yield { data: "last" };
  }
  await using s = serve(() => sseResponse(slow(), { keepAlive: 50 }));
  const response = await fetch(s.url);
  const body = textReader(response.body!);
  await within(body.until("data: first\n\n: \n\n"), "a keep-alive comment");
  release.resolve();
  const { text, error } = await body.rest();
  strictEqual(error, undefined);
  ok(text.startsWith("data: first\n\n: \n\n"), text);
  ok(text.endsWith("data: last\n\n"), text);
  strictEqual(text.replaceAll(": \n\n", ""), "data: first\n\ndata: last\n\n");
});

Deno.test("sseResponse sends no keep-alive when keepAlive is false", async () => {
  // The stream is idle until the client has seen nothing but the first
  // message for longer than a keep-alive of 0 would allow; then it ends.
  const release = Promise.withResolvers<void>();
  async function* slow(): AsyncGenerator<SseMessage> {
    yield { data: "first" };
    await release.promise;
  }
  await using s = serve(() => sseResponse(slow(), { keepAlive: false }));
  const response = await fetch(s.url);
  const body = textReader(response.body!);
  await body.until("data: first\n\n");
  await new Promise((resolve) => setTimeout(resolve, 100));
  release.resolve();
  deepStrictEqual(await body.rest(), { text: "data: first\n\n" });
});

Deno.test("sseResponse cancels an async generator source when the client disconnects", async () => {
  const cleanedUp = Promise.withResolvers<void>();
  let yielded = 0;
  async function* endless(): AsyncGenerator<SseMessage> {
    try {
      while (true) {
        yield { data: String(yielded++) };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      cleanedUp.resolve();
    }
  }
  await using s = serve(() => sseResponse(endless()));
  const controller = new AbortController();
  const response = await fetch(s.url, { signal: controller.signal });
  const body = textReader(response.body!);
  await body.until("data: 0\n\n");
  controller.abort();
  await within(cleanedUp.promise, "the generator's finally block");
  const count = yielded;
  await new Promise((resolve) => setTimeout(resolve, 50));
  strictEqual(yielded, count, "the generator ran on after its finally");
});

Deno.test("sseResponse cancels an idle ReadableStream source when the client disconnects", async () => {
  const cancelled = Promise.withResolvers<unknown>();
  const source = new ReadableStream<SseMessage>({
    start(controller): void {
      controller.enqueue({ data: "hello" });
    },
    cancel(reason): void {
      cancelled.resolve(reason);
    },
  });
  await using s = serve(() => sseResponse(source, { keepAlive: false }));
  const controller = new AbortController();
  const response = await fetch(s.url, { signal: controller.signal });
  await textReader(response.body!).until("data: hello\n\n");
  controller.abort();
  await within(cancelled.promise, "the source's cancel()");
});

Deno.test("sseResponse pulls the source only as fast as the client reads", async () => {
  // Each message is 1 MiB. Without backpressure the server would pull the
  // endless source as fast as it can encode; with it, pulling stops once the
  // socket buffers are full, a few MiB in.
  const payload = "x".repeat(1 << 20);
  let pulls = 0;
  const source = new ReadableStream<SseMessage>({
    pull(controller): void {
      pulls++;
      controller.enqueue({ data: payload });
    },
  }, { highWaterMark: 0 });
  await using s = serve(() => sseResponse(source, { keepAlive: false }));
  const response = await fetch(s.url);
  const limit = 64;
  // Wait until the pull count has stopped moving (or clearly runs away).
  let last = -1;
  let stable = 0;
  while (stable < 10 && pulls <= limit) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stable = pulls === last ? stable + 1 : 0;
    last = pulls;
  }
  ok(pulls <= limit, `pulled ${pulls} MiB for a client that read nothing`);
  ok(pulls >= 1);
  await response.body?.cancel();
});

Deno.test("sseResponse ends the body and cancels the source when signal aborts", async () => {
  const cleanedUp = Promise.withResolvers<void>();
  const aborter = new AbortController();
  async function* endless(): AsyncGenerator<SseMessage> {
    try {
      for (let i = 0;; i++) {
        yield { data: String(i) };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      cleanedUp.resolve();
    }
  }
  await using s = serve(() =>
    sseResponse(endless(), { signal: aborter.signal })
  );
  const response = await fetch(s.url);
  const body = textReader(response.body!);
  await body.until("data: 1\n\n");
  aborter.abort();
  const { text, error } = await within(body.rest(), "the end of the body");
  strictEqual(error, undefined);
  ok(text.startsWith("data: 0\n\ndata: 1\n\n"), text);
  await within(cleanedUp.promise, "the generator's finally block");
});

Deno.test("sseResponse with an already aborted signal sends only retry", async () => {
  const response = sseResponse(messages([{ data: "never" }]), {
    retry: 5,
    signal: AbortSignal.abort(),
  });
  strictEqual(await response.text(), "retry: 5\n\n");
});

Deno.test("sseResponse errors the body and cancels the source on a bad message", async () => {
  const cleanedUp = Promise.withResolvers<void>();
  async function* bad(): AsyncGenerator<SseMessage> {
    try {
      yield { data: "good" };
      yield { event: "two\nlines", data: "bad" };
      yield { data: "never" };
    } finally {
      cleanedUp.resolve();
    }
  }
  const response = sseResponse(bad());
  const { text, error } = await textReader(response.body!).rest();
  strictEqual(text, "data: good\n\n");
  ok(error instanceof TypeError);
  await within(cleanedUp.promise, "the generator's finally block");
});

Deno.test("sseResponse errors the body when the source throws", async () => {
  // deno-lint-ignore require-yield
  async function* failing(): AsyncGenerator<SseMessage> {
    throw new SyntaxError("boom");
  }
  const { error } = await textReader(sseResponse(failing()).body!).rest();
  ok(error instanceof SyntaxError);
});

Deno.test("sseResponse with a push queue disconnects a client that overflows under the close policy", async () => {
  const queue = createSsePushQueue({ maxQueuedMessages: 4 });
  await using s = serve(() => sseResponse(queue.readable));
  const response = await fetch(s.url);
  const body = textReader(response.body!);
  queue.push({ data: "a" });
  await body.until("data: a\n\n");
  // Five pushes in one go: nothing is taken in between, the fifth overflows.
  const results = ["b", "c", "d", "e", "f"].map((data) => queue.push({ data }));
  deepStrictEqual(results, [true, true, true, true, false]);
  strictEqual(queue.closed, true);
  strictEqual(queue.push({ data: "g" }), false);
  const { text, error } = await within(body.rest(), "the end of the body");
  strictEqual(text, "data: a\n\n");
  ok(error !== undefined, "the client sees the stream fail, not end cleanly");
});

Deno.test("sseResponse with a push queue drops the oldest messages under the drop-oldest policy", async () => {
  const queue = createSsePushQueue({
    maxQueuedMessages: 2,
    policy: "drop-oldest",
  });
  await using s = serve(() => sseResponse(queue.readable));
  const response = await fetch(s.url);
  const body = textReader(response.body!);
  queue.push({ data: "a" });
  await body.until("data: a\n\n");
  const results = ["b", "c", "d", "e", "f"].map((data) => queue.push({ data }));
  deepStrictEqual(results, [true, true, true, true, true]);
  queue.close();
  deepStrictEqual(await within(body.rest(), "the end of the body"), {
    text: "data: a\n\ndata: e\n\ndata: f\n\n",
  });
});

Deno.test("sseResponse with a push queue closes the queue when the client disconnects", async () => {
  const closed = Promise.withResolvers<unknown>();
  const queue = createSsePushQueue({ onClose: closed.resolve });
  await using s = serve(() => sseResponse(queue.readable));
  const controller = new AbortController();
  const response = await fetch(s.url, { signal: controller.signal });
  queue.push({ data: "hi" });
  await textReader(response.body!).until("data: hi\n\n");
  controller.abort();
  await within(closed.promise, "the queue's onClose");
  strictEqual(queue.closed, true);
  strictEqual(queue.push({ data: "late" }), false);
});

Deno.test("sseResponse sends Uint8Array items as they are, the same object", async () => {
  const event = new TextEncoder().encode("id: 1\ndata: shared\n\n");
  const reader = sseResponse([event, event].values(), { keepAlive: false })
    .body!.getReader();
  strictEqual((await reader.read()).value, event);
  strictEqual((await reader.read()).value, event);
  strictEqual((await reader.read()).done, true);
});

Deno.test("sseResponse with a ReadableStream source that errors errors the body while nothing is read", async () => {
  let fail!: (error: unknown) => void;
  const source = new ReadableStream<Uint8Array>({
    start(controller): void {
      fail = (error) => controller.error(error);
    },
  });
  const body = sseResponse(source, { keepAlive: false }).body!;
  fail(new RangeError("overflow"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  // No read was pending: the body errored by itself.
  const reader = body.getReader();
  await reader.read().then(
    () => ok(false, "the body should have errored"),
    (error) => ok(error instanceof RangeError),
  );
});

Deno.test("sseResponse with an SseByteSource pulls once per read, sends keep-alives, and cancels the source", async () => {
  const event = new TextEncoder().encode("data: one\n\n");
  let sink!: SseByteSink;
  let pulls = 0;
  const cancelled = Promise.withResolvers<unknown>();
  const source: SseByteSource = {
    start(s): void {
      sink = s;
    },
    pull(): void {
      if (pulls++ === 0) sink.enqueue(event);
    },
    cancel(reason): void {
      cancelled.resolve(reason);
    },
  };
  const reader = sseResponse(source, { keepAlive: 20, retry: 10 }).body!
    .getReader();
  const decoder = new TextDecoder();
  strictEqual(decoder.decode((await reader.read()).value), "retry: 10\n\n");
  strictEqual((await reader.read()).value, event);
  // The source holds its next chunk back: a keep-alive comment comes.
  strictEqual(decoder.decode((await reader.read()).value), ": \n\n");
  ok(pulls >= 2 && pulls <= 3, `pulled ${pulls} times`);
  await reader.cancel("gone");
  strictEqual(await within(cancelled.promise, "the source's cancel"), "gone");
});

Deno.test("sseResponse with an SseByteSource ends and errors as the source says", async () => {
  const ends: SseByteSink[] = [];
  const source = (): SseByteSource => ({
    start(s): void {
      ends.push(s);
    },
    pull(): void {},
    cancel(): void {},
  });
  const closing = sseResponse(source(), { keepAlive: false });
  const failing = sseResponse(source(), { keepAlive: false });
  ends[0]!.close();
  ends[1]!.error(new RangeError("overflow"));
  strictEqual(await closing.text(), "");
  const { error } = await textReader(failing.body!).rest();
  ok(error instanceof RangeError);
});
