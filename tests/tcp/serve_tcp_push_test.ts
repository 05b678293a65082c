// Copyright 2026 the serverpush authors. MIT license.

import { Hub } from "@serverpush/serverpush/hub";
import {
  serveTcpPush,
  type ServeTcpPushOptions,
  type TcpPushRelay,
} from "@serverpush/serverpush/tcp";
import {
  deepStrictEqual,
  match,
  notStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";
import net from "node:net";
import { connect, type TestClient, until } from "./_client.ts";

const UUID_REGEXP =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A relay for one test; `policy: false` unless given, so ids come at once. */
function relayFor(options: ServeTcpPushOptions = {}, hub?: Hub): TcpPushRelay {
  return serveTcpPush({ policy: false, ...options }, hub);
}

async function connected(
  relay: TcpPushRelay,
  mode: "nul" | "line" = "nul",
): Promise<{ client: TestClient; id: string }> {
  const client = await connect(relay.addr.port, mode);
  const id = await client.next();
  ok(id !== undefined, "the relay sent no id");
  return { client, id };
}

Deno.test("serveTcpPush sends each connection a unique UUID as its first message", async () => {
  const relay = relayFor();
  const a = await connected(relay);
  const b = await connected(relay);
  match(a.id, UUID_REGEXP);
  match(b.id, UUID_REGEXP);
  notStrictEqual(a.id, b.id);
  deepStrictEqual(relay.ids(), [a.id, b.id]);
  strictEqual(relay.connections, 2);
  await a.client.close();
  await b.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush listens on 127.0.0.1 and the given port by default", async () => {
  const seen: Deno.TcpListenOptions[] = [];
  let closed = false;
  let stop!: (error: Error) => void;
  const listener = {
    addr: { transport: "tcp", hostname: "127.0.0.1", port: 4321 },
    accept: () =>
      new Promise<Deno.TcpConn>((_, reject) => {
        stop = reject;
      }),
    close(): void {
      closed = true;
      stop(new Deno.errors.BadResource("Listener has been closed"));
    },
  } as unknown as Deno.TcpListener;
  const relay = serveTcpPush({
    port: 4321,
    listen(options): Deno.TcpListener {
      seen.push(options);
      return listener;
    },
  });
  deepStrictEqual(seen, [{ hostname: "127.0.0.1", port: 4321 }]);
  strictEqual(relay.addr.port, 4321);
  await relay.shutdown();
  strictEqual(closed, true);
});

Deno.test("serveTcpPush pushes to one connection by id", async () => {
  const relay = relayFor();
  const a = await connected(relay);
  const b = await connected(relay);
  strictEqual(relay.send(a.id, "for a"), true);
  strictEqual(relay.send(b.id, "for b"), true);
  strictEqual(relay.send(a.id, "é again"), true);
  strictEqual(await a.client.next(), "for a");
  strictEqual(await a.client.next(), "é again");
  strictEqual(await b.client.next(), "for b");
  strictEqual(relay.send("no-such-id", "x"), false);
  await a.client.close();
  await b.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush send rejects a message it cannot frame", async () => {
  const relay = relayFor({ mode: "line", maxMessageBytes: 8 });
  throws(() => relay.send("any", "two\nlines"), TypeError);
  throws(() => relay.broadcast("a\rb"), TypeError);
  throws(() => relay.send("any", "123456789"), RangeError);
  await relay.shutdown();
});

Deno.test("serveTcpPush broadcast reaches every connection", async () => {
  const relay = relayFor({ mode: "line" });
  const clients = await Promise.all(
    [1, 2, 3].map(() => connected(relay, "line")),
  );
  strictEqual(relay.broadcast("all"), 3);
  for (const { client } of clients) strictEqual(await client.next(), "all");
  for (const { client } of clients) await client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush pushes a hub topic's data after subscribe", async () => {
  const hub = new Hub();
  const relay = relayFor({}, hub);
  const { client, id } = await connected(relay);
  await client.write("subscribe news\0");
  await until(() => hub.stats().subscribers === 1);
  await hub.publish("news", { data: "<story/>" });
  await hub.publish("other", { data: "not subscribed" });
  await hub.publish("news", {
    event: "ignored",
    data: new Uint8Array([1, 2, 3]),
  });
  strictEqual(await client.next(), "<story/>");
  strictEqual(await client.next(), "AQID");
  // Unsubscribe, then prove nothing else of the topic arrives.
  await client.write("unsubscribe news\0");
  await until(() => hub.stats().subscribers === 0);
  await hub.publish("news", { data: "too late" });
  relay.send(id, "marker");
  strictEqual(await client.next(), "marker");
  await client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush reads CRLF commands in line mode", async () => {
  const hub = new Hub();
  const relay = relayFor({ mode: "line" }, hub);
  const { client } = await connected(relay, "line");
  // Cut in the middle, across two writes.
  await client.write("subscr");
  await client.write("ibe news\r\n");
  await until(() => hub.stats().subscribers === 1);
  await hub.publish("news", { data: "line" });
  strictEqual(await client.next(), "line");
  await client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush writes topic messages as JSON with the topic", async () => {
  const hub = new Hub();
  const relay = relayFor({ format: "json", mode: "line" }, hub);
  const { client } = await connected(relay, "line");
  await client.write("subscribe a\nsubscribe b\n");
  await until(() => hub.stats().subscribers === 2);
  const first = await hub.publish("a", { data: "multi\nline" });
  const second = await hub.publish("b", {
    event: "raw",
    data: new Uint8Array([0xff]),
  });
  deepStrictEqual(JSON.parse((await client.next())!), {
    topic: "a",
    id: first,
    data: "multi\nline",
  });
  deepStrictEqual(JSON.parse((await client.next())!), {
    topic: "b",
    id: second,
    event: "raw",
    data: "/w==",
    encoding: "base64",
  });
  await client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush resumes a topic after the last id a client saw", async () => {
  const hub = new Hub();
  const relay = relayFor({ format: "json" }, hub);
  const seen = await hub.publish("t", { data: "seen" });
  const missed = await hub.publish("t", { data: "missed" });
  const { client } = await connected(relay);
  await client.write(`subscribe t ${seen}\0subscribe u bogus-id\0`);
  deepStrictEqual(JSON.parse((await client.next())!), {
    topic: "t",
    id: missed,
    data: "missed",
  });
  deepStrictEqual(JSON.parse((await client.next())!), {
    topic: "u",
    reset: "unknown-id",
  });
  await client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush skips a data-format message it cannot frame, with a notice in its place", async (t) => {
  for (
    const [mode, bad, reason] of [
      ["nul", "poison\0pill", "it contains a NUL character"],
      ["line", "two\nlines", "it contains CR or LF"],
    ] as const
  ) {
    await t.step(mode, async () => {
      const hub = new Hub();
      const relay = relayFor({ mode }, hub);
      const { client } = await connected(relay, mode);
      const end = mode === "nul" ? "\0" : "\n";
      await client.write(`subscribe t${end}`);
      await until(() => hub.stats().subscribers === 1);
      const first = await hub.publish("t", { data: "first" });
      const poison = await hub.publish("t", { data: bad });
      await hub.publish("t", { data: "second" });
      strictEqual(await client.next(), "first");
      strictEqual(
        await client.next(),
        `Cannot push message "${poison}" of topic "t": ${reason}${
          mode === "nul"
            ? ", the message delimiter"
            : ", which end a message in line mode"
        }`,
      );
      strictEqual(await client.next(), "second");
      // Still subscribed, still connected.
      await hub.publish("t", { data: "third" });
      strictEqual(await client.next(), "third");
      strictEqual(relay.connections, 1);
      // A resume across the poison message works the same way.
      const again = await connected(relay, mode);
      await again.client.write(`subscribe t ${first}${end}`);
      strictEqual(
        await again.client.next(),
        `Cannot push message "${poison}" of topic "t": ${reason}${
          mode === "nul"
            ? ", the message delimiter"
            : ", which end a message in line mode"
        }`,
      );
      strictEqual(await again.client.next(), "second");
      strictEqual(await again.client.next(), "third");
      await again.client.close();
      await client.close();
      await relay.shutdown();
      await hub.close();
    });
  }
});

Deno.test("serveTcpPush skips a message over maxMessageBytes, with a notice in its place", async (t) => {
  await t.step("data format", async () => {
    const hub = new Hub();
    const relay = relayFor({ maxMessageBytes: 10 }, hub);
    const { client } = await connected(relay);
    await client.write("subscribe t\0");
    await until(() => hub.stats().subscribers === 1);
    const big = await hub.publish("t", { data: "x".repeat(11) });
    await hub.publish("t", { data: "small" });
    strictEqual(
      await client.next(),
      `Cannot push message "${big}" of topic "t": it is 11 bytes, which exceeds maxMessageBytes of 10`,
    );
    strictEqual(await client.next(), "small");
    await client.close();
    await relay.shutdown();
    await hub.close();
  });
  await t.step("json format", async () => {
    const hub = new Hub();
    const relay = relayFor({ format: "json", maxMessageBytes: 60 }, hub);
    const { client } = await connected(relay);
    await client.write("subscribe t\0");
    await until(() => hub.stats().subscribers === 1);
    const big = await hub.publish("t", { data: "x".repeat(60) });
    const small = await hub.publish("t", { data: "small" });
    const notice = JSON.parse((await client.next())!);
    deepStrictEqual(Object.keys(notice), ["topic", "id", "error"]);
    strictEqual(notice.topic, "t");
    strictEqual(notice.id, big);
    match(
      notice.error,
      new RegExp(
        `^Cannot push message "${big}" of topic "t": it is \\d+ bytes, which exceeds maxMessageBytes of 60$`,
      ),
    );
    deepStrictEqual(JSON.parse((await client.next())!), {
      topic: "t",
      id: small,
      data: "small",
    });
    await client.close();
    await relay.shutdown();
    await hub.close();
  });
});

Deno.test("serveTcpPush closes a data-format connection with an error on a reset", async () => {
  const hub = new Hub();
  const relay = relayFor({}, hub);
  const { client } = await connected(relay);
  await client.write("subscribe t unknown-id\0");
  const rest = await client.rest();
  strictEqual(rest.length, 1);
  match(rest[0]!, /^Cannot push topic "t": messages are missing/);
  await client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush closes a connection whose subscribe fails, with an error message", async (t) => {
  await t.step("no hub", async () => {
    const relay = relayFor();
    const { client } = await connected(relay);
    await client.write("subscribe news\0");
    deepStrictEqual(await client.rest(), [
      'Cannot subscribe to topic "news": the relay has no hub',
    ]);
    await client.close();
    await relay.shutdown();
  });
  await t.step("invalid topic", async () => {
    const hub = new Hub();
    const relay = relayFor({}, hub);
    const { client } = await connected(relay);
    await client.write("subscribe bad|topic\0");
    const rest = await client.rest();
    strictEqual(rest.length, 1);
    match(rest[0]!, /^Cannot subscribe to topic "bad\|topic"/);
    await client.close();
    await relay.shutdown();
    await hub.close();
  });
  await t.step("too many subscriptions", async () => {
    const hub = new Hub();
    const relay = relayFor({ maxSubscriptions: 2 }, hub);
    const { client } = await connected(relay);
    await client.write("subscribe a\0subscribe b\0subscribe a\0subscribe c\0");
    deepStrictEqual(await client.rest(), [
      'Cannot subscribe to topic "c": the connection has 2 subscriptions, the maxSubscriptions limit',
    ]);
    strictEqual(hub.stats().subscribers, 0);
    await client.close();
    await relay.shutdown();
    await hub.close();
  });
});

Deno.test("serveTcpPush ignores messages that are not commands", async () => {
  const relay = relayFor();
  const { client, id } = await connected(relay);
  await client.write("\0hello\0<data/>\0subscribe\0");
  // Still open and reachable.
  strictEqual(relay.send(id, "still here"), true);
  strictEqual(await client.next(), "still here");
  await client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush answers a Flash policy request with the policy and closes", async (t) => {
  await t.step("default policy allows no domain", async () => {
    const relay = serveTcpPush();
    const client = await connect(relay.addr.port);
    await client.write("<policy-file-request/>\0");
    deepStrictEqual(await client.rest(), [
      `<cross-domain-policy></cross-domain-policy>`,
    ]);
    await until(() => relay.connections === 0);
    deepStrictEqual(relay.ids(), []);
    await client.close();
    await relay.shutdown();
  });
  await t.step("policyDomains are allowed on the relay's port", async () => {
    const relay = serveTcpPush({
      policyDomains: ["example.com", "*.example.org"],
    });
    const client = await connect(relay.addr.port);
    await client.write("<policy-file-request/>\0");
    const port = relay.addr.port;
    deepStrictEqual(await client.rest(), [
      `<cross-domain-policy><allow-access-from domain="example.com" to-ports="${port}"/><allow-access-from domain="*.example.org" to-ports="${port}"/></cross-domain-policy>`,
    ]);
    await client.close();
    await relay.shutdown();
  });
  await t.step("custom policy, request cut in pieces, line mode", async () => {
    const policy =
      '<cross-domain-policy><allow-access-from domain="example.com" to-ports="*"/></cross-domain-policy>';
    const relay = serveTcpPush({ policy, mode: "line", policyWait: 5_000 });
    // Read raw bytes: the policy ends with NUL even in line mode.
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: relay.addr.port,
    });
    const encoder = new TextEncoder();
    await conn.write(encoder.encode("<policy-file-"));
    await new Promise((r) => setTimeout(r, 20));
    await conn.write(encoder.encode("request/>\0"));
    const received = new Uint8Array(
      await new Response(conn.readable).arrayBuffer(),
    );
    strictEqual(new TextDecoder().decode(received), `${policy}\0`);
    await relay.shutdown();
  });
});

