// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  hubSource,
  longPoll,
  type PollingEnvelope,
} from "../../polling/mod.ts";
import {
  isPending,
  openHub,
  publishAll,
  serve,
  until,
  within,
} from "./_helpers.ts";
import { POLLING_TOPIC_START } from "../../message/mod.ts";

const BASE = "http://localhost/poll";

function at(cursor?: string, init?: RequestInit): Request {
  const url = new URL(BASE);
  if (cursor !== undefined) url.searchParams.set("cursor", cursor);
  return new Request(url, init);
}

async function envelope(response: Response): Promise<PollingEnvelope> {
  strictEqual(response.status, 200);
  return await response.json();
}

Deno.test("longPoll answers at once with every message after the cursor", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["0"]);
  const ids = await publishAll(hub, "t", ["a", "b", "c"]);
  const response = await longPoll(at(seen), hubSource(hub, "t"));
  strictEqual(
    response.headers.get("content-type"),
    "application/json; charset=utf-8",
  );
  strictEqual(response.headers.get("cache-control"), "no-store");
  deepStrictEqual(await envelope(response), {
    cursor: ids[2],
    messages: [
      { id: ids[0], data: "a" },
      { id: ids[1], data: "b" },
      { id: ids[2], data: "c" },
    ],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll caps a batch at maxBatch, says more and continues from its cursor", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  const [seen] = await publishAll(hub, "t", ["0"]);
  const data = ["1", "2", "3", "4", "5"];
  await publishAll(hub, "t", data);
  const first = await envelope(
    await longPoll(at(seen), source, { maxBatch: 2 }),
  );
  deepStrictEqual(first.messages.map((m) => m.data), ["1", "2"]);
  strictEqual(first.more, true);
  const second = await envelope(
    await longPoll(at(first.cursor!), source, { maxBatch: 2 }),
  );
  deepStrictEqual(second.messages.map((m) => m.data), ["3", "4"]);
  strictEqual(second.more, true);
  const third = await envelope(
    await longPoll(at(second.cursor!), source, { maxBatch: 2 }),
  );
  deepStrictEqual(third.messages.map((m) => m.data), ["5"]);
  strictEqual(third.more, undefined);
});

Deno.test("longPoll caps a batch at maxBatchBytes, says more and continues from its cursor", async () => {
  await using hub = openHub();
  const source = hubSource(hub, "t");
  const [seen] = await publishAll(hub, "t", ["0"]);
  const data = ["a", "b", "c"].map((c) => c.repeat(600));
  await publishAll(hub, "t", data);
  const first = await envelope(
    await longPoll(at(seen), source, { maxBatchBytes: 1000 }),
  );
  deepStrictEqual(first.messages.map((m) => m.data), [data[0]]);
  strictEqual(first.more, true);
  const rest = await envelope(
    await longPoll(at(first.cursor!), source, { maxBatchBytes: 2000 }),
  );
  deepStrictEqual(rest.messages.map((m) => m.data), data.slice(1));
  strictEqual(rest.more, undefined);
});

