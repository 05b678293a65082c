// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { runCli, startServe } from "./_cli.ts";

Deno.test("serverpush publish sends the token, event and Idempotency-Key, and prints the id", async () => {
  const seen: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
  }[] = [];
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, async (request) => {
    seen.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
    return Response.json({ id: "42" }, { status: 201 });
  });
  const url = `http://127.0.0.1:${server.addr.port}/hub/news`;
  const { code, stdout, stderr } = await runCli([
    "publish",
    url,
    "hello",
    "--event",
    "story",
    "--token",
    "s3cret",
    "--idempotency-key",
    "order-7",
  ]);
  strictEqual(code, 0, stderr);
  strictEqual(stdout, "42\n");
  strictEqual(seen.length, 1);
  const [request] = seen;
  strictEqual(request!.method, "POST");
  strictEqual(request!.url, `${url}?event=story`);
  strictEqual(request!.body, "hello");
  deepStrictEqual(
    [request!.headers["authorization"], request!.headers["idempotency-key"]],
    ["Bearer s3cret", "order-7"],
  );
  match(request!.headers["content-type"]!, /^text\/plain/);
});

Deno.test("serverpush publish to serverpush serve prints the id the hub stored", async () => {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
  ]);
  const topic = `${server.hub}news`;
  const { code, stdout } = await runCli([
    "publish",
    topic,
    "hi",
    "--token",
    "s3cret",
    "--idempotency-key",
    "k1",
  ]);
  strictEqual(code, 0);
  const id = stdout.trim();
  // A retry with the same key prints the first id and publishes nothing.
  const retry = await runCli([
    "publish",
    topic,
    "hi",
    "--token",
    "s3cret",
    "--idempotency-key",
    "k1",
  ]);
  deepStrictEqual([retry.code, retry.stdout.trim()], [0, id]);
  const poll = await (await fetch(`${topic}?transport=poll&history=10`)).json();
  deepStrictEqual(poll.messages, [{ id, data: "hi" }]);
});

Deno.test("serverpush publish refused by the hub exits 1 and names the token option", async () => {
  await using server = await startServe([
    "--port",
    "0",
    "--publish-token",
    "s3cret",
  ]);
  const { code, stdout, stderr } = await runCli([
    "publish",
    `${server.hub}news`,
    "hi",
  ]);
  strictEqual(code, 1);
  strictEqual(stdout, "");
  match(
    stderr,
    /^serverpush: Cannot publish: the server answered 401 .*pass --token/,
  );
  strictEqual(stderr.trimEnd().split("\n").length, 1);
});