Deno.test("serveTcpPush sends the id at once to a client whose first bytes are no policy request", async () => {
  // A long policyWait shows that the id does not wait for it to run out.
  const hub = new Hub();
  const relay = serveTcpPush({ policyWait: 60_000 }, hub);
  const client = await connect(relay.addr.port);
  // Starts like a policy request, then is not one.
  await client.write("<policy");
  await client.write("-file-request/>subscribe x\0");
  match((await client.next())!, UUID_REGEXP);
  await client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush sends the id after policyWait to a client that sends nothing", async () => {
  const relay = serveTcpPush({ policyWait: 20 });
  const client = await connect(relay.addr.port);
  match((await client.next())!, UUID_REGEXP);
  await client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush closes a connection that sends a command over maxCommandBytes", async () => {
  const hub = new Hub();
  const relay = relayFor({ mode: "line", maxCommandBytes: 64 }, hub);
  const other = await connected(relay, "line");
  const { client } = await connected(relay, "line");
  // No delimiter: the relay must not wait for one.
  await client.write(`subscribe ${"x".repeat(100)}`);
  const rest = await client.rest();
  strictEqual(rest.length, 1);
  match(
    rest[0]!,
    /^Cannot decode message: buffered \d+ bytes without a delimiter, which exceeds maxMessageBytes of 64$/,
  );
  await until(() => relay.connections === 1);
  deepStrictEqual(relay.ids(), [other.id]);
  strictEqual(hub.stats().subscribers, 0);
  await client.close();
  await other.client.close();
  await relay.shutdown();
  await hub.close();
});

