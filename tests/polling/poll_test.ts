// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { hubSource, poll, type PollingEnvelope } from "../../polling/mod.ts";
import { openHub, publishAll } from "./_helpers.ts";
import { POLLING_TOPIC_START } from "../../message/mod.ts";

function at(cursor?: string): Request {
  const url = new URL("http://localhost/poll");
  if (cursor !== undefined) url.searchParams.set("cursor", cursor);
  return new Request(url);
}

async function envelope(response: Response): Promise<PollingEnvelope> {
  strictEqual(response.status, 200);
  strictEqual(
    response.headers.get("content-type"),
    "application/json; charset=utf-8",
  );
  strictEqual(response.headers.get("cache-control"), "no-store");
  return await response.json();
}

Deno.test("poll answers at once with the messages after the cursor", async () => {
  await using hub = openHub();
  const [seen, a, b] = await publishAll(hub, "t", ["0", "a", "b"]);
  deepStrictEqual(await envelope(await poll(at(seen), hubSource(hub, "t"))), {
    cursor: b,
    messages: [{ id: a, data: "a" }, { id: b, data: "b" }],
  });
});

Deno.test("poll answers at once with an empty batch and the same cursor when nothing is new", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["0"]);
  deepStrictEqual(await envelope(await poll(at(seen), hubSource(hub, "t"))), {
    cursor: seen,
    messages: [],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("poll without a cursor is live only: no messages, and where to go on from", async () => {
  await using hub = openHub();
  // An empty topic: the cursor is the topic's start.
  const empty = await envelope(await poll(at(), hubSource(hub, "t")));
  deepStrictEqual(empty, { cursor: POLLING_TOPIC_START, messages: [] });
  const [a, b] = await publishAll(hub, "t", ["a", "b"]);
  deepStrictEqual(
    await envelope(await poll(at(empty.cursor!), hubSource(hub, "t"))),
    { cursor: b, messages: [{ id: a, data: "a" }, { id: b, data: "b" }] },
  );
  // A topic with messages: none of them, and the newest id as the cursor.
  deepStrictEqual(await envelope(await poll(at(), hubSource(hub, "t"))), {
    cursor: b,
    messages: [],
  });
});

Deno.test("poll with ?history=N starts with the newest N messages", async () => {
  await using hub = openHub();
  const [, b, c] = await publishAll(hub, "t", ["a", "b", "c"]);
  const request = new Request("http://localhost/poll?history=2");
  deepStrictEqual(await envelope(await poll(request, hubSource(hub, "t"))), {
    cursor: c,
    messages: [{ id: b, data: "b" }, { id: c, data: "c" }],
  });
  const bad = await poll(
    new Request("http://localhost/poll?history=-1"),
    hubSource(hub, "t"),
  );
  strictEqual(bad.status, 400);
  await bad.body?.cancel();
});

Deno.test("poll pages through a backlog with maxBatch, losing and repeating nothing", async () => {
  await using hub = openHub();
  const data = Array.from({ length: 7 }, (_, i) => `m${i}`);
  await publishAll(hub, "t", data);
  const received: string[] = [];
  let cursor: string | null = null;
  let more = true;
  while (more) {
    const result: PollingEnvelope = await envelope(
      await poll(at(cursor ?? POLLING_TOPIC_START), hubSource(hub, "t"), {
        maxBatch: 3,
      }),
    );
    ok(result.messages.length <= 3);
    received.push(...result.messages.map((m) => m.data));
    cursor = result.cursor;
    more = result.more === true;
  }
  deepStrictEqual(received, data);
});

Deno.test("poll ends a batch at maxBatchBytes and pages through the rest, losing and repeating nothing", async () => {
  await using hub = openHub();
  const data = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(400));
  await publishAll(hub, "t", data);
  const received: string[] = [];
  let cursor: string | null = null;
  let more = true;
  let responses = 0;
  while (more) {
    const response = await poll(
      at(cursor ?? POLLING_TOPIC_START),
      hubSource(hub, "t"),
      {
        maxBatchBytes: 1000,
      },
    );
    const text = await response.clone().text();
    const result: PollingEnvelope = await envelope(response);
    // Two 400-character messages and their JSON fit in 1000; three do not.
    strictEqual(result.messages.length, Math.min(2, 6 - received.length));
    ok(text.length < 1200, `response of ${text.length} characters`);
    received.push(...result.messages.map((m) => m.data));
    cursor = result.cursor;
    more = result.more === true;
    responses++;
  }
  deepStrictEqual(received, data);
  strictEqual(responses, 3);
});

Deno.test("poll sends a message larger than maxBatchBytes alone", async () => {
  await using hub = openHub();
  const [big, small] = await publishAll(hub, "t", ["x".repeat(5000), "y"]);
  const first = await envelope(
    await poll(at(POLLING_TOPIC_START), hubSource(hub, "t"), {
      maxBatchBytes: 100,
    }),
  );
  deepStrictEqual(first.messages.map((m) => m.id), [big]);
  strictEqual(first.more, true);
  const second = await envelope(
    await poll(at(first.cursor ?? undefined), hubSource(hub, "t"), {
      maxBatchBytes: 100,
    }),
  );
  deepStrictEqual(second.messages.map((m) => m.id), [small]);
  strictEqual(second.more, undefined);
});

Deno.test("poll rejects a maxBatchBytes that is not a positive integer", async () => {
  await using hub = openHub();
  await rejects(
    poll(at(), hubSource(hub, "t"), { maxBatchBytes: 0 }),
    RangeError,
  );
});

Deno.test("poll signals a reset for a trimmed or unknown cursor", async (t) => {
  await using hub = openHub({ replay: { maxMessages: 1 } });
  const [first, , third] = await publishAll(hub, "t", ["1", "2", "3"]);
  await t.step("trimmed", async () => {
    deepStrictEqual(
      await envelope(await poll(at(first), hubSource(hub, "t"))),
      {
        cursor: third,
        messages: [{ id: third, data: "3" }],
        reset: true,
        reason: "window-exceeded",
      },
    );
  });
  await t.step("unknown", async () => {
    deepStrictEqual(
      await envelope(await poll(at("bogus"), hubSource(hub, "t"))),
      {
        cursor: third,
        messages: [{ id: third, data: "3" }],
        reset: true,
        reason: "unknown-id",
      },
    );
  });
});

Deno.test("poll reads the cursor from Last-Event-ID when the query has none", async () => {
  await using hub = openHub();
  const [seen, id] = await publishAll(hub, "t", ["1", "2"]);
  const request = new Request("http://localhost/", {
    headers: { "last-event-id": seen! },
  });
  deepStrictEqual(
    (await envelope(await poll(request, hubSource(hub, "t")))).messages,
    [{ id, data: "2" }],
  );
});

Deno.test("poll answers 400 to a cursor longer than 1024 characters", async () => {
  await using hub = openHub();
  const response = await poll(at("x".repeat(2000)), hubSource(hub, "t"));
  strictEqual(response.status, 400);
  strictEqual(
    response.headers.get("content-type"),
    "text/plain; charset=utf-8",
  );
  ok(
    (await response.text()).startsWith(
      "Cannot poll: cursor is 2000 characters long",
    ),
  );
});

Deno.test("poll rejects a maxBatch that is not a positive integer", async () => {
  await using hub = openHub();
  await rejects(poll(at(), hubSource(hub, "t"), { maxBatch: 1.5 }), RangeError);
});
