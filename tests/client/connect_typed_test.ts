// Copyright 2026 the serverpush authors. MIT license.
// Typed events of `connect`: the type-level checks below are compiled by
// `deno test` (a wrong type fails the run, and each `@ts-expect-error`
// fails it when the line it marks compiles), and the runtime tests check
// that `json` delivers parsed data on every transport.

import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { openHub, serve, until } from "../polling/_helpers.ts";
import { createHubHandler } from "../../serve/mod.ts";
import {
  connect,
  type ConnectOptions,
  type PushClient,
  type PushEvent,
  type TypedPushMessage,
} from "../../client/mod.ts";

interface Quote {
  symbol: string;
  price: number;
}
interface ChatLine {
  from: string;
  text: string;
}
type Events = { quote: Quote; chat: ChatLine };

/** Exact type equality, for the checks below. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(_: T): void {}

// Compiled, never run: these functions only have to type-check.
function typeChecks(url: string, options: ConnectOptions): void {
  // Untyped, as before: data is a string or bytes.
  const plain = connect(url);
  expectType<Equal<typeof plain, PushClient>>(true);
  expectType<Equal<typeof plain, PushClient<undefined>>>(true);
  const fromVariable = connect(url, options);
  expectType<Equal<typeof fromVariable, PushClient>>(true);

  // Typed with json: each event name has its data type.
  const typed = connect<Events>(url, { json: true, history: 10 });
  expectType<Equal<typeof typed, PushClient<Events>>>(true);
  async function read(): Promise<void> {
    for await (const event of typed) {
      if (event.kind === "reset") {
        expectType<Equal<typeof event.reason, string>>(true);
        continue;
      }
      if (event.kind !== "message") continue; // presence: join or leave
      expectType<Equal<typeof event.event, "quote" | "chat">>(true);
      if (event.event === "quote") {
        expectType<Equal<typeof event.data, Quote>>(true);
        // @ts-expect-error: a quote has no text
        event.data.text;
      } else {
        expectType<Equal<typeof event.data, ChatLine>>(true);
      }
    }
  }
  void read;

  // "message" names the messages published without an event type.
  const withDefault = connect<{ message: number; chat: ChatLine }>(url, {
    json: true,
  });
  async function readDefault(): Promise<void> {
    for await (const event of withDefault) {
      if (event.kind === "message" && event.event === undefined) {
        expectType<Equal<typeof event.data, number>>(true);
      }
    }
  }
  void readDefault;

  // json without a map: data is unknown, event any string.
  const loose = connect(url, { json: true });
  expectType<Equal<typeof loose, PushClient<Record<string, unknown>>>>(true);

  // Text events need no json.
  const text = connect<{ chat: string }>(url);
  expectType<Equal<PushEvent<{ chat: string }>, PushEvent<{ chat: string }>>>(
    true,
  );
  void text;

  // @ts-expect-error: object data needs json: true
  connect<Events>(url);
  // @ts-expect-error: and json: false cannot parse it either
  connect<Events>(url, { json: false });
  const wrong: TypedPushMessage<Events> = {
    kind: "message",
    id: "1",
    // @ts-expect-error: an event name the map does not have
    event: "trade",
    data: { symbol: "X", price: 1 },
  };
  void wrong;
  const mismatched: TypedPushMessage<Events> = {
    kind: "message",
    id: "1",
    event: "chat",
    // @ts-expect-error: a chat line is not a quote
    data: { symbol: "X", price: 1 },
  };
  void mismatched;
}
void typeChecks;

const TRANSPORTS = ["websocket", "sse", "longpoll", "poll"] as const;

Deno.test("connect with json yields each message's data parsed, on every transport", async (t) => {
  for (const transport of TRANSPORTS) {
    await t.step(transport, async () => {
      await using hub = openHub();
      await using server = serve(createHubHandler(hub, { retry: 50 }));
      const quote: Quote = { symbol: "ACME", price: 12.5 };
      const line: ChatLine = { from: "ann", text: "hi" };
      await hub.publish("t", { event: "quote", data: JSON.stringify(quote) });
      await hub.publish("t", { event: "chat", data: JSON.stringify(line) });
      await hub.publish("t", { data: "7" });
      const client = connect<Events & { message: number }>(`${server.url}t`, {
        transports: [transport],
        history: 3,
        json: true,
        pollInterval: 20,
      });
      const seen: unknown[] = [];
      for await (const event of client) {
        if (event.kind !== "message") continue;
        if (event.event === "quote") seen.push(event.data.price);
        else if (event.event === "chat") seen.push(event.data.text);
        else seen.push(event.data + 1);
        if (seen.length === 3) break;
      }
      deepStrictEqual(seen, [12.5, "hi", 8]);
      strictEqual(client.closed, true);
    });
  }
});

Deno.test("connect with json reads bytes as UTF-8 JSON", async () => {
  await using hub = openHub();
  await using server = serve(createHubHandler(hub));
  await hub.publish("t", {
    event: "chat",
    data: new TextEncoder().encode('{"from":"bo","text":"héllo"}'),
  });
  const client = connect<Events>(`${server.url}t`, {
    transports: ["websocket"],
    history: 1,
    json: true,
  });
  const { value } = await client[Symbol.asyncIterator]().next();
  await client.close();
  deepStrictEqual(value, {
    kind: "message",
    id: (await hub.history("t")).messages[0]!.id,
    event: "chat",
    data: { from: "bo", text: "héllo" },
  });
});

Deno.test("connect with json ends the iteration with a SyntaxError on data that is not JSON", async () => {
  await using hub = openHub();
  await using server = serve(createHubHandler(hub, { retry: 50 }));
  await hub.publish("t", { data: "1" });
  await hub.publish("t", { data: "not json" });
  const client = connect<{ message: number }>(`${server.url}t`, {
    transports: ["sse"],
    history: 2,
    json: true,
  });
  const seen: number[] = [];
  await rejects(
    async () => {
      for await (const event of client) {
        if (event.kind === "message") seen.push(event.data);
      }
    },
    (error: unknown) =>
      error instanceof SyntaxError &&
      /"not json" is not JSON/.test(error.message),
  );
  deepStrictEqual(seen, [1]);
  await until(() => client.closed, "the client closed");
});

Deno.test("connect without json keeps text data as text", async () => {
  await using hub = openHub();
  await using server = serve(createHubHandler(hub));
  await hub.publish("t", { event: "chat", data: '{"a":1}' });
  const client = connect<{ chat: string }>(`${server.url}t`, {
    transports: ["websocket"],
    history: 1,
  });
  const { value } = await client[Symbol.asyncIterator]().next();
  await client.close();
  strictEqual(value?.kind === "message" && value.data, '{"a":1}');
});