Deno.test("serveTcpPush delivers a broadcast to 2000 concurrent connections", async () => {
  // Above the defaults (512 in all, 32 per address), which suit a process
  // limited to 1024 descriptors; the test process has more.
  const relay = relayFor({
    mode: "line",
    maxConnections: 2000,
    maxConnectionsPerAddress: 2000,
  });
  const clients: TestClient[] = [];
  // In batches, to stay within the listen backlog.
  for (let batch = 0; batch < 10; batch++) {
    const connected = await Promise.all(
      Array.from({ length: 200 }, () => connect(relay.addr.port, "line")),
    );
    clients.push(...connected);
  }
  const ids = await Promise.all(clients.map((client) => client.next()));
  strictEqual(new Set(ids).size, 2000);
  strictEqual(relay.connections, 2000);
  strictEqual(relay.broadcast("to everyone"), 2000);
  const received = await Promise.all(clients.map((client) => client.next()));
  deepStrictEqual(new Set(received), new Set(["to everyone"]));
  await Promise.all(clients.map((client) => client.close()));
  await until(() => relay.connections === 0);
  await relay.shutdown();
});

Deno.test("serveTcpPush disconnects a client that never reads once its queue passes maxQueuedBytes", async () => {
  const maxQueuedBytes = 256 * 1024;
  const relay = relayFor({
    maxQueuedBytes,
    maxMessageBytes: 64 * 1024,
    idleTimeout: 0,
  });
  const slow = await connected(relay);
  const fast = await connected(relay);
  const message = "m".repeat(32 * 1024);
  let sent = 0;
  // Each round waits for the fast client, so the slow one's socket buffers
  // fill, then its queue. 2000 rounds (64 MiB) is far beyond both.
  while (relay.ids().includes(slow.id) && sent < 2000) {
    const reached = relay.broadcast(message);
    sent++;
    strictEqual(await fast.client.next(), message);
    ok(reached >= 1);
  }
  ok(!relay.ids().includes(slow.id), `still connected after ${sent} messages`);
  strictEqual(relay.send(slow.id, "x"), false);
  // The fast client keeps receiving.
  strictEqual(relay.broadcast("after"), 1);
  strictEqual(await fast.client.next(), "after");
  // What reached the slow client is a prefix of what was sent, then the end.
  const rest = await slow.client.rest();
  ok(rest.length < sent, `received ${rest.length} of ${sent}`);
  ok(rest.every((m) => m === message));
  await slow.client.close();
  await fast.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush refuses connections over maxConnections with an error message", async () => {
  const relay = relayFor({ maxConnections: 2 });
  const a = await connected(relay);
  const b = await connected(relay);
  const extra = await connect(relay.addr.port);
  deepStrictEqual(await extra.rest(), [
    "Cannot accept connection: the relay has 2 connections, the maxConnections limit",
  ]);
  strictEqual(relay.connections, 2);
  await a.client.close();
  await until(() => relay.connections === 1);
  const c = await connected(relay);
  match(c.id, UUID_REGEXP);
  await extra.close();
  await b.client.close();
  await c.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush refuses connections past maxConnectionsPerAddress with an error message", async () => {
  const relay = relayFor({ maxConnectionsPerAddress: 2 });
  const a = await connected(relay);
  const b = await connected(relay);
  const extra = await connect(relay.addr.port);
  deepStrictEqual(await extra.rest(), [
    'Cannot accept connection: address "127.0.0.1" has 2 connections, the maxConnectionsPerAddress limit',
  ]);
  // Another address is served meanwhile (Linux routes all of 127/8 to lo).
  const other = net.connect({
    host: "127.0.0.1",
    port: relay.addr.port,
    localAddress: "127.0.0.2",
  });
  const otherId = await new Promise<string>((resolve, reject) => {
    other.setEncoding("utf8");
    other.once("data", (text: string) => resolve(text));
    other.once("error", reject);
  });
  match(otherId, /^[0-9a-f-]{36}\0$/);
  strictEqual(relay.connections, 3);
  other.destroy();
  await a.client.close();
  await until(() => relay.connections === 1);
  const c = await connected(relay);
  match(c.id, UUID_REGEXP);
  await extra.close();
  await b.client.close();
  await c.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush counts only complete messages as activity for idleTimeout", async () => {
  const relay = relayFor({ idleTimeout: 500 });
  const trickler = await connected(relay);
  const busy = await connected(relay);
  // One byte at a time, never a delimiter; an empty message on the other.
  for (let i = 0; i < 100 && relay.ids().includes(trickler.id); i++) {
    await trickler.client.write("x").catch(() => undefined);
    await busy.client.write("\0");
    await new Promise((r) => setTimeout(r, 50));
  }
  deepStrictEqual(relay.ids(), [busy.id]);
  deepStrictEqual(await trickler.client.rest(), []);
  await trickler.client.close();
  await busy.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush counts relay-made messages against maxQueuedBytes", async (t) => {
  await t.step("a policy document larger than maxQueuedBytes", () => {
    throws(
      () =>
        serveTcpPush({
          policy: "x".repeat(2000),
          maxMessageBytes: 100,
          maxQueuedBytes: 1000,
        }),
      {
        name: "RangeError",
        message:
          "Cannot serve TCP push: the policy document is 2001 bytes, which exceeds maxQueuedBytes of 1000",
      },
    );
  });
  await t.step("notices of skipped messages", async () => {
    const hub = new Hub();
    const relay = relayFor({ maxMessageBytes: 10, maxQueuedBytes: 1000 }, hub);
    const { client } = await connected(relay);
    await client.write("subscribe t\0");
    await until(() => hub.stats().subscribers === 1);
    // The client does not read: the kernel takes some, then the queue
    // fills with notices (each about 90 bytes) until it passes 1000 bytes.
    for (let i = 0; i < 20_000 && relay.connections > 0; i++) {
      await hub.publish("t", { data: "x".repeat(11) });
    }
    strictEqual(relay.connections, 0);
    await client.close();
    await relay.shutdown();
    await hub.close();
  });
});