Deno.test("longPoll holds the request until a message is published", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["old"]);
  const pending = longPoll(at(seen), hubSource(hub, "t"));
  await until(() => hub.stats().subscribers === 1, "the hold");
  ok(await isPending(pending));
  const id = await hub.publish("t", { event: "story", data: "new" });
  deepStrictEqual(await envelope(await within(pending, "the response")), {
    cursor: id,
    messages: [{ id, event: "story", data: "new" }],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll answers an empty batch with the request's cursor when the timeout passes", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["old"]);
  const response = await longPoll(at(seen), hubSource(hub, "t"), {
    timeout: 30,
  });
  deepStrictEqual(await envelope(response), { cursor: seen, messages: [] });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll releases the hold when the request is aborted", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["old"]);
  const controller = new AbortController();
  const pending = longPoll(
    at(seen, { signal: controller.signal }),
    hubSource(hub, "t"),
  );
  await until(() => hub.stats().subscribers === 1, "the hold");
  controller.abort();
  deepStrictEqual(await envelope(await within(pending, "the response")), {
    cursor: seen,
    messages: [],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll releases the hold when the client disconnects from a real server", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["old"]);
  const source = hubSource(hub, "t");
  let handled: Promise<Response> | undefined;
  await using server = serve((
    request,
  ) => (handled = longPoll(request, source)));
  const controller = new AbortController();
  const url = `${server.url}?cursor=${encodeURIComponent(seen!)}`;
  const fetching = fetch(url, { signal: controller.signal });
  await until(() => hub.stats().subscribers === 1, "the hold");
  controller.abort();
  await rejects(fetching, { name: "AbortError" });
  await until(() => hub.stats().subscribers === 0, "the release");
  await within(handled!, "the handler");
});

Deno.test("longPoll answers held requests at once when options.signal aborts", async () => {
  await using hub = openHub();
  const [seen] = await publishAll(hub, "t", ["old"]);
  const controller = new AbortController();
  const pending = longPoll(at(seen), hubSource(hub, "t"), {
    signal: controller.signal,
  });
  await until(() => hub.stats().subscribers === 1, "the hold");
  controller.abort();
  deepStrictEqual(await envelope(await within(pending, "the response")), {
    cursor: seen,
    messages: [],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll signals a reset for a cursor older than the replay window", async () => {
  await using hub = openHub({ replay: { maxMessages: 2 } });
  const ids = await publishAll(hub, "t", ["1", "2", "3", "4"]);
  deepStrictEqual(
    await envelope(await longPoll(at(ids[0]), hubSource(hub, "t"))),
    {
      cursor: ids[3],
      messages: [{ id: ids[2], data: "3" }, { id: ids[3], data: "4" }],
      reset: true,
      reason: "window-exceeded",
    },
  );
});

Deno.test("longPoll signals a reset for an unknown cursor, at once, also on an empty topic", async (t) => {
  await using hub = openHub();
  await t.step("with retained messages", async () => {
    const ids = await publishAll(hub, "full", ["1", "2"]);
    deepStrictEqual(
      await envelope(await longPoll(at("no-such-id"), hubSource(hub, "full"))),
      {
        cursor: ids[1],
        messages: [{ id: ids[0], data: "1" }, { id: ids[1], data: "2" }],
        reset: true,
        reason: "unknown-id",
      },
    );
  });
  await t.step("with none: the cursor becomes the topic's start", async () => {
    deepStrictEqual(
      await envelope(await longPoll(at("no-such-id"), hubSource(hub, "empty"))),
      {
        cursor: POLLING_TOPIC_START,
        messages: [],
        reset: true,
        reason: "unknown-id",
      },
    );
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll from the topic's start, or with ?history=N, answers retained messages at once", async () => {
  await using hub = openHub();
  const ids = await publishAll(hub, "t", ["1", "2"]);
  deepStrictEqual(
    await envelope(
      await longPoll(at(POLLING_TOPIC_START), hubSource(hub, "t")),
    ),
    {
      cursor: ids[1],
      messages: [{ id: ids[0], data: "1" }, { id: ids[1], data: "2" }],
    },
  );
  const last = new Request(`${BASE}?history=1`);
  deepStrictEqual(await envelope(await longPoll(last, hubSource(hub, "t"))), {
    cursor: ids[1],
    messages: [{ id: ids[1], data: "2" }],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll without a cursor is live only: it holds until the next message", async () => {
  await using hub = openHub();
  await publishAll(hub, "t", ["old"]);
  const pending = longPoll(at(), hubSource(hub, "t"));
  await until(() => hub.stats().subscribers >= 1, "the hold");
  const id = await hub.publish("t", { data: "new" });
  deepStrictEqual(await envelope(await within(pending, "the response")), {
    cursor: id,
    messages: [{ id, data: "new" }],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll without a cursor holds on an empty topic until a message comes", async () => {
  await using hub = openHub();
  const pending = longPoll(at(), hubSource(hub, "t"));
  await until(() => hub.stats().subscribers >= 1, "the hold");
  const id = await hub.publish("t", { data: "first" });
  deepStrictEqual(await envelope(await within(pending, "the response")), {
    cursor: id,
    messages: [{ id, data: "first" }],
  });
  const timedOut = await longPoll(at(), hubSource(hub, "empty"), {
    timeout: 10,
  });
  deepStrictEqual(await envelope(timedOut), {
    cursor: POLLING_TOPIC_START,
    messages: [],
  });
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll reads the cursor from Last-Event-ID when the query has none", async () => {
  await using hub = openHub();
  const [seen, id] = await publishAll(hub, "t", ["1", "2"]);
  const request = new Request(BASE, { headers: { "last-event-id": seen! } });
  deepStrictEqual(
    await envelope(await longPoll(request, hubSource(hub, "t"))),
    {
      cursor: id,
      messages: [{ id, data: "2" }],
    },
  );
});

Deno.test("longPoll sends bytes as base64", async () => {
  await using hub = openHub();
  const id = await hub.publish("t", { data: new Uint8Array([0, 255, 1]) });
  deepStrictEqual(
    (await envelope(
      await longPoll(at(POLLING_TOPIC_START), hubSource(hub, "t")),
    ))
      .messages,
    [
      { id, data: "AP8B", encoding: "base64" },
    ],
  );
});

Deno.test("longPoll answers 400 to a cursor longer than 1024 characters", async () => {
  await using hub = openHub();
  const response = await longPoll(at("x".repeat(1025)), hubSource(hub, "t"));
  strictEqual(response.status, 400);
  ok(
    (await response.text()).startsWith(
      "Cannot long poll: cursor is 1025 characters long",
    ),
  );
  strictEqual(hub.stats().subscribers, 0);
});

Deno.test("longPoll rejects out-of-range options", async () => {
  await using hub = openHub();
  await rejects(
    longPoll(at(), hubSource(hub, "t"), { maxBatch: 0 }),
    RangeError,
  );
  await rejects(
    longPoll(at(), hubSource(hub, "t"), { maxBatchBytes: 1.5 }),
    RangeError,
  );
  await rejects(
    longPoll(at(), hubSource(hub, "t"), { timeout: -1 }),
    RangeError,
  );
  await rejects(
    longPoll(at(), hubSource(hub, "t"), { timeout: Infinity }),
    RangeError,
  );
});
