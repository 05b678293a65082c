// Copyright 2026 the serverpush authors. MIT license.
// The `state` option of `connect` (on every transport) and of `SseClient`
// against a real hub server: the keyed topic's state first, then live
// messages, with keys and deletes.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { Hub } from "../../hub/mod.ts";
import { createHubHandler } from "../../serve/mod.ts";
import { connect, connectMultiplex, type PushEvent } from "../../client/mod.ts";
import { SseClient } from "../../sse/mod.ts";
import { within } from "../_wait.ts";

/** `key=data`, `-key` for a delete, `reset:r`, or the data. */
function view(event: PushEvent): string {
  if (event.kind === "reset") return `reset:${event.reason}`;
  if (event.kind !== "message") return event.kind;
  if (event.deleted === true) return `-${event.key}`;
  return event.key === undefined
    ? String(event.data)
    : `${event.key}=${event.data}`;
}

function serveHub(): { hub: Hub; url: string } & AsyncDisposable {
  const hub = new Hub();
  const handler = createHubHandler(hub, { prefix: "/hub" });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return {
    hub,
    url: `http://127.0.0.1:${server.addr.port}/hub/dash`,
    async [Symbol.asyncDispose](): Promise<void> {
      await hub.close();
      await server.shutdown();
    },
  };
}

for (const transport of ["websocket", "sse", "longpoll"] as const) {
  Deno.test(`connect with state over ${transport}: the state, then live messages with keys and deletes`, async () => {
    await using server = serveHub();
    const { hub, url } = server;
    await hub.publish("dash", { key: "cpu", data: "10" });
    await hub.publish("dash", { key: "mem", data: "50" });
    await hub.publish("dash", { key: "cpu", data: "12" });
    const client = connect(url, {
      transports: [transport],
      state: true,
      pollInterval: 50,
    });
    const iterator = client[Symbol.asyncIterator]();
    const next = async () =>
      view((await within(iterator.next(), "an event")).value!);
    // SSE carries the key of a delete only.
    const keyed = transport !== "sse";
    deepStrictEqual(
      [await next(), await next()],
      keyed ? ["mem=50", "cpu=12"] : ["50", "12"],
    );
    await hub.publish("dash", { key: "mem", delete: true });
    await hub.publish("dash", { key: "disk", data: "70" });
    deepStrictEqual(
      [await next(), await next()],
      keyed ? ["-mem", "disk=70"] : ["-mem", "70"],
    );
    await client.close();
  });
}

Deno.test("connectMultiplex subscribe with state: the state, then live messages with keys and deletes", async () => {
  await using server = serveHub();
  const { hub, url } = server;
  await hub.publish("dash", { key: "cpu", data: "10" });
  await hub.publish("dash", { key: "mem", data: "50" });
  await hub.publish("dash", { key: "cpu", data: "12" });
  await hub.publish("other", { data: "not asked for" });
  const client = connectMultiplex(url.replace(/dash$/, ""));
  try {
    const iterator = client.subscribe("dash", { state: true })[
      Symbol.asyncIterator
    ]();
    const next = async () =>
      view((await within(iterator.next(), "an event")).value!);
    deepStrictEqual([await next(), await next()], ["mem=50", "cpu=12"]);
    await hub.publish("dash", { key: "mem", delete: true });
    await hub.publish("dash", { key: "disk", data: "70" });
    deepStrictEqual([await next(), await next()], ["-mem", "disk=70"]);
    throws(
      () => client.subscribe("x", { state: "yes" as unknown as boolean }),
      /Cannot subscribe to topic "x": state is not a boolean/,
    );
  } finally {
    await client.close();
  }
});

Deno.test("connect refuses a state that is not a boolean", () => {
  throws(
    () => connect("http://127.0.0.1:9/", { state: 1 as unknown as boolean }),
    /state is not a boolean/,
  );
});

Deno.test("SseClient with state asks for the state and gets deletes as serverpush-delete events", async () => {
  await using server = serveHub();
  const { hub, url } = server;
  await hub.publish("dash", { key: "a", data: "1" });
  await hub.publish("dash", { key: "b", data: "2" });
  await hub.publish("dash", { key: "a", data: "3" });
  const client = new SseClient(url, { state: true });
  strictEqual(new URL(client.url).searchParams.get("state"), "1");
  const iterator = client[Symbol.asyncIterator]();
  const next = async () => {
    const { value } = await within(iterator.next(), "an event");
    return `${value!.type}:${value!.data}`;
  };
  deepStrictEqual([await next(), await next()], ["message:2", "message:3"]);
  await hub.publish("dash", { key: "b", delete: true });
  strictEqual(await next(), "serverpush-delete:b");
  client.close();
});