Deno.test("serveTcpPush closes connections idle for longer than idleTimeout", async () => {
  const relay = relayFor({ idleTimeout: 1000 });
  // Taken before the connection exists, so before its last activity.
  const start = performance.now();
  const idle = await connected(relay);
  const busy = await connected(relay);
  // The busy client sends an empty message every 50 ms.
  while (relay.ids().includes(idle.id)) {
    await busy.client.write("\0");
    await new Promise((r) => setTimeout(r, 50));
  }
  ok(performance.now() - start >= 1000);
  deepStrictEqual(await idle.client.rest(), []);
  deepStrictEqual(relay.ids(), [busy.id]);
  await busy.client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush shutdown closes every connection and stops listening", async () => {
  const hub = new Hub();
  const relay = relayFor({}, hub);
  const a = await connected(relay);
  const b = await connected(relay);
  await a.client.write("subscribe t\0");
  await until(() => hub.stats().subscribers === 1);
  const port = relay.addr.port;
  await relay.shutdown();
  await relay.finished;
  deepStrictEqual(await a.client.rest(), []);
  deepStrictEqual(await b.client.rest(), []);
  strictEqual(relay.connections, 0);
  strictEqual(hub.stats().subscribers, 0);
  await rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
  await relay.shutdown(); // a second call does nothing
  await a.client.close();
  await b.client.close();
  await hub.close();
});

