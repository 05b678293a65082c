// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual } from "node:assert/strict";
import { openTopicStream } from "../../cli/_topic_stream.ts";
import { until, within } from "../_wait.ts";

Deno.test("openTopicStream over ws ends and closes when stopped during the handshake", async () => {
  const closes: number[] = [];
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => answer = resolve);
  let upgraded!: () => void;
  const upgrading = new Promise<void>((resolve) => upgraded = resolve);
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, async (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onclose = (event) => closes.push(event.code);
    upgraded();
    await answered; // Hold the 101 until the client was stopped.
    return response;
  });
  const stop = new AbortController();
  let opened = false;
  const events = openTopicStream(
    new URL(`http://127.0.0.1:${server.addr.port}/hub/t`),
    "ws",
    {
      since: undefined,
      headers: new Headers(),
      signal: stop.signal,
      onOpen: () => opened = true,
    },
  );
  // It either ends or rejects with the abort; either way it must settle.
  const reading = Array.fromAsync(events).catch((error: Error) => error.name);
  await upgrading;
  stop.abort();
  answer();
  const outcome = await within(reading, "the stream to end");
  deepStrictEqual(
    Array.isArray(outcome) ? outcome : [outcome],
    outcome === "AbortError" ? ["AbortError"] : [],
  );
  deepStrictEqual(opened, false);
  await until(
    () => closes.length === 1,
    "the server to see the connection end",
  );
});