Deno.test("serveTcpPush handler answers POST /relay/:id", async (t) => {
  const relay = relayFor({
    maxMessageBytes: 16,
    authorize: (request) =>
      request.headers.get("authorization") === "Bearer ok",
  });
  const handler = relay.handler();
  const { client, id } = await connected(relay);
  const post = (
    path: string,
    body: BodyInit,
    token = "ok",
  ): Promise<Response> =>
    handler(
      new Request(`http://localhost${path}`, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${token}` },
      }),
    );
  async function status(response: Response): Promise<number> {
    await response.body?.cancel();
    return response.status;
  }

  await t.step("202 and the message is pushed", async () => {
    strictEqual(await status(await post(`/relay/${id}`, "hello é")), 202);
    strictEqual(await client.next(), "hello é");
  });
  await t.step("403 when authorize denies", async () => {
    strictEqual(await status(await post(`/relay/${id}`, "x", "bad")), 403);
  });
  await t.step("404 for an unknown id or another path", async () => {
    strictEqual(await status(await post("/relay/nobody", "x")), 404);
    strictEqual(await status(await post("/elsewhere", "x")), 404);
    strictEqual(await status(await post(`/relay/${id}/more`, "x")), 404);
  });
  await t.step("405 for another method", async () => {
    const response = await handler(new Request(`http://localhost/relay/${id}`));
    strictEqual(response.headers.get("allow"), "POST");
    strictEqual(await status(response), 405);
  });
  await t.step("413 past maxMessageBytes, declared or streamed", async () => {
    strictEqual(await status(await post(`/relay/${id}`, "x".repeat(17))), 413);
    const streamed = ReadableStream.from([
      new TextEncoder().encode("x".repeat(10)),
      new TextEncoder().encode("x".repeat(10)),
    ]);
    strictEqual(await status(await post(`/relay/${id}`, streamed)), 413);
  });
  await t.step("400 for the delimiter or invalid UTF-8", async () => {
    strictEqual(await status(await post(`/relay/${id}`, "a\0b")), 400);
    strictEqual(
      await status(await post(`/relay/${id}`, new Uint8Array([0xff]))),
      400,
    );
  });
  relay.send(id, "end");
  strictEqual(await client.next(), "end");
  await client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush handler denies every request by default", async () => {
  const relay = relayFor();
  const { client, id } = await connected(relay);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    relay.handler(),
  );
  const response = await fetch(
    `http://127.0.0.1:${server.addr.port}/relay/${id}`,
    { method: "POST", body: "sneaky" },
  );
  await response.body?.cancel();
  strictEqual(response.status, 403);
  relay.send(id, "only this");
  strictEqual(await client.next(), "only this");
  await server.shutdown();
  await client.close();
  await relay.shutdown();
});

Deno.test("serveTcpPush rejects invalid options", () => {
  const listen = (): Deno.TcpListener => {
    throw new Error("must not listen");
  };
  throws(() => serveTcpPush({ listen, format: "xml" as "json" }), TypeError);
  throws(() => serveTcpPush({ listen, mode: "crlf" as "nul" }), TypeError);
  throws(() => serveTcpPush({ listen, policy: "a\0b" }), TypeError);
  throws(() => serveTcpPush({ listen, maxConnections: 0 }), RangeError);
  throws(
    () => serveTcpPush({ listen, maxConnectionsPerAddress: 0 }),
    RangeError,
  );
  throws(
    () => serveTcpPush({ listen, policyDomains: ['a" to-ports="*'] }),
    TypeError,
  );
  throws(() => serveTcpPush({ listen, idleTimeout: -1 }), RangeError);
  throws(
    () => serveTcpPush({ listen, maxMessageBytes: 100, maxQueuedBytes: 100 }),
    RangeError,
  );
});
